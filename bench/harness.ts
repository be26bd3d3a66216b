/**
 * @file The benchmark loop, shared by Node (`npm run bench`, run.ts) and the browser
 * (`npm run bench:browser`, browser/page.ts): every case on each backend, warm-up then timed
 * iterations, median/min/max, and the markdown table with the ratios against the peers.
 * Nothing here touches Node's APIs.
 */
import { getBackend, setBackend } from "../src/index.ts";
import { debugLevel, kernelTimes, resetKernelTimes, setDebugLevel } from "../src/debug.ts";
import type { WebGpuBackend } from "../src/backends/webgpu/webgpu.ts";
import { cases, type Case } from "./cases.ts";
import { loadTf, peerCase, type PeerBackend } from "./peers.ts";
import { jaxCase, loadJax, type JaxBackend } from "./peers_jax.ts";

/**
 * Ours: "cpu" (the reference mode), "cpu-fast" (the fast mode: float32 WebAssembly kernels on
 * every core), "webgpu"; the peers: tfjs, jax-js and, in Node where Python has torch,
 * PyTorch on the CPU ("torch-cpu", bench/torch_peer.ts).
 */
export type BenchBackend = "cpu" | "cpu-fast" | "webgpu" | PeerBackend | JaxBackend | "torch-cpu";
export const ALL_BACKENDS: BenchBackend[] = ["cpu", "cpu-fast", "webgpu", "tfjs-cpu", "tfjs-webgpu", "jax-wasm", "jax-webgpu", "torch-cpu"];
type Ours = "cpu" | "cpu-fast" | "webgpu";
/** The peers, each beside our backends on the same device kind. */
export const PEERS: Record<Ours, BenchBackend[]> = { cpu: ["tfjs-cpu", "jax-wasm", "torch-cpu"], "cpu-fast": ["tfjs-cpu", "jax-wasm", "torch-cpu"], webgpu: ["tfjs-webgpu", "jax-webgpu"] };
const isOurs = (b: BenchBackend): b is Ours => b === "cpu" || b === "cpu-fast" || b === "webgpu";

/** A peer timed outside this process (PyTorch): median, min and max ms of `runs` samples, or undefined where it has no such case. */
export type ExternalTimer = (c: Case, runs: number) => Promise<{ median: number; min: number; max: number } | undefined>;

export interface Result {
  case: string;
  backend: BenchBackend;
  adapter: string;
  runs: number;
  medianMs: number;
  minMs: number;
  maxMs: number;
  rate: number;
  unit: string;
  /** With --profile (our backends): ms and calls per iteration of each kernel, slowest first. */
  profile?: { name: string; ms: number; calls: number }[];
}

/**
 * A sample lasts at least this long: a run shorter than that (a tiny matmul; a browser's
 * performance.now() ticks in 0.1 ms) is repeated and the sample is the mean, so no time is 0.
 */
const MIN_SAMPLE_MS = 2;
/**
 * The warm-up: at least this many runs and this long (bench/torch/cases.py does the same).
 * The first run traces, plans and builds pipelines; WebAssembly is compiled by a baseline tier
 * first and optimised while it runs, so the CPU fast mode's first ~5 LeNet-5 steps are 4–1.5×
 * its steady step, which one warm-up run left in the median.
 */
const WARM_RUNS = 3, WARM_MS = 300;

async function time(run: () => Promise<void>, runs: number, quick: boolean): Promise<{ median: number; min: number; max: number }> {
  // --quick (a smoke test): one warm-up run
  for (let i = 0, t0 = performance.now(); i < 1 || (!quick && (i < WARM_RUNS || performance.now() - t0 < WARM_MS)); i++) await run();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    let reps = 0;
    do {
      await run();
      reps++;
    } while (performance.now() - t0 < MIN_SAMPLE_MS);
    times.push((performance.now() - t0) / reps);
  }
  times.sort((x, y) => x - y);
  return { median: times[Math.floor(times.length / 2)], min: times[0], max: times[times.length - 1] };
}

/** The runner of one case on one backend (ours or the peer's), or undefined if it has none. */
async function runner(backend: BenchBackend, c: Case): Promise<(() => Promise<void>) | undefined> {
  if (isOurs(backend)) return c.setup();
  if (backend === "torch-cpu") return undefined;
  if (backend === "jax-wasm" || backend === "jax-webgpu") return jaxCase(await loadJax(backend), c.key);
  return peerCase(await loadTf(backend), c.key);
}

/**
 * Per-kernel time per iteration: `runs` more iterations with kernel timing on (each WebGPU
 * dispatch its own submit, so the total is above the untimed median; the shares are the point).
 */
async function profileRuns(run: () => Promise<void>, runs: number): Promise<Result["profile"]> {
  const level = debugLevel;
  setDebugLevel(Math.max(level, 1));
  resetKernelTimes();
  try {
    for (let i = 0; i < runs; i++) await run();
  } finally {
    setDebugLevel(level);
  }
  const rows = kernelTimes().map((k) => ({ name: k.name, ms: k.ms / runs, calls: k.calls / runs }));
  resetKernelTimes();
  return rows;
}

