/**
 * @file `npm run train -- --model lenet5|lstm`: LeNet-5 or the LSTM row classifier on real
 * MNIST, with test accuracy after each epoch. On WebGPU the training set is uploaded once, as
 * bytes (trainingBatches → DeviceLoader): a step uploads its batch's indices and gathers,
 * normalises and looks up the labels on the device.
 */
import { compile, compileTrainStep, type Tensor } from "../index.ts";
import { MNIST_MEAN, MNIST_STD, loadMnist } from "../data/mnist.ts";
import { DataLoader } from "../data/loader.ts";
import { LeNet5 } from "../models/lenet5.ts";
import { LSTMClassifier } from "../models/lstm_classifier.ts";
import { loadSafetensors } from "../io/safetensors.ts";
import type { TrainArgs } from "./args.ts";
import { accuracy, makeOptimizer, trainLoop, trainingBatches } from "./loop.ts";

export async function trainMnist(args: TrainArgs): Promise<true | "SIGINT" | "SIGTERM"> {
  const [train, test] = await Promise.all([
    loadMnist({ split: "train", limit: args.limit, source: args.data }),
    loadMnist({ split: "test", limit: args.testLimit, source: args.data }),
  ]);
  process.stderr.write(`train: MNIST ${train.count} training and ${test.count} test images\n`);

  const model = args.model === "lstm" ? new LSTMClassifier() : new LeNet5(args.variant, { init: args.init });
  const title = args.model === "lstm" ? "LSTM row classifier (28 steps, hidden 128)" : `LeNet-5 (${args.variant}${args.init === "default" ? "" : `, ${args.init} init`})`;
  // the weights now; the optimizer's state and the epoch come with the training state (trainLoop)
  const resume = args.resume ? { path: args.resume, metadata: await loadSafetensors(model, args.resume) } : undefined;
  const opt = makeOptimizer(model, args, title);
  const predict = compile((x: Tensor) => model.forward(x));
  return trainLoop({
    onNonFinite: args.onNonFinite, out: args.out, recipe: args,
    model, epochs: args.epochs, metric: "accuracy", unit: "img", unitsPerExample: 1,
    step: compileTrainStep(model, opt, { clipGradNorm: args.clip, meter: "accuracy" }),
    loader: trainingBatches(train.images, train.pixels, train.labels, [1, 28, 28], { batchSize: args.batch, shuffle: true, seed: args.seed, scale: 1 / (255 * MNIST_STD), shift: -MNIST_MEAN / MNIST_STD }),
    evaluate: async () => `test acc ${(await accuracy(model, predict, new DataLoader(test.images, test.labels, [1, 28, 28], { batchSize: 1000 }))).toFixed(2)}% (${test.count} images)`,
    optimizer: opt, resume, seed: args.seed,
    metadata: () => ({ model: args.model, ...(args.model === "lenet5" ? { variant: args.variant } : {}) }),
  });
}
