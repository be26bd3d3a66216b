/**
 * @file A dependency-free SVG bar chart of the benchmark: for every case measured in images/s,
 * one bar per backend, on a log scale (the backends differ by orders of magnitude on a
 * software adapter).
 */
import type { Result } from "./harness.ts";

const COLORS: Record<string, string> = { cpu: "#1f77b4", "cpu-fast": "#17becf", "torch-cpu": "#d62728", webgpu: "#ff7f0e", "tfjs-cpu": "#9ecae1", "tfjs-webgpu": "#fdbe85", "jax-wasm": "#74c476", "jax-webgpu": "#9e9ac8" };

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;");

export function svgChart(results: Result[], title: string): string {
  const rows = results.filter((r) => r.unit === "images/s");
  const names = [...new Set(rows.map((r) => r.case))];
  const backends = [...new Set(rows.map((r) => r.backend))];
  const bar = 14, gap = 10, left = 330, width = 420;
  const max = Math.max(10, ...rows.map((r) => r.rate));
  const lo = Math.min(1, ...rows.map((r) => r.rate));
  const x = (v: number) => (width * Math.log10(v / lo)) / Math.log10(max / lo);
  const groupH = backends.length * bar + gap;
  const height = 50 + names.length * groupH + 20 * backends.length;
  const out = [`<svg xmlns="http://www.w3.org/2000/svg" width="${left + width + 120}" height="${height}" font-family="sans-serif" font-size="11">`,
    `<text x="10" y="18" font-size="13" font-weight="bold">${esc(title)}</text>`];
  names.forEach((n, i) => {
    const y0 = 34 + i * groupH;
    out.push(`<text x="${left - 8}" y="${y0 + (backends.length * bar) / 2 + 4}" text-anchor="end">${esc(n)}</text>`);
    backends.forEach((b, j) => {
      const r = rows.find((q) => q.case === n && q.backend === b);
      if (!r) return;
      const y = y0 + j * bar;
      out.push(`<rect x="${left}" y="${y}" width="${Math.max(1, x(r.rate)).toFixed(1)}" height="${bar - 2}" fill="${COLORS[b] ?? "#888"}"/>`);
      out.push(`<text x="${(left + Math.max(1, x(r.rate)) + 4).toFixed(1)}" y="${y + bar - 4}">${r.rate.toPrecision(3)}</text>`);
    });
  });
  backends.forEach((b, j) => {
    const y = 40 + names.length * groupH + j * 18;
    out.push(`<rect x="${left}" y="${y - 10}" width="12" height="12" fill="${COLORS[b] ?? "#888"}"/><text x="${left + 18}" y="${y}">${b === "cpu" || b === "cpu-fast" || b === "webgpu" ? `webgpu-dl ${b}` : b}</text>`);
  });
  out.push("</svg>");
  return out.join("\n") + "\n";
}
