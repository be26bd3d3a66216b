/**
 * @file The classifier a checkpoint of `npm run train` holds, rebuilt from its metadata and
 * loaded: what `predict` and `export` start from. LeNet-5 (its variant and head size), the
 * LSTM row classifier, the VGG-style CNN, the text classifier and its bag-of-words baseline; the class names
 * (digits, or a text classifier's labels) come with it.
 */
import { FormatError } from "../errors.ts";
import { loadSafetensors } from "../io/safetensors.ts";
import { LeNet5, type LeNetVariant } from "../models/lenet5.ts";
import { LSTMClassifier } from "../models/lstm_classifier.ts";
import { VGG } from "../models/vgg.ts";
import { textClassifierFromMetadata, type TextClassifierMeta } from "../models/text_classifier.ts";
import type { Module } from "../nn/module.ts";
import { checkpointHeader } from "./loop.ts";

export type Classifier =
  | { kind: "lenet5" | "lstm" | "vgg"; model: LeNet5 | LSTMClassifier | VGG; classNames: string[] }
  | ({ kind: "textclf" | "bow"; model: Module; classNames: string[] } & TextClassifierMeta);

/** The checkpoint's classifier, weights loaded, in eval mode; a FormatError for any other model. */
export async function loadClassifier(ckpt: string): Promise<Classifier> {
  const [meta, , shapes] = await checkpointHeader(ckpt);
  const kind = meta.model;
  if (kind === "lenet5" || kind === "lstm" || kind === "vgg") {
    const classes = shapes.get(kind === "lstm" ? "fc.weight" : kind === "vgg" ? "fc2.weight" : "fc3.weight")?.[0] ?? Number(meta.classes ?? 10);
    const model = kind === "lstm" ? new LSTMClassifier(28, shapes.get("fc.weight")?.[1] ?? 128, classes) : kind === "vgg" ? new VGG({ classes }) : new LeNet5((meta.variant ?? "modern") as LeNetVariant, { classes });
    await loadSafetensors(model, ckpt);
    model.eval();
    return { kind, model, classNames: meta.digits ? meta.digits.split(",") : Array.from({ length: classes }, (_, i) => String(i)) };
  }
  if (kind === "textclf" || kind === "bow") {
    const { model, ...rest } = textClassifierFromMetadata(meta, ckpt, shapes);
    await loadSafetensors(model, ckpt);
    model.eval();
    return { kind, model, classNames: rest.classes, ...rest };
  }
  throw new FormatError(`${ckpt}: a checkpoint of --model ${kind ?? "(none named)"}; this command takes lenet5, lstm, vgg, textclf and bow checkpoints`);
}
