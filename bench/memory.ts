/**
 * @file `npm run bench:memory`: trains LeNet-5 (Adam, real MNIST batches) for `--steps`
 * steps (1 000) and reports the GPU bytes the WebGPU backend holds and the JS heap (after a
 * full GC) at step 10 and at the end, with a verdict: flat or growing. Prints the table; with
 * `--save` also writes bench/results/memory-<backend>-<date>T<hhmmss>-<adapter>.md (a tracked
 * folder, so not by default). Flags: `--backend webgpu|cpu`, `--steps N`, `--batch B` (64),
 * `--every N` (also sample every N steps), `--save`; `--quick` is accepted and writes nothing.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { DataLoader, LeNet5, compileTrainStep, getBackend, loadMnist, manualSeed, optim, setBackend } from "../src/index.ts";
import type { WebGpuBackend } from "../src/backends/webgpu/webgpu.ts";
import { sizeClass } from "../src/backends/webgpu/buffers.ts";
import { resultStem, runAsScript } from "./run.ts";

export interface MemorySample {
  step: number;
  gpuBytes: number | null;
  heapBytes: number;
}

/** Heap growth allowed between step 10 and the end before the run counts as growing. */
export const HEAP_SLACK = 4 * 1024 * 1024;
/**
 * GPU growth allowed, in training steps: the pool only grows, and each step uploads a fresh
 * batch (images and labels) and returns fresh results (loss and logits), whose buffers come
 * back when the GC finalizes their tensors. When the GC runs late the pool makes one more
 * step's worth of buffers, once; a leak grows without bound. (Until 2026-11-23 the slack
 * counted the images alone; a 1 000-step run then grew by exactly two whole steps, 533 504
 * bytes, and was called growing.)
 */
export const GPU_SLACK_STEPS = 2;

export async function memoryRun(opts: { backend: "cpu" | "webgpu"; steps: number; batch: number; every?: number; log?: (l: string) => void }): Promise<{ samples: MemorySample[]; flat: boolean; adapter: string; gpuSlack: number }> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error("bench:memory needs node --expose-gc (npm run bench:memory passes it)");
  await setBackend(opts.backend);
  const b = getBackend() as Partial<WebGpuBackend>;
  const adapter = b.info ? `${b.info.vendor} ${b.info.architecture}${b.info.software ? " (software)" : ""}` : "cpu";
  const train = await loadMnist({ split: "train", limit: 60_000 });
  manualSeed(0);
  const model = new LeNet5();
  const step = compileTrainStep(model, new optim.Adam(model.parameters(), { lr: 1e-3 }));
  const samples: MemorySample[] = [];
  let gpuSlack = 0; // set from the first step's tensors
  const sample = async (n: number) => {
    // finalizers run after a GC, on a later task: collect, let them run, collect again
    gc();
    await new Promise((r) => setTimeout(r, 20));
    gc();
    const s = { step: n, gpuBytes: b.allocatedBytes ?? null, heapBytes: process.memoryUsage().heapUsed };
    samples.push(s);
    opts.log?.(`step ${n}: GPU ${s.gpuBytes === null ? "–" : `${(s.gpuBytes / 1024).toFixed(0)} KiB`}, JS heap ${(s.heapBytes / 2 ** 20).toFixed(1)} MiB`);
  };
  let n = 0;
  for (let epoch = 0; n < opts.steps; epoch++) {
    for (const { x, y } of new DataLoader(train.images, train.labels, [1, 28, 28], { batchSize: opts.batch, shuffle: true, seed: epoch, dropLast: true })) {
      const out = step(x, y);
      await out.loss.item();
      if (n === 0) gpuSlack = GPU_SLACK_STEPS * [x, y, out.loss, out.logits].reduce((a, t) => a + sizeClass(t.size * 4), 0);
      // what the step leaves behind goes back to the pool now, not when the GC gets to it
      for (const t of [x, y, out.loss, out.logits]) t.dispose();
      n++;
      if (n === 10 || n === opts.steps || (opts.every && n % opts.every === 0)) await sample(n);
      if (n === opts.steps) break;
    }
  }
  const first = samples.find((s) => s.step === 10)!, last = samples[samples.length - 1];
  const flat = last.heapBytes - first.heapBytes <= HEAP_SLACK && (first.gpuBytes === null || last.gpuBytes! - first.gpuBytes <= gpuSlack);
  return { samples, flat, adapter, gpuSlack };
}

async function main() {
  const { values } = parseArgs({ options: { backend: { type: "string", default: "webgpu" }, steps: { type: "string", default: "1000" }, batch: { type: "string", default: "64" }, every: { type: "string" }, quick: { type: "boolean", default: false }, save: { type: "boolean", default: false } } });
  const backend = values.backend as "cpu" | "webgpu";
  if (backend !== "cpu" && backend !== "webgpu") throw new Error(`--backend: expected cpu or webgpu, got ${values.backend}`);
  const steps = Number(values.steps), batch = Number(values.batch);
  if (!(steps >= 10)) throw new Error(`--steps: need at least 10, got ${values.steps}`);
  const started = new Date();
  const t0 = performance.now();
  const { samples, flat, adapter, gpuSlack } = await memoryRun({ backend, steps, batch, every: values.every ? Number(values.every) : undefined, log: (l) => process.stderr.write(`${l}\n`) });
  const seconds = (performance.now() - t0) / 1000;
  const rows = samples.map((s) => `| ${s.step} | ${s.gpuBytes === null ? "–" : s.gpuBytes.toLocaleString("en")} | ${s.heapBytes.toLocaleString("en")} |`);
  const verdict = flat ? "flat" : "GROWING";
  const md = [
    `# Memory over ${steps} LeNet-5 training steps, ${started.toISOString()}`, "",
    `Command: \`npm run bench:memory -- ${process.argv.slice(2).join(" ")}\`; backend ${backend} (${adapter}); batch ${batch}; Adam; real MNIST batches; ${seconds.toFixed(0)} s.`,
    `GPU bytes: what the WebGPU backend's buffer pool holds. JS heap: \`heapUsed\` after a full GC. Verdict: **${verdict}** (allowed growth from step 10: ${(gpuSlack / 1024).toFixed(1)} KiB GPU, the pool's size of ${GPU_SLACK_STEPS} steps' inputs and results waiting for the GC; ${HEAP_SLACK / 2 ** 20} MiB heap).`, "",
    "| step | GPU bytes | JS heap bytes |", "|---|---|---|", ...rows, "",
  ].join("\n");
  process.stdout.write(md);
  if (!flat) process.exitCode = 1;
  if (values.quick || !values.save) {
    if (!values.quick) process.stderr.write("bench:memory: not saved (pass --save to write bench/results/)\n");
    return;
  }
  mkdirSync("bench/results", { recursive: true });
  const stem = resultStem(`memory-${backend}-`, started, adapter);
  writeFileSync(`${stem}.md`, md);
  process.stderr.write(`bench:memory: wrote ${stem}.md\n`);
}

runAsScript("memory.ts", "bench:memory", main);
