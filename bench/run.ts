/**
 * @file `npm run bench`: every case on our CPU and WebGPU backends and on the peers
 * (TensorFlow.js: tfjs-cpu, tfjs-webgpu; jax-js: jax-wasm, jax-webgpu; WebGPU on the same
 * adapter) in one run; warm-up, then timed
 * iterations; median, min and max; ratios against the peers computed within the run. Writes
 * JSON lines, a markdown table and an SVG chart to bench/results/<date>T<hhmmss>-<adapter>.*.
 * `--quick`: tiny sizes, one iteration each, nothing written (what `npm test` runs).
 * `--runs N` sets iterations; `--backend a,b` picks from cpu, cpu-fast (the CPU backend's fast
 * mode), webgpu, tfjs-cpu, tfjs-webgpu, jax-wasm, jax-webgpu, torch-cpu (PyTorch, where a
 * Python has torch: bench/torch_peer.ts);
 * `--case TEXT` keeps the cases whose name contains TEXT. `--profile` adds, for our backends,
 * the time per kernel (from WEBGPU_DL_DEBUG timing) to the log and the markdown.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { parseArgs } from "node:util";
import { ALL_BACKENDS, markdown, profileTable, runBench, type BenchBackend, type Result } from "./harness.ts";
import { svgChart } from "./chart.ts";
import { planReport, type PlanReport } from "../src/cli/plan.ts";
import { pythonWithTorch, torchScript, torchTimer } from "./torch_peer.ts";

/** bench/results/<prefix><date>T<hhmmss>-<adapter>: runs do not overwrite each other, even in one minute. */
export function resultStem(prefix: string, started: Date, adapter: string): string {
  const when = started.toISOString().slice(0, 19).replace(/:/g, "");
  return `bench/results/${prefix}${when}-${adapter.replace(/[^a-z0-9]+/gi, "-").replace(/-+$/, "")}`;
}

/**
 * Writes bench/results/<prefix><date>-<adapter>.{jsonl,md,svg}: the raw results, the table
 * with how it was made, and the chart.
 */
export function writeResults(results: Result[], how: { started: Date; command: string; where: string; prefix: string }): void {
  const adapter = results.find((r) => r.backend.endsWith("webgpu"))?.adapter ?? "cpu";
  const stem = resultStem(how.prefix, how.started, adapter);
  mkdirSync("bench/results", { recursive: true });
  const plans = trainingPlans(results);
  writeFileSync(`${stem}.jsonl`, [...results, ...plans.map(({ steps: _, ...p }) => ({ plan: p }))].map((r) => JSON.stringify(r)).join("\n") + "\n");
  writeFileSync(`${stem}.svg`, svgChart(results, `images/s per backend on ${adapter}, log scale`));
  writeFileSync(`${stem}.md`, [
    `# Benchmark ${how.started.toISOString()}`, "",
    `Command: \`${how.command}\`; adapter: ${adapter}; machine: ${process.platform} ${process.arch}, ${how.where}.`,
    "Median of the timed runs after a warm-up (at least 3 runs and 300 ms, the same for PyTorch, whose figure is the lower median of two tries after a 0.5 s pause: its busy-waiting threads are slowed 4–5× by any other thread on these cores); \"vs\" columns are the peer's time over ours (> 1× means webgpu-dl is faster).", "",
    markdown(results), "", `![images/s](${stem.split("/").pop()}.svg)`, "",
    ...profiles(results),
    ...planSection(plans, results),
  ].join("\n"));
  process.stderr.write(`bench: wrote ${stem}.jsonl, .md and .svg\n`);
}

/** `npm run plan`'s figures for the training-step cases that ran (at their batch). */
function trainingPlans(results: Result[]): PlanReport[] {
  const out: PlanReport[] = [];
  for (const [model, re] of [["lenet5", /^LeNet-5 train step .*batch (\d+)/], ["lstm", /^LSTM classifier train step, 28 steps, hidden 128, batch (\d+)/]] as const) {
    const m = results.map((r) => re.exec(r.case)).find((x) => x);
    if (m) out.push(planReport({ model, batch: Number(m[1]) }));
  }
  return out;
}

/** The plans of the training steps measured above, and the cost model's estimate beside the times. */
function planSection(plans: PlanReport[], results: Result[]): string[] {
  if (plans.length === 0) return [];
  const lines = ["## The training steps' plans (npm run plan) and the cost model", "",
    "Counted on the plan (a hardware adapter's kernels, with the meter `npm run train` adds); the estimate is src/graph/cost.ts's roofline, without a host read.", "",
    `| step | dispatches | MB read | MB written | MFLOP | ${plans[0].estimates.map((e) => `${e.gpu} ms`).join(" | ")} | measured here (webgpu) ms |`,
    `|---|---|---|---|---|${plans[0].estimates.map(() => "---|").join("")}---|`];
  for (const p of plans) {
    const measured = results.find((r) => r.backend === "webgpu" && r.case.startsWith(p.title.startsWith("LeNet") ? "LeNet-5 train step" : "LSTM classifier train step"));
    lines.push(`| ${p.title} | ${p.dispatches} | ${(p.bytesRead / 1e6).toFixed(2)} | ${(p.bytesWritten / 1e6).toFixed(2)} | ${(p.flops / 1e6).toFixed(1)} | ${p.estimates.map((e) => e.ms.toFixed(2)).join(" | ")} | ${measured ? measured.medianMs.toFixed(1) : "–"} |`);
  }
  return [...lines, ""];
}

