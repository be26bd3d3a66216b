/**
 * @file `npm run train -- --model lenet5|lstm|vgg`: LeNet-5, the LSTM row classifier or the VGG-style CNN on real
 * MNIST, with test accuracy after each epoch. On WebGPU the training set is uploaded once, as
 * bytes (trainingBatches → DeviceLoader): a step uploads its batch's indices and gathers,
 * normalises and looks up the labels on the device.
 */
import { compile, compileTrainStep, type Tensor } from "../index.ts";
import { MNIST_MEAN, MNIST_STD, loadMnist, type MnistSplit } from "../data/mnist.ts";
import { FormatError } from "../errors.ts";
import { DataLoader } from "../data/loader.ts";
import { LeNet5 } from "../models/lenet5.ts";
import { VGG } from "../models/vgg.ts";
import { LSTMClassifier } from "../models/lstm_classifier.ts";
import { loadSafetensors, parseSafetensors, readCheckpoint, readSafetensorsHeader } from "../io/safetensors.ts";
import type { TrainArgs } from "./args.ts";
import { accuracyEvaluation, makeOptimizer, trainLoop, trainingBatches } from "./loop.ts";
import { permutation } from "../random.ts";

/** The images at `keep`, in that order, their labels mapped by `label`. */
function subset(split: MnistSplit, keep: ArrayLike<number>, label = (y: number) => y): MnistSplit {
  const images = new Float32Array(keep.length * 784), pixels = new Uint8Array(keep.length * 784);
  Array.from(keep).forEach((src, k) => {
    images.set(split.images.subarray(src * 784, (src + 1) * 784), k * 784);
    pixels.set(split.pixels.subarray(src * 784, (src + 1) * 784), k * 784);
  });
  return { images, pixels, labels: Int32Array.from(keep, (i) => label(split.labels[i])), count: keep.length };
}

/** The images of the given digits, relabelled 0…k−1 in the list's order, the first `limit` of them. */
export function selectDigits(split: MnistSplit, digits: readonly number[], limit?: number): MnistSplit {
  const keep: number[] = [];
  for (let i = 0; i < split.count && keep.length < (limit ?? Infinity); i++) if (digits.includes(split.labels[i])) keep.push(i);
  return subset(split, keep, (y) => digits.indexOf(y));
}

/** The seed of the validation split: one split for every --seed, so their validation scores compare. */
const VAL_SEED = 0x7a1d;

/**
 * --val N: N training images, drawn by a fixed seeded permutation, held out; the rest (in
 * their original order) train. Default 5 000, or 10 % when fewer than 50 000 images train.
 */
export function validationSplit(train: MnistSplit, val: number | undefined): { fit: MnistSplit; val: MnistSplit | null } {
  const n = val ?? (train.count >= 50000 ? 5000 : Math.floor(train.count / 10));
  if (n === 0) return { fit: train, val: null };
  if (n >= train.count) throw new FormatError(`--val ${n}: only ${train.count} training images; hold out fewer (or --val 0)`);
  const held = permutation(train.count, VAL_SEED).subarray(0, n);
  const out = new Uint8Array(train.count);
  for (const i of held) out[i] = 1;
  const rest = Array.from({ length: train.count }, (_, i) => i).filter((i) => !out[i]);
  return { fit: subset(train, rest), val: subset(train, Int32Array.from(held).sort()) };
}

