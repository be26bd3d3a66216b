/**
 * @file `npm run bench:gpu`: the one command for a machine with a hardware GPU. It refuses a
 * software adapter (SwiftShader's figures say nothing about a GPU; `npm run bench` is for
 * those), then measures, on that adapter:
 * - every `npm run bench` case and matmul 2048 and 4096, for webgpu-dl, tfjs-webgpu and
 *   jax-webgpu, in Node (Dawn);
 * - a full LeNet-5 epoch (60 000 MNIST images, batch 64, Adam) and an LSTM row-classifier epoch
 *   on webgpu-dl as `npm run train` runs them: the training set on the device, the meter read
 *   every 16 steps, no per-step host read;
 * - the same cases in headless Chromium on its hardware adapter (`bench:browser --gpu hardware`);
 * with the cost model's estimate (src/graph/cost.ts, for the GPU of its table the adapter
 * names, else the H100) beside each measured time, and matmul 4096 as a share of that GPU's
 * FP32 peak. Writes bench/results/gpu-<date>-<adapter>.{md,jsonl,svg}.
 * Flags: `--runs N` (default 5), `--no-browser`, `--quick` with `--allow-software` (a smoke
 * test at tiny sizes on any adapter, what `npm test` runs; its results go to --out, default
 * not written).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { compile, compileTrainStep, getBackend, manualSeed, setBackend, type Tensor } from "../src/index.ts";
import { placeholder } from "../src/graph/ir.ts";
import * as W from "../src/index.ts";
import type { WebGpuBackend } from "../src/backends/webgpu/webgpu.ts";
import { GPUS, HOST_READ_MS, estimateMs, planCosts, type GpuSpec } from "../src/graph/cost.ts";
import { planReport } from "../src/cli/plan.ts";
import { loadMnist, MNIST_MEAN, MNIST_STD } from "../src/data/mnist.ts";
import { DeviceLoader } from "../src/data/device_loader.ts";
import { LeNet5 } from "../src/models/lenet5.ts";
import { LSTMClassifier } from "../src/models/lstm_classifier.ts";
import { Adam } from "../src/optim/adam.ts";
import type { Module } from "../src/nn/module.ts";
import { markdown, runBench, type Result } from "./harness.ts";
import { cases, gpuMatmuls } from "./cases.ts";
import { svgChart } from "./chart.ts";
import { runBrowserBench } from "./browser.ts";
import { resultStem } from "./run.ts";

/** Exit status for a refused adapter (as the CLI's usage errors). */
export const REFUSED = 2;

