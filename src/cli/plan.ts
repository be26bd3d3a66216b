/**
 * @file `npm run plan -- --model lenet5|lstm|textclf|charlm [--batch B]`: the compiled training
 * step of a shipped model, without running it: its kernels in order with dispatches, bytes
 * read and written and FLOPs, the dispatches per op, the device memory at peak, and the cost
 * model's estimate of the step's time on named GPUs (src/graph/cost.ts says how and where
 * each figure comes from). `--format json` prints the same as one JSON object.
 */
import { placeholder } from "../graph/ir.ts";
import { GPUS, HOST_READ_MS, HOST_READ_SOURCE, deviceBytes, estimateMs, planCosts, stepMs, summarize, type StepCost } from "../graph/cost.ts";
import type { DeviceCaps } from "../ops/types.ts";
import type { Module } from "../nn/module.ts";
import { LeNet5, type LeNetVariant } from "../models/lenet5.ts";
import { LSTMClassifier } from "../models/lstm_classifier.ts";
import { TextClassifier } from "../models/text_classifier.ts";
import { CharLM } from "../models/char_lm.ts";
import { Adam } from "../optim/adam.ts";
import { SGD } from "../optim/sgd.ts";
import { compileTrainStep } from "../train_step.ts";
import { manualSeed } from "../random.ts";
import type { Plan } from "../graph/plan.ts";
import { parseFlags } from "./flags.ts";

const USAGE = `usage: npm run plan -- [options]
  --model lenet5|lstm|textclf|charlm   the training step to show (default lenet5)
  --batch B                  batch size (default 64; 32 for textclf and charlm, as npm run train)
  --variant modern|classic   LeNet-5 variant (default modern)
  --optimizer adam|sgd       (default adam)
  --hidden H                 textclf/charlm hidden size (default 64 / 128)
  --cell lstm|gru            lstm and textclf: the recurrent cell (default lstm)
  --max-len L                textclf tokens per example (default 64)
  --seq-len T                charlm characters per window (default 64)
  --vocab V                  textclf/charlm vocabulary size (default 20000 / 100)
  --classes C                textclf classes (default 2)
  --adapter hardware|software  whose kernels (default hardware; software gets the "direct" matmul)
  --format table|json        tables (default), or one JSON object`;

export interface PlanReport {
  title: string;
  device: DeviceCaps;
  steps: StepCost[];
  dispatches: number;
  bytesRead: number;
  bytesWritten: number;
  flops: number;
  byOp: [string, number][];
  deviceBytes: number;
  /** The cost model's step time per GPU, ms, without and with one host read per step. */
  estimates: { gpu: string; ms: number; msWithRead: number; source: string }[];
}

export interface PlanOptions {
  model?: "lenet5" | "lstm" | "textclf" | "charlm";
  batch?: number;
  variant?: LeNetVariant;
  optimizer?: "adam" | "sgd";
  hidden?: number;
  cell?: "lstm" | "gru";
  maxLen?: number;
  seqLen?: number;
  vocab?: number;
  classes?: number;
  software?: boolean;
}

/** The shipped model's training step (as `npm run train` builds it) and its plan for one batch. */
export function trainingPlan(o: PlanOptions = {}): { title: string; plan: Plan } {
  manualSeed(0);
  const model = o.model ?? "lenet5";
  const batch = o.batch ?? (model === "textclf" || model === "charlm" ? 32 : 64);
  let net: Module, x: number[], xInt = false, y = [batch], what: string, clip: number | undefined;
  if (model === "lenet5") {
    net = new LeNet5(o.variant ?? "modern");
    x = [batch, 1, 28, 28];
    what = `LeNet-5 (${o.variant ?? "modern"})`;
  } else if (model === "lstm") {
    net = new LSTMClassifier(28, 128, 10, { cell: o.cell ?? "lstm" });
    x = [batch, 28, 28];
    what = `${(o.cell ?? "lstm").toUpperCase()} row classifier (28 steps, hidden 128)`;
  } else if (model === "textclf") {
    const tc = new TextClassifier(o.vocab ?? 20000, o.classes ?? 2, { hiddenSize: o.hidden ?? 64, cell: o.cell ?? "lstm" });
    net = tc;
    x = [batch, o.maxLen ?? 64];
    xInt = true;
    clip = 5;
    what = `text classifier (vocabulary ${tc.vocabSize}, ${tc.config.bidirectional ? "bidirectional " : ""}${tc.config.cell.toUpperCase()} ${tc.config.hiddenSize}, ${o.maxLen ?? 64} tokens)`;
  } else if (model === "charlm") {
    const lm = new CharLM(o.vocab ?? 100, { hiddenSize: o.hidden ?? 128 });
    net = lm;
    x = [batch, o.seqLen ?? 64];
    xInt = true;
    y = [batch, o.seqLen ?? 64];
    clip = 5;
    what = `character LSTM (vocabulary ${lm.vocabSize}, hidden ${lm.config.hiddenSize}, ${o.seqLen ?? 64} characters)`;
  } else {
    throw new TypeError(`plan: unknown model ${String(model)}; expected lenet5, lstm, textclf or charlm`);
  }
  const opt = o.optimizer === "sgd" ? new SGD(net.parameters(), { lr: 0.01, momentum: 0.9 }) : new Adam(net.parameters());
  // as npm run train builds it: with the meter the loop reads instead of every step's loss
  const step = compileTrainStep(net, opt, { clipGradNorm: clip, meter: model === "charlm" ? "loss" : "accuracy" });
  const plan = step.plan(placeholder(x, xInt ? "int32" : "float32"), placeholder(y, "int32"));
  return { title: `${what} training step, ${o.optimizer ?? "adam"}, batch ${batch}${clip ? `, clip ${clip}` : ""}`, plan };
}