export async function trainMnist(args: TrainArgs): Promise<true | "SIGINT" | "SIGTERM"> {
  const digits = args.digits;
  // with --digits, --limit counts the kept images: load everything, then select
  let [train, test] = await Promise.all([
    loadMnist({ split: "train", limit: digits ? undefined : args.limit, source: args.data }),
    loadMnist({ split: "test", limit: digits ? undefined : args.testLimit, source: args.data }),
  ]);
  if (digits) [train, test] = [selectDigits(train, digits, args.limit), selectDigits(test, digits, args.testLimit)];
  const which = digits ? ` of the digits ${digits.join(", ")} (labelled 0…${digits.length - 1} in that order)` : "";
  const { fit, val } = validationSplit(train, args.val);
  train = fit;
  process.stderr.write(`train: MNIST ${train.count} training${val ? `, ${val.count} validation (held out of the training set; --val N)` : ""} and ${test.count} test images${which}\n`);

  const resumeMeta = args.resume ? (await readSafetensorsHeader(args.resume)).metadata : null;
  const classes = resumeMeta?.classes ? Number(resumeMeta.classes) : args.head ?? 10;
  if (digits && classes < digits.length) throw new FormatError(`--digits ${digits.join(",")} needs a head of at least ${digits.length} classes; pass --head ${digits.length}`);
  const model = args.model === "lstm" ? new LSTMClassifier(28, 128, classes) : args.model === "vgg" ? new VGG({ init: args.init, classes }) : new LeNet5(args.variant, { init: args.init, classes });
  const init = args.init === "default" ? "" : `, ${args.init} init`;
  const title = args.model === "lstm" ? "LSTM row classifier (28 steps, hidden 128)" : args.model === "vgg" ? `VGG-style CNN (blocks of 32 and 64 channels, fc 256, dropout 0.5${init})` : `LeNet-5 (${args.variant}${init})`;
  if (args.initFrom) await initFrom(model, args.initFrom, classes);
  // a resumed run keeps the layers its checkpoint was trained with frozen
  const freeze = args.freeze.length ? args.freeze : resumeMeta?.frozen ? resumeMeta.frozen.split(",") : [];
  if (freeze.length) process.stderr.write(`train: frozen (no gradient, no update): ${model.freeze(...freeze).join(", ")}\n`);
  // the weights now; the optimizer's state and the epoch come with the training state (trainLoop)
  const resume = args.resume ? { path: args.resume, metadata: await loadSafetensors(model, args.resume) } : undefined;
  // --body-lr: the layers below the head at their own rate (discriminative fine-tuning)
  const head = model instanceof LeNet5 ? model.fc3 : model instanceof VGG ? model.fc2 : model.fc;
  const headParams = new Set(head.parameters());
  const groups = args.bodyLr === undefined ? undefined
    : [{ params: model.parameters().filter((p) => !headParams.has(p)), lr: args.bodyLr }, { params: head.parameters() }].filter((g) => g.params.some((p) => p.requiresGrad));
  const opt = makeOptimizer(model, args, title, groups);
  const predict = compile((x: Tensor) => model.forward(x));
  const score = (set: MnistSplit, name: "val" | "test") => accuracyEvaluation(model, predict, new DataLoader(set.images, set.labels, [1, 28, 28], { batchSize: 1000 }), name, "images");
  return trainLoop({
    onNonFinite: args.onNonFinite, out: args.out, recipe: args,
    model, epochs: args.epochs, metric: "accuracy", unit: "img", unitsPerExample: 1,
    step: compileTrainStep(model, opt, { clipGradNorm: args.clip, meter: "accuracy" }),
    loader: trainingBatches(train.images, train.pixels, train.labels, [1, 28, 28], { batchSize: args.batch, shuffle: true, seed: args.seed, scale: 1 / (255 * MNIST_STD), shift: -MNIST_MEAN / MNIST_STD }),
    evaluate: () => score(val ?? test, val ? "val" : "test"),
    test: val ? () => score(test, "test") : undefined,
    optimizer: opt, resume, seed: args.seed,
    metadata: () => ({ model: args.model, ...(args.model === "lenet5" ? { variant: args.variant } : {}), classes: String(classes), ...(digits ? { digits: digits.join(",") } : {}), ...(freeze.length ? { frozen: freeze.join(",") } : {}) }),
  });
}

/**
 * --init-from: the weights of another run, every layer but the head when the head's size
 * differs (--head N: the new head starts fresh, as replacing `model.fc3` in PyTorch).
 */
async function initFrom(model: LeNet5 | LSTMClassifier | VGG, path: string, classes: number): Promise<void> {
  const { tensors } = parseSafetensors(await readCheckpoint(path), path);
  const head = model instanceof LeNet5 ? "fc3" : model instanceof VGG ? "fc2" : "fc";
  const theirs = tensors.get(`${head}.weight`)?.shape[0];
  if (theirs !== undefined && theirs !== classes) {
    for (const k of [...tensors.keys()]) if (k.startsWith(`${head}.`)) tensors.delete(k);
  }
  const { missing, unexpected } = model.loadStateDict(tensors, { strict: false, file: path });
  if (unexpected.length || missing.some((k) => !k.startsWith(`${head}.`))) {
    throw new FormatError(`${path}: not the same network (missing: ${missing.join(", ") || "none"}; unexpected: ${unexpected.join(", ") || "none"}); --init-from takes a checkpoint of the same --model and --variant`);
  }
  const fresh = missing.length ? `; the head ${head} [${classes}, ${model instanceof LeNet5 ? 84 : model instanceof VGG ? 256 : 128}] starts fresh (the checkpoint's has ${theirs} classes)` : "";
  process.stderr.write(`train: initialised from ${path} (${tensors.size} tensors)${fresh}\n`);
}
