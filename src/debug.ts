/**
 * @file The one debug knob: WEBGPU_DL_DEBUG=1|2|3 in Node (or `?debug=` in a page URL).
 * 1: per-kernel names and timings; 2: also the WGSL of each pipeline; 3: also the graph
 * before and after planning. Output goes to the console, never on by default.
 */
function readLevel(): number {
  const g = globalThis as { process?: { env?: Record<string, string | undefined> }; location?: { search?: string } };
  const fromEnv = g.process?.env?.WEBGPU_DL_DEBUG;
  const fromUrl = g.location?.search ? new URLSearchParams(g.location.search).get("debug") : null;
  const n = Number(fromEnv ?? fromUrl ?? 0);
  return Number.isFinite(n) ? n : 0;
}

export let debugLevel = readLevel();

/** Sets the debug level at run time (the benchmark's --profile turns timing on per case). */
export function setDebugLevel(level: number): void {
  debugLevel = level;
}

/** Accumulated time per kernel name, printed by `printKernelTimes`. */
const times = new Map<string, { ms: number; calls: number }>();

export function recordKernelTime(name: string, ms: number): void {
  const t = times.get(name) ?? { ms: 0, calls: 0 };
  t.ms += ms;
  t.calls++;
  times.set(name, t);
}

/** Forgets the kernel times recorded so far. */
export function resetKernelTimes(): void {
  times.clear();
}

/** Kernel times so far, slowest first. */
export function kernelTimes(): { name: string; ms: number; calls: number }[] {
  return [...times].map(([name, t]) => ({ name, ...t })).sort((a, b) => b.ms - a.ms);
}

/** A table of kernel times so far, slowest first (empty unless WEBGPU_DL_DEBUG ≥ 1). */
export function kernelTimeReport(): string {
  const rows = kernelTimes();
  const total = rows.reduce((a, t) => a + t.ms, 0);
  return rows.map((t) => `${t.name.padEnd(28)} ${t.ms.toFixed(1).padStart(9)} ms ${((100 * t.ms) / total).toFixed(1).padStart(5)}% ${String(t.calls).padStart(7)} calls`).join("\n");
}