/** Runs the cases (`list`, default `cases(quick)`, kept by `filter`) on each backend in turn. */
export async function runBench(opts: { quick: boolean; runs: number; backends: BenchBackend[]; filter?: string; profile?: boolean; log?: (line: string) => void; list?: Case[]; external?: Partial<Record<BenchBackend, ExternalTimer>> }): Promise<Result[]> {
  const results: Result[] = [];
  const list = (opts.list ?? cases(opts.quick)).filter((c) => !opts.filter || c.name.includes(opts.filter));
  let adapter = "cpu";
  for (const backend of opts.backends) {
    // our backend on the same device kind; for tfjs-webgpu it names the adapter they share
    const gpu = backend.endsWith("webgpu");
    await setBackend(gpu ? "webgpu" : "cpu", { mode: backend === "cpu-fast" ? "fast" : "reference" });
    const external = opts.external?.[backend];
    if (backend === "torch-cpu" && !external) throw new Error("bench: torch-cpu runs in Node only (npm run bench), through Python with torch");
    if (gpu) {
      const b = getBackend() as WebGpuBackend;
      adapter = `${b.info.vendor} ${b.info.architecture}${b.info.software ? " (software)" : ""}`;
    }
    for (const c of list) {
      const run = external ? null : await runner(backend, c);
      const t = external ? await external(c, opts.runs) : run ? await time(run, opts.runs, opts.quick) : undefined;
      if (!t) continue;
      const r: Result = {
        case: c.name, backend, adapter: gpu ? adapter : "cpu", runs: opts.runs,
        medianMs: t.median, minMs: t.min, maxMs: t.max, rate: (c.perIteration / t.median) * 1000, unit: `${c.unit}/s`,
      };
      results.push(r);
      opts.log?.(`${backend.padEnd(11)} ${c.name}: ${t.median.toFixed(1)} ms (${r.rate.toPrecision(3)} ${r.unit})`);
      if (opts.profile && run && isOurs(backend)) {
        r.profile = await profileRuns(run, opts.runs);
        opts.log?.(profileTable(r, 8));
      }
    }
  }
  await setBackend("cpu", { mode: "reference" });
  return results;
}

/**
 * Median ms per backend and our speed over each peer's on the same device (> 1: we are
 * faster): per device kind, our column, then each peer's ms and ratio. A peer (or a device
 * kind) that did not run at all drops its columns; one without a case shows "–".
 */
export function markdown(results: Result[]): string {
  const names = [...new Set(results.map((r) => r.case))];
  const get = (n: string, b: BenchBackend) => results.find((r) => r.case === n && r.backend === b);
  const ms = (r?: Result) => (r ? r.medianMs.toFixed(1) : "–");
  const ratio = (a?: Result, b?: Result) => (a && b ? `${(b.medianMs / a.medianMs).toFixed(2)}×` : "–");
  const ran = new Set(results.map((r) => r.backend));
  const label = { cpu: "CPU", "cpu-fast": "CPU fast", webgpu: "WebGPU" } as const;
  // a device kind none of whose backends ran drops out; ours keeps its column when a peer ran
  // (the fast mode's only when it ran); a peer's ms is shown once, its ratios beside each of ours
  const groups = (["cpu", "cpu-fast", "webgpu"] as const).filter((o) => o !== "cpu-fast" || ran.has(o))
    .map((ours) => ({ ours, peers: PEERS[ours].filter((p) => ran.has(p)) })).filter((g) => ran.has(g.ours) || g.peers.length > 0);
  const shown = new Set<BenchBackend>();
  const cols = groups.map((g) => ({ ...g, peers: g.peers.map((p) => ({ p, ms: !shown.has(p) && shown.add(p) !== undefined })) }));
  const head = cols.flatMap((g) => [`${label[g.ours]} ms`, ...g.peers.flatMap(({ p, ms }) => [...(ms ? [`${p} ms`] : []), `${label[g.ours]} vs ${p}`])]);
  const lines = [`| case | ${head.join(" | ")} |`, `|---|${head.map(() => "---|").join("")}`];
  for (const n of names) {
    const cells = cols.flatMap((g) => {
      const o = get(n, g.ours);
      return [ms(o), ...g.peers.flatMap(({ p, ms: show }) => [...(show ? [ms(get(n, p))] : []), ratio(o, get(n, p))])];
    });
    lines.push(`| ${n} | ${cells.join(" | ")} |`);
  }
  return lines.join("\n");
}

/** The slowest `top` kernels of a profiled result: ms per iteration, share, calls per iteration. */
export function profileTable(r: Result, top = 12): string {
  const rows = r.profile ?? [];
  const total = rows.reduce((a, k) => a + k.ms, 0);
  const lines = [`${r.backend} ${r.case}: ${total.toFixed(1)} ms of timed kernels per iteration`, "", "| kernel | ms | share | calls |", "|---|---|---|---|"];
  for (const k of rows.slice(0, top)) lines.push(`| ${k.name} | ${k.ms.toFixed(2)} | ${((100 * k.ms) / total).toFixed(1)} % | ${+k.calls.toFixed(2)} |`);
  if (rows.length > top) {
    const rest = rows.slice(top);
    const ms = rest.reduce((a, k) => a + k.ms, 0);
    lines.push(`| ${rest.length} others | ${ms.toFixed(2)} | ${((100 * ms) / total).toFixed(1)} % | ${+rest.reduce((a, k) => a + k.calls, 0).toFixed(2)} |`);
  }
  return lines.join("\n");
}