/** The cost model's GPU for this adapter: the table's entry its description names, else the H100. */
export function gpuFor(description: string): GpuSpec {
  const d = description.toLowerCase();
  return GPUS.find((g) => g.name.toLowerCase().split(/[\s(]+/).some((w) => /\d/.test(w) && d.includes(w))) ?? GPUS.find((g) => g.name.includes("H100"))!;
}

interface Epoch {
  name: string;
  steps: number;
  images: number;
  ms: number;
  estimateMs: number;
  reads: number;
}

/** One epoch of `model` as npm run train runs it on WebGPU; the estimate is steps × the plan's. */
async function epoch(name: string, model: Module, exampleShape: number[], limit: number | undefined, plan: "lenet5" | "lstm", gpu: GpuSpec): Promise<Epoch> {
  const data = await loadMnist({ split: "train", limit });
  const loader = new DeviceLoader(data.pixels, data.labels, exampleShape, { batchSize: 64, shuffle: true, seed: 0, scale: 1 / (255 * MNIST_STD), shift: -MNIST_MEAN / MNIST_STD });
  const step = compileTrainStep(model, new Adam(model.parameters(), { lr: 1e-3 }), { meter: "accuracy" });
  // warm-up on the first batch (trace, plan, pipelines), then the meter starts from zero
  for (const { x, y } of loader.epochBatches(0)) {
    step(x, y);
    break;
  }
  await step.meter!.data();
  step.resetMeter();
  let steps = 0, reads = 0;
  const t0 = performance.now();
  for (const { x, y } of loader.epochBatches(1)) {
    step(x, y);
    if (++steps % 16 === 0) {
      await step.meter!.data();
      reads++;
    }
  }
  await step.meter!.data();
  const ms = performance.now() - t0;
  // the steps without a read each, and the meter's reads
  const per = planEstimate(plan, 64, gpu).ms;
  return { name, steps, images: data.count, ms, estimateMs: steps * per + (reads + 1) * HOST_READ_MS, reads: reads + 1 };
}

/** The cost model's time of a shipped model's training step on `gpu`, without and with a read. */
function planEstimate(model: "lenet5" | "lstm", batch: number, gpu: GpuSpec, cell: "lstm" | "gru" = "lstm"): { ms: number; msWithRead: number } {
  return planReport({ model, batch, cell }).estimates.find((e) => e.gpu === gpu.name)!;
}

/**
 * The cost model's estimate of a bench case's iteration on `gpu`, where the case has a plan:
 * each iteration reads its result back (bench/cases.ts), so the estimate includes one read.
 */
function estimateFor(r: Result, gpu: GpuSpec): number | undefined {
  const train = /^LeNet-5 train step .*batch (\d+)/.exec(r.case);
  if (train) return planEstimate("lenet5", Number(train[1]), gpu).msWithRead;
  const rnn = /^(LSTM|GRU) classifier train step, 28 steps, hidden 128, batch 64/.exec(r.case);
  if (rnn) return planEstimate("lstm", 64, gpu, rnn[1] === "GRU" ? "gru" : "lstm").msWithRead;
  const mm = /^matmul (\d+)$/.exec(r.case);
  if (mm) {
    const n = Number(mm[1]);
    const plan = compile((a: Tensor, b: Tensor) => W.matmul(a, b)).plan(placeholder([n, n], "float32"), placeholder([n, n], "float32"));
    return estimateMs(planCosts(plan, { software: false, matmul: "tiled" }), gpu, 1);
  }
  return undefined;
}

export interface GpuBenchOptions {
  runs: number;
  quick: boolean;
  allowSoftware: boolean;
  browser: boolean;
  log?: (line: string) => void;
}

export interface GpuBenchReport {
  adapter: string;
  gpu: GpuSpec;
  results: Result[];
  browser: { results: Result[]; browser: string } | { error: string } | null;
  epochs: Epoch[];
  markdown: string;
}

export async function runGpuBench(o: GpuBenchOptions): Promise<GpuBenchReport> {
  await setBackend("webgpu");
  const backend = getBackend() as WebGpuBackend;
  const info = backend.info;
  const adapter = `${info.vendor} ${info.architecture} ${info.description}`.trim();
  if (info.software && !o.allowSoftware) {
    throw Object.assign(new Error(`the WebGPU adapter is ${adapter || "unnamed"}, a software adapter: its figures say nothing about a GPU. Run bench:gpu on a machine with a hardware GPU (npm run bench measures this one)`), { exitCode: REFUSED });
  }
  const gpu = gpuFor(adapter);
  o.log?.(`bench:gpu: ${adapter}; cost model: ${gpu.name}`);
  const backends = ["webgpu", "tfjs-webgpu", "jax-webgpu"] as const;
  const results = await runBench({ quick: o.quick, runs: o.runs, backends: [...backends], log: o.log, list: [...cases(o.quick), ...gpuMatmuls(o.quick)] });
  manualSeed(0);
  await setBackend("webgpu");
  const limit = o.quick ? 256 : undefined;
  const epochs = [
    await epoch("LeNet-5 (modern), Adam 1e-3, batch 64", new LeNet5(), [1, 28, 28], limit, "lenet5", gpu),
    await epoch("LSTM row classifier (28 steps, hidden 128), Adam 1e-3, batch 64", new LSTMClassifier(), [28, 28], limit, "lstm", gpu),
  ];
  for (const e of epochs) o.log?.(`epoch ${e.name}: ${(e.ms / 1000).toFixed(2)} s for ${e.images} images (${e.steps} steps)`);
  let browser: GpuBenchReport["browser"] = null;
  if (o.browser) {
    try {
      browser = await runBrowserBench({ quick: o.quick, runs: o.runs, backends: [...backends], hardware: !info.software, log: o.log });
    } catch (e) {
      browser = { error: (e as Error).message };
    }
  }
  await setBackend("cpu");
  return { adapter, gpu, results, browser, epochs, markdown: render(adapter, gpu, results, browser, epochs, o) };
}

function render(adapter: string, gpu: GpuSpec, results: Result[], browser: GpuBenchReport["browser"], epochs: Epoch[], o: GpuBenchOptions): string {
  const estimates = results.filter((r) => r.backend === "webgpu").map((r) => ({ r, est: estimateFor(r, gpu) })).filter((x) => x.est !== undefined);
  const mm4096 = results.find((r) => r.backend === "webgpu" && r.case === "matmul 4096");
  const lenet = results.filter((r) => r.case.startsWith("LeNet-5 train step"));
  const ratio = (peer: string) => {
    const ours = lenet.find((r) => r.backend === "webgpu"), p = lenet.find((r) => r.backend === peer);
    return ours && p ? `${(p.medianMs / ours.medianMs).toFixed(2)}×` : "–";
  };
  return [
    `# bench:gpu ${new Date().toISOString()}`, "",
    `Adapter: **${adapter}**; cost model: ${gpu.name} (${gpu.source}). Node ${process.version}, ${o.runs} timed runs after a warm-up, medians.${o.quick ? " **--quick: tiny sizes, a smoke test, not a measurement.**" : ""}`, "",
    "## Every bench case in Node (Dawn)", "", markdown(results), "", "![images/s](chart.svg)", "",
    "## Measured against the cost model (webgpu-dl)", "",
    "Each iteration reads its result back, so each estimate includes one host read.", "",
    "| case | measured ms | estimate ms | measured / estimate |", "|---|---|---|---|",
    ...estimates.map(({ r, est }) => `| ${r.case} | ${r.medianMs.toFixed(2)} | ${est!.toFixed(2)} | ${(r.medianMs / est!).toFixed(2)} |`), "",
    "## Training epochs (webgpu-dl, as npm run train: data on the device, the meter read every 16 steps)", "",
    "| epoch | images | steps | seconds | ms a step | estimate s | host reads |", "|---|---|---|---|---|---|---|",
    ...epochs.map((e) => `| ${e.name} | ${e.images} | ${e.steps} | ${(e.ms / 1000).toFixed(2)} | ${(e.ms / e.steps).toFixed(2)} | ${(e.estimateMs / 1000).toFixed(2)} | ${e.reads} |`), "",
    "## Targets (issue #18)", "",
    `- LeNet-5 full epoch ≤ 1.5 s on an H100/H200-class GPU: ${epochs[0] ? `${(epochs[0].ms / 1000).toFixed(2)} s` : "–"}`,
    `- LeNet-5 step ≥ 5× tfjs-webgpu and ≥ 2× jax-js: ${ratio("tfjs-webgpu")} and ${ratio("jax-webgpu")}`,
    `- matmul 4096 ≥ 30 % of FP32 peak (${gpu.fp32Tflops} TFLOPS): ${mm4096 ? `${((100 * mm4096.rate) / (gpu.fp32Tflops * 1000)).toFixed(1)} %` : "–"}`, "",
    "## Headless Chromium on the same machine", "",
    ...(browser === null ? ["(not run: --no-browser)"] : "error" in browser ? [`Failed: ${browser.error}`] : [`${browser.browser}:`, "", markdown(browser.results)]), "",
  ].join("\n");
}

async function main() {
  const { values } = parseArgs({
    options: { runs: { type: "string", default: "5" }, quick: { type: "boolean", default: false }, "allow-software": { type: "boolean", default: false }, "no-browser": { type: "boolean", default: false }, out: { type: "string" } },
  });
  const runs = Number(values.runs);
  if (!(Number.isInteger(runs) && runs >= 1)) throw Object.assign(new Error(`--runs must be a whole number ≥ 1, got "${values.runs}"`), { exitCode: REFUSED });
  if (values.quick && !values["allow-software"]) throw Object.assign(new Error("--quick is a smoke test: give it with --allow-software"), { exitCode: REFUSED });
  const started = new Date();
  const r = await runGpuBench({ runs, quick: values.quick!, allowSoftware: values["allow-software"]!, browser: !values["no-browser"], log: (l) => process.stderr.write(`${l}\n`) });
  process.stdout.write(`${r.markdown}\n`);
  if (values.quick && !values.out) return;
  const stem = values.out ? `${values.out}/gpu` : resultStem("gpu-", started, r.adapter);
  mkdirSync(stem.slice(0, stem.lastIndexOf("/")), { recursive: true });
  const chart = `${stem.split("/").pop()}.svg`;
  writeFileSync(`${stem}.md`, r.markdown.replace("(chart.svg)", `(${chart})`));
  writeFileSync(`${stem}.svg`, svgChart(r.results, `images/s on ${r.adapter}, log scale`));
  writeFileSync(`${stem}.jsonl`, [...r.results, ...r.epochs.map((e) => ({ epoch: e }))].map((x) => JSON.stringify(x)).join("\n") + "\n");
  process.stderr.write(`bench:gpu: wrote ${stem}.md, .svg and .jsonl\n`);
}

if (process.argv[1]?.endsWith("gpu.ts")) {
  main().then(() => process.exit(0), (e) => {
    process.stderr.write(`bench:gpu: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit((e as { exitCode?: number }).exitCode ?? 1);
  });
}