/** The plan's costs on a device with these caps (a hardware adapter's by default). */
export function planReport(o: PlanOptions = {}): PlanReport {
  const { title, plan } = trainingPlan(o);
  const device: DeviceCaps = o.software ? { software: true, matmul: "direct" } : { software: false, matmul: "tiled" };
  const steps = planCosts(plan, device);
  const sum = summarize(steps);
  const estimates = GPUS.map((g) => ({ gpu: g.name, ms: estimateMs(steps, g, 0), msWithRead: estimateMs(steps, g, 1), source: g.source }));
  return { title, device, steps, ...sum, deviceBytes: deviceBytes(plan), estimates };
}

const kb = (n: number) => (n >= 1e6 ? `${(n / 1e6).toFixed(2)} MB` : `${(n / 1e3).toFixed(1)} kB`);
const fl = (n: number) => (n >= 1e9 ? `${(n / 1e9).toFixed(2)} G` : n >= 1e6 ? `${(n / 1e6).toFixed(2)} M` : `${(n / 1e3).toFixed(1)} k`);

export function formatReport(r: PlanReport): string {
  const lines = [`plan: ${r.title}; kernels for a ${r.device.software ? "software" : "hardware"} adapter (${r.device.matmul} matmul)`, ""];
  const h100 = GPUS.find((g) => g.name.includes("H100"))!;
  lines.push(`${"#".padStart(4)}  ${"op".padEnd(28)} ${"dispatches".padStart(10)} ${"read".padStart(10)} ${"written".padStart(10)} ${"FLOPs".padStart(9)} ${"H100 µs".padStart(8)}  kernels`);
  for (const s of r.steps) {
    if (s.dispatches === 0) continue;
    lines.push(`${String(s.index).padStart(4)}  ${s.op.padEnd(28)} ${String(s.dispatches).padStart(10)} ${kb(s.bytesRead).padStart(10)} ${kb(s.bytesWritten).padStart(10)} ${fl(s.flops).padStart(9)} ${(stepMs(s, h100) * 1e3).toFixed(0).padStart(8)}  ${[...new Set(s.kernels)].join(", ")}`);
  }
  lines.push("", `dispatches per op: ${r.byOp.map(([op, n]) => `${op} ${n}`).join(", ")}`);
  lines.push(`total: ${r.dispatches} dispatches, ${kb(r.bytesRead)} read, ${kb(r.bytesWritten)} written, ${fl(r.flops)}FLOP; device memory at peak ${kb(r.deviceBytes)} (inputs, outputs and the plan's slots)`);
  lines.push("", `estimated step time (cost model, src/graph/cost.ts: dispatches × overhead + max(bytes / bandwidth, FLOPs / peak) per kernel; + ${HOST_READ_MS} ms per host read):`);
  for (const e of r.estimates) lines.push(`  ${e.gpu.padEnd(24)} ${e.ms.toFixed(2).padStart(7)} ms   ${e.msWithRead.toFixed(2).padStart(7)} ms with a read every step`);
  lines.push("", "sources:", ...GPUS.map((g) => `  ${g.name}: ${g.source}`), `  host read: ${HOST_READ_SOURCE}`);
  return lines.join("\n");
}

function main(): void {
  const { values: v, int, oneOf } = parseFlags("plan", USAGE, {
    model: { type: "string", default: "lenet5" }, batch: { type: "string" }, variant: { type: "string", default: "modern" },
    optimizer: { type: "string", default: "adam" }, hidden: { type: "string" }, cell: { type: "string", default: "lstm" },
    "max-len": { type: "string" }, "seq-len": { type: "string" }, vocab: { type: "string" }, classes: { type: "string" },
    adapter: { type: "string", default: "hardware" }, format: { type: "string", default: "table" },
  });
  const report = planReport({
    model: oneOf("model", v.model!, ["lenet5", "lstm", "textclf", "charlm"] as const),
    batch: int("batch", v.batch, 1),
    variant: oneOf("variant", v.variant!, ["modern", "classic"] as const),
    optimizer: oneOf("optimizer", v.optimizer!, ["adam", "sgd"] as const),
    hidden: int("hidden", v.hidden, 1),
    cell: oneOf("cell", v.cell!, ["lstm", "gru"] as const),
    maxLen: int("max-len", v["max-len"], 1),
    seqLen: int("seq-len", v["seq-len"], 1),
    vocab: int("vocab", v.vocab, 3),
    classes: int("classes", v.classes, 2),
    software: oneOf("adapter", v.adapter!, ["hardware", "software"] as const) === "software",
  });
  const json = oneOf("format", v.format!, ["table", "json"] as const) === "json";
  process.stdout.write(json ? `${JSON.stringify(report)}\n` : `${formatReport(report)}\n`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    main();
  } catch (e) {
    process.stderr.write(`plan: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}\n`);
    process.exit(1);
  }
}