/** The "where the time goes" section: one kernel table per profiled result. */
function profiles(results: Result[]): string[] {
  const profiled = results.filter((r) => r.profile);
  if (profiled.length === 0) return [];
  return ["## Where the time goes (--profile)", "", "Kernel times from a second set of runs with per-dispatch timing (WebGPU: one submit per dispatch, so totals exceed the medians above).", "",
    ...profiled.flatMap((r) => [profileTable(r), ""])];
}

/** The torch-cpu peer's timer, or an error that says what is missing. */
function torchPeer() {
  const script = torchScript();
  if (!script) throw new Error("--backend torch-cpu: bench/torch/cases.py is not here (the built package has no PyTorch peer; run it from a checkout)");
  const py = pythonWithTorch();
  if (!py) throw new Error("--backend torch-cpu: no Python with torch (python3, python); Debian 12: apt-get install -y python3-torch");
  return torchTimer(py, script);
}

/** The peers whose packages resolve from here (all of them in a checkout; none, unless added, in an installed package). */
function installedBackends(): BenchBackend[] {
  const req = createRequire(import.meta.url);
  const has = (pkg: string) => { try { req.resolve(pkg); return true; } catch { return false; } };
  const tf = has("@tensorflow/tfjs-core") && has("@tensorflow/tfjs-backend-webgpu"), jax = has("@jax-js/jax");
  return ALL_BACKENDS.filter((b) => (b.startsWith("tfjs") ? tf : b.startsWith("jax") ? jax : b === "torch-cpu" ? torchScript() !== null && pythonWithTorch() !== null : true));
}

/** The flags `npm run bench` and `npm run bench:browser` share, checked; `extra` adds more. */
export function benchFlags(extra: Record<string, { type: "string"; default: string }> = {}) {
  const { values } = parseArgs({
    options: { quick: { type: "boolean", default: false }, profile: { type: "boolean", default: false }, runs: { type: "string" }, backend: { type: "string", default: installedBackends().join(",") }, case: { type: "string" }, ...extra },
  });
  const v = values as unknown as { quick: boolean; profile: boolean; runs?: string; backend: string; case?: string } & Record<string, string>;
  const backends = v.backend.split(",") as BenchBackend[];
  const bad = backends.filter((b) => !ALL_BACKENDS.includes(b));
  if (bad.length) throw new Error(`--backend: unknown ${bad.join(", ")}; choose from ${ALL_BACKENDS.join(", ")}`);
  return { quick: v.quick, profile: v.profile, runs: Number(v.runs ?? (v.quick ? 1 : 5)), backends, filter: v.case, values: v };
}

/** Prints the table; unless --quick, writes the results files, naming `script` as the command. */
export function report(results: Result[], how: { quick: boolean; started: Date; script: string; where: string; prefix: string }): void {
  process.stdout.write(`${markdown(results)}\n`);
  if (how.quick) return;
  const argv = process.argv.slice(2).join(" ");
  writeResults(results, { started: how.started, command: `npm run ${how.script}${argv ? ` -- ${argv}` : ""}`, where: how.where, prefix: how.prefix });
}

/** Runs a bench command's main when its file is the script: exit 0, or 1 with the error on stderr. */
export function runAsScript(file: string, name: string, main: () => Promise<void>): void {
  if (!process.argv[1]?.endsWith(file)) return;
  main().then(() => process.exit(process.exitCode ?? 0), (e) => {
    process.stderr.write(`${name}: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
}

/** `npm run bench` (and `npx webgpu-dl bench` from the built package, whose default is our backends and the peers installed beside it). */
export async function main() {
  const { quick, runs, backends, filter, profile } = benchFlags();
  if (quick) process.stderr.write("bench: --quick is a smoke test (tiny sizes, one iteration each, nothing written): its times say nothing about speed\n");
  const started = new Date();
  const external = backends.includes("torch-cpu") ? { "torch-cpu": torchPeer() } : undefined;
  const results = await runBench({ quick, runs, backends, filter, profile, external, log: (l) => process.stderr.write(`${l}\n`) });
  report(results, { quick, started, script: "bench", where: `Node ${process.version}`, prefix: "" });
}

runAsScript("run.ts", "bench", main);
