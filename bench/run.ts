/**
 * @file `npm run bench`: every case on the CPU and WebGPU backends in one run; warm-up, then
 * timed iterations; median, min and max; ratios computed within the run. Writes JSON lines
 * and a markdown table to bench/results/<date>-<adapter>.{jsonl,md}. `--quick`: tiny sizes,
 * one iteration each, nothing written (what `npm test` runs). `--runs N` sets iterations.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { getBackend, setBackend } from "../src/index.ts";
import type { WebGpuBackend } from "../src/backends/webgpu/webgpu.ts";
import { cases } from "./cases.ts";

export interface Result {
  case: string;
  backend: string;
  adapter: string;
  runs: number;
  medianMs: number;
  minMs: number;
  maxMs: number;
  rate: number;
  unit: string;
}

export async function runBench(opts: { quick: boolean; runs: number; backends: ("cpu" | "webgpu")[] }): Promise<Result[]> {
  const results: Result[] = [];
  for (const backend of opts.backends) {
    await setBackend(backend);
    const b = getBackend() as WebGpuBackend;
    const adapter = backend === "webgpu" ? `${b.info.vendor} ${b.info.architecture}${b.info.software ? " (software)" : ""}` : "cpu";
    for (const c of cases(opts.quick)) {
      const run = await c.setup();
      await run(); // warm-up: trace, plan, pipelines
      const times: number[] = [];
      for (let i = 0; i < opts.runs; i++) {
        const t0 = performance.now();
        await run();
        times.push(performance.now() - t0);
      }
      times.sort((x, y) => x - y);
      const median = times[Math.floor(times.length / 2)];
      results.push({ case: c.name, backend, adapter, runs: opts.runs, medianMs: median, minMs: times[0], maxMs: times[times.length - 1], rate: (c.perIteration / median) * 1000, unit: `${c.unit}/s` });
    }
  }
  await setBackend("cpu");
  return results;
}

export function markdown(results: Result[]): string {
  const names = [...new Set(results.map((r) => r.case))];
  const get = (n: string, b: string) => results.find((r) => r.case === n && r.backend === b);
  const lines = ["| case | CPU median ms | WebGPU median ms | WebGPU ÷ CPU speed | rate (CPU / WebGPU) |", "|---|---|---|---|---|"];
  for (const n of names) {
    const c = get(n, "cpu");
    const g = get(n, "webgpu");
    const ratio = c && g ? (c.medianMs / g.medianMs).toFixed(2) + "×" : "–";
    const rate = [c, g].map((r) => (r ? `${r.rate.toPrecision(3)} ${r.unit}` : "–")).join(" / ");
    lines.push(`| ${n} | ${c?.medianMs.toFixed(1) ?? "–"} | ${g?.medianMs.toFixed(1) ?? "–"} | ${ratio} | ${rate} |`);
  }
  return lines.join("\n");
}

async function main() {
  const { values } = parseArgs({ options: { quick: { type: "boolean", default: false }, runs: { type: "string" }, backend: { type: "string", default: "cpu,webgpu" } } });
  const runs = Number(values.runs ?? (values.quick ? 1 : 5));
  const backends = values.backend!.split(",") as ("cpu" | "webgpu")[];
  const results = await runBench({ quick: !!values.quick, runs, backends });
  const table = markdown(results);
  process.stdout.write(`${table}\n`);
  if (values.quick) return;
  const adapter = results.find((r) => r.backend === "webgpu")?.adapter ?? "cpu";
  const stem = `bench/results/${new Date().toISOString().slice(0, 10)}-${adapter.replace(/[^a-z0-9]+/gi, "-").replace(/-+$/, "")}`;
  mkdirSync("bench/results", { recursive: true });
  writeFileSync(`${stem}.jsonl`, results.map((r) => JSON.stringify(r)).join("\n") + "\n");
  writeFileSync(`${stem}.md`, `# Benchmark ${new Date().toISOString()}\n\nCommand: \`npm run bench -- --runs ${runs}\`; adapter: ${adapter}; machine: ${process.platform} ${process.arch}, Node ${process.version}.\n\n${table}\n`);
  process.stderr.write(`bench: wrote ${stem}.jsonl and ${stem}.md\n`);
}

if (process.argv[1]?.endsWith("run.ts")) {
  main().catch((e) => {
    process.stderr.write(`bench: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}\n`);
    process.exit(1);
  });
}
