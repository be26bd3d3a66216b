/**
 * @file `npm run bench`: every case on our CPU and WebGPU backends and on the TensorFlow.js
 * peers (tfjs-cpu, tfjs-webgpu on the same adapter) in one run; warm-up, then timed
 * iterations; median, min and max; ratios against the peers computed within the run. Writes
 * JSON lines, a markdown table and an SVG chart to bench/results/<date>-<adapter>.*.
 * `--quick`: tiny sizes, one iteration each, nothing written (what `npm test` runs).
 * `--runs N` sets iterations; `--backend a,b` picks from cpu, webgpu, tfjs-cpu, tfjs-webgpu;
 * `--case TEXT` keeps the cases whose name contains TEXT.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { getBackend, setBackend } from "../src/index.ts";
import type { WebGpuBackend } from "../src/backends/webgpu/webgpu.ts";
import { cases, type Case } from "./cases.ts";
import { loadTf, peerCase, type PeerBackend } from "./peers.ts";
import { svgChart } from "./chart.ts";

export type BenchBackend = "cpu" | "webgpu" | PeerBackend;
export const ALL_BACKENDS: BenchBackend[] = ["cpu", "webgpu", "tfjs-cpu", "tfjs-webgpu"];

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
}

async function time(run: () => Promise<void>, runs: number): Promise<{ median: number; min: number; max: number }> {
  await run(); // warm-up: trace, plan, pipelines
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await run();
    times.push(performance.now() - t0);
  }
  times.sort((x, y) => x - y);
  return { median: times[Math.floor(times.length / 2)], min: times[0], max: times[times.length - 1] };
}

/** The runner of one case on one backend (ours or the peer's), or undefined if it has none. */
async function runner(backend: BenchBackend, c: Case): Promise<(() => Promise<void>) | undefined> {
  if (backend === "cpu" || backend === "webgpu") return c.setup();
  return peerCase(await loadTf(backend), c.key);
}

export async function runBench(opts: { quick: boolean; runs: number; backends: BenchBackend[]; filter?: string; log?: (line: string) => void }): Promise<Result[]> {
  const results: Result[] = [];
  const list = cases(opts.quick).filter((c) => !opts.filter || c.name.includes(opts.filter));
  let adapter = "cpu";
  for (const backend of opts.backends) {
    // our backend on the same device kind; for tfjs-webgpu it names the adapter they share
    const gpu = backend.endsWith("webgpu");
    await setBackend(gpu ? "webgpu" : "cpu");
    if (gpu) {
      const b = getBackend() as WebGpuBackend;
      adapter = `${b.info.vendor} ${b.info.architecture}${b.info.software ? " (software)" : ""}`;
    }
    for (const c of list) {
      const run = await runner(backend, c);
      if (!run) continue;
      const t = await time(run, opts.runs);
      const r: Result = {
        case: c.name, backend, adapter: gpu ? adapter : "cpu", runs: opts.runs,
        medianMs: t.median, minMs: t.min, maxMs: t.max, rate: (c.perIteration / t.median) * 1000, unit: `${c.unit}/s`,
      };
      results.push(r);
      opts.log?.(`${backend.padEnd(11)} ${c.name}: ${t.median.toFixed(1)} ms (${r.rate.toPrecision(3)} ${r.unit})`);
    }
  }
  await setBackend("cpu");
  return results;
}

/** Median ms per backend and our speed over the peer's on the same device (> 1: we are faster). */
export function markdown(results: Result[]): string {
  const names = [...new Set(results.map((r) => r.case))];
  const get = (n: string, b: BenchBackend) => results.find((r) => r.case === n && r.backend === b);
  const ms = (r?: Result) => (r ? r.medianMs.toFixed(1) : "–");
  const ratio = (a?: Result, b?: Result) => (a && b ? `${(b.medianMs / a.medianMs).toFixed(2)}×` : "–");
  const lines = [
    "| case | CPU ms | tfjs-cpu ms | CPU vs tfjs-cpu | WebGPU ms | tfjs-webgpu ms | WebGPU vs tfjs-webgpu |",
    "|---|---|---|---|---|---|---|",
  ];
  for (const n of names) {
    const [c, tc, g, tg] = (["cpu", "tfjs-cpu", "webgpu", "tfjs-webgpu"] as const).map((b) => get(n, b));
    lines.push(`| ${n} | ${ms(c)} | ${ms(tc)} | ${ratio(c, tc)} | ${ms(g)} | ${ms(tg)} | ${ratio(g, tg)} |`);
  }
  return lines.join("\n");
}

async function main() {
  const { values } = parseArgs({
    options: { quick: { type: "boolean", default: false }, runs: { type: "string" }, backend: { type: "string", default: ALL_BACKENDS.join(",") }, case: { type: "string" } },
  });
  const runs = Number(values.runs ?? (values.quick ? 1 : 5));
  const backends = values.backend!.split(",") as BenchBackend[];
  const bad = backends.filter((b) => !ALL_BACKENDS.includes(b));
  if (bad.length) throw new Error(`--backend: unknown ${bad.join(", ")}; choose from ${ALL_BACKENDS.join(", ")}`);
  const started = new Date();
  const results = await runBench({ quick: !!values.quick, runs, backends, filter: values.case, log: (l) => process.stderr.write(`${l}\n`) });
  const table = markdown(results);
  process.stdout.write(`${table}\n`);
  if (values.quick) return;
  const adapter = results.find((r) => r.backend.endsWith("webgpu"))?.adapter ?? "cpu";
  const stem = `bench/results/${started.toISOString().slice(0, 10)}-${adapter.replace(/[^a-z0-9]+/gi, "-").replace(/-+$/, "")}`;
  mkdirSync("bench/results", { recursive: true });
  const argv = process.argv.slice(2).join(" ");
  writeFileSync(`${stem}.jsonl`, results.map((r) => JSON.stringify(r)).join("\n") + "\n");
  writeFileSync(`${stem}.svg`, svgChart(results, `images/s per backend on ${adapter}, log scale`));
  writeFileSync(`${stem}.md`, [
    `# Benchmark ${started.toISOString()}`, "",
    `Command: \`npm run bench${argv ? ` -- ${argv}` : ""}\`; adapter: ${adapter}; machine: ${process.platform} ${process.arch}, Node ${process.version}.`,
    "Median of the timed runs after one warm-up; \"vs\" columns are the peer's time over ours (> 1× means webgpu-dl is faster).", "",
    table, "", `![images/s](${stem.split("/").pop()}.svg)`, "",
  ].join("\n"));
  process.stderr.write(`bench: wrote ${stem}.jsonl, .md and .svg\n`);
}

if (process.argv[1]?.endsWith("run.ts")) {
  main().then(() => process.exit(0), (e) => {
    process.stderr.write(`bench: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}\n`);
    process.exit(1);
  });
}
