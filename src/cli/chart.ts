/**
 * @file Line charts as standalone SVG (a run's report.html: loss, accuracy, learning rate) and
 * the tick rule the demo's canvas chart uses too: round, evenly spaced values (1, 2 or 5 ×
 * 10^k apart), so that both read alike and no axis shows 2.5, 1.9, 1.3, 0.6.
 */

/** Evenly spaced round ticks covering [lo, hi]: about `count` of them, 1, 2 or 5 × 10^k apart. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) hi = lo + 1;
  const raw = (hi - lo) / Math.max(1, count - 1);
  const mag = 10 ** Math.floor(Math.log10(raw));
  // the round step whose tick count comes closest to `count`
  const ticksOf = (s: number) => Math.ceil(hi / s - 1e-9) - Math.floor(lo / s + 1e-9) + 1;
  const step = [1, 2, 5, 10].map((m) => m * mag).reduce((a, b) => (Math.abs(ticksOf(b) - count) < Math.abs(ticksOf(a) - count) ? b : a));
  const first = Math.floor(lo / step + 1e-9) * step, ticks: number[] = [];
  for (let v = first; v < hi + step - 1e-9 * step; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

export interface Series {
  name: string;
  color: string;
  points: [number, number][];
  /** Dots (a value per epoch) instead of a line. */
  dots?: boolean;
}

export interface LineChart {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  /** A log-scale y axis (learning rates over decades). */
  logY?: boolean;
}

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;");
const label = (v: number) => (Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(0) : String(Number(v.toPrecision(6))));

/** A chart of one or more series with a legend, its axes from niceTicks. */
export function svgLineChart(c: LineChart): string {
  const W = 640, H = 320, L = 64, R = 20, T = 48, B = 44;
  const pts = c.series.flatMap((s) => s.points).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y) && (!c.logY || y > 0));
  const f = (y: number) => (c.logY ? Math.log10(y) : y);
  const xs = pts.map((p) => p[0]), ys = pts.map((p) => f(p[1]));
  const xt = niceTicks(Math.min(0, ...xs), Math.max(1, ...xs), 6);
  const yt = c.logY
    ? Array.from({ length: Math.ceil(Math.max(...ys, -2)) - Math.floor(Math.min(...ys, -3)) + 1 }, (_, i) => Math.floor(Math.min(...ys, -3)) + i)
    : niceTicks(ys.length ? Math.min(...ys) : 0, ys.length ? Math.max(...ys) : 1, 5);
  const [x0, x1, y0, y1] = [xt[0], xt[xt.length - 1], yt[0], yt[yt.length - 1]];
  const px = (v: number) => L + ((v - x0) / (x1 - x0 || 1)) * (W - L - R);
  const py = (v: number) => T + (1 - (f(v) - y0) / (y1 - y0 || 1)) * (H - T - B);
  const draw = (s: Series) => {
    const ok = s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y) && (!c.logY || y > 0));
    if (s.dots) return ok.map(([x, y]) => `<circle cx="${px(x).toFixed(1)}" cy="${py(y).toFixed(1)}" r="4" fill="${s.color}"/>`).join("");
    return ok.length ? `<path d="${ok.map(([x, y], i) => `${i ? "L" : "M"}${px(x).toFixed(1)},${py(y).toFixed(1)}`).join("")}" fill="none" stroke="${s.color}" stroke-width="1.5"/>` : "";
  };
  // each entry as wide as its name (about 7 px a character at 12 px)
  const at = c.series.map((_, i) => L + 8 + c.series.slice(0, i).reduce((w, s) => w + 36 + 7 * s.name.length, 0));
  const legend = c.series.map((s, i) => {
    const x = at[i];
    const mark = s.dots ? `<circle cx="${x + 6}" cy="34" r="4" fill="${s.color}"/>` : `<line x1="${x}" x2="${x + 14}" y1="34" y2="34" stroke="${s.color}" stroke-width="2"/>`;
    return `${mark}<text x="${x + 20}" y="38">${esc(s.name)}</text>`;
  }).join("");
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">
<rect width="${W}" height="${H}" fill="white"/>
<text x="${L}" y="18" font-size="14">${esc(c.title)}</text>
${legend}
${xt.map((t) => `<line x1="${px(t)}" x2="${px(t)}" y1="${T}" y2="${H - B}" stroke="#eee"/><text x="${px(t)}" y="${H - B + 16}" text-anchor="middle">${label(t)}</text>`).join("\n")}
${yt.map((t) => `<line x1="${L}" x2="${W - R}" y1="${py(c.logY ? 10 ** t : t)}" y2="${py(c.logY ? 10 ** t : t)}" stroke="#eee"/><text x="${L - 6}" y="${py(c.logY ? 10 ** t : t) + 4}" text-anchor="end">${c.logY ? `1e${t}` : label(t)}</text>`).join("\n")}
<text x="${(L + W - R) / 2}" y="${H - 8}" text-anchor="middle">${esc(c.xLabel)}</text>
<text x="14" y="${(T + H - B) / 2}" text-anchor="middle" transform="rotate(-90 14 ${(T + H - B) / 2})">${esc(c.yLabel)}</text>
${c.series.map(draw).join("\n")}
</svg>`;
}
