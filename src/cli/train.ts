/**
 * @file `npm run train`: trains a model and reports its test score per epoch. With no flags:
 * LeNet-5 (modern) on real MNIST, Adam 1e-3, batch 64, one epoch. Each task (MNIST images,
 * labelled texts, a character corpus) lives in its own file; the whole training step
 * (forward, backward, clipping, optimizer update) is one compiled plan.
 */
import { setBackend, manualSeed } from "../index.ts";
import { autoBackendReason } from "../backends/backend.ts";
import type { CpuBackend } from "../backends/cpu.ts";
import { cpuThreads } from "../ops/cpu_fast.ts";
import { debugLevel, kernelTimeReport } from "../debug.ts";
import { parseTrainArgs, type TrainArgs } from "./args.ts";
import { readSafetensorsHeader } from "../io/safetensors.ts";
import { FormatError } from "../errors.ts";

/** --resume, checked before any data loads: the file is there and holds this --model (and --variant). */
async function checkResume(args: TrainArgs): Promise<void> {
  const { metadata } = await readSafetensorsHeader(args.resume!);
  const want = args.model === "textclf" || args.model === "bow" ? ["textclf", "bow"] : [args.model];
  if (metadata.model !== undefined && !want.includes(metadata.model)) {
    throw new FormatError(`${args.resume}: a checkpoint of --model ${metadata.model}, not ${args.model}; pass --model ${metadata.model} (and its data flags) to resume it`);
  }
  if (args.model === "lenet5" && metadata.variant && metadata.variant !== args.variant) {
    throw new FormatError(`${args.resume}: a LeNet-5 ${metadata.variant} checkpoint; pass --variant ${metadata.variant} to resume it`);
  }
}

/** "2 threads", or "one thread: why" (the fast mode's kernels). */
function cpuThreadsLine(b: CpuBackend): string {
  const { threads, note } = cpuThreads(b.caps);
  return threads === 1 ? (note ?? "1 thread") : `${threads} threads`;
}

async function main() {
  const args = parseTrainArgs();
  manualSeed(args.seed);
  if (args.resume) await checkResume(args);
  const backend = await setBackend(args.backend, { mode: args.cpuMode, threads: args.threads });
  const why = args.backend === "auto" ? ` (auto: ${autoBackendReason()})` : "";
  const mode = backend.name === "cpu" ? `, ${args.cpuMode} mode${args.cpuMode === "fast" ? ` (float32 SIMD kernels, ${cpuThreadsLine(backend as CpuBackend)}; --cpu-mode reference for float64 sums)` : ""}` : "";
  process.stderr.write(`train: backend ${backend.name}${why}${mode}\n`);
  const task = args.model === "textclf" || args.model === "bow" ? (await import("./task_textclf.ts")).trainTextClassifier
    : args.model === "charlm" ? (await import("./task_charlm.ts")).trainCharLM
    : args.model === "tagger" ? (await import("./task_tagger.ts")).trainTagger
    : args.model === "skipgram" ? (await import("./task_skipgram.ts")).trainSkipGram
    : (await import("./task_mnist.ts")).trainMnist;
  const finished = await task(args);
  if (debugLevel >= 1) process.stderr.write(`kernel times (WEBGPU_DL_DEBUG=${debugLevel}):\n${kernelTimeReport()}\n`);
  if (finished !== true) process.exit(finished === "SIGINT" ? 130 : 143);
}

main().catch((e) => {
  process.stderr.write(`train: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}\n`);
  process.exit(1);
});
