/**
 * @file The demo's training worker. It owns MNIST, the model, the optimizer and the backend,
 * and trains step by step, yielding to its message queue between steps so pause, reset,
 * prediction and inspection requests are answered while a run is under way. The page never
 * computes, so it never freezes. Model work (a step, a prediction, a save) runs one at a
 * time through `exclusive`.
 */
import {
  DataLoader, F, LeNet5, MNIST_MEAN, MNIST_STD, argmaxRows, compile, compileTrainStep, confusionMatrix, countEqual,
  getBackend, loadMnist, loadStateDictBytes, manualSeed, optim, parseSafetensors, setBackend, softmax, stateDictBytes, tensor,
  type MnistSplit, type Tensor, type TrainStep,
} from "../src/index.ts";
import { findLr as rangeTest, lrFinderSvg } from "../src/optim/lr_finder.ts";
import { oneCycleRate } from "../src/optim/schedule.ts";
import type { Optimizer } from "../src/optim/optimizer.ts";
import type { Reply, Request, Sample, TrainConfig } from "./protocol.ts";

const post = (msg: Reply, transfer: Transferable[] = []) => (self as unknown as Worker).postMessage(msg, transfer);

let trainSet: MnistSplit | null = null;
let testSet: MnistSplit | null = null;
let model: LeNet5 | null = null;
let stepFn: TrainStep | null = null;
/** The optimizer of `stepFn` (the schedule sets its rate before each step). */
let optimizer: Optimizer | null = null;
/** The training meter is read every READ_EVERY steps or READ_MS, whichever comes first. */
const READ_EVERY = 16;
const READ_MS = 250;
let backendName = "";
let state: "idle" | "training" | "paused" | "done" = "idle";
/** Bumped by reset: a run that sees another generation stops. */
let generation = 0;
let wake: (() => void) | null = null;

let lock: Promise<unknown> = Promise.resolve();
function exclusive<T>(f: () => Promise<T>): Promise<T> {
  const run = lock.then(f);
  lock = run.catch(() => undefined);
  return run;
}

function setState(s: typeof state): void {
  state = s;
  post({ type: "state", state: s });
}

const yieldToMessages = () => new Promise<void>((r) => setTimeout(r, 0));

/** Raw 0…255 pixels of test image i, recovered from the normalised floats. */
function rawPixels(set: MnistSplit, i: number): Uint8Array {
  const out = new Uint8Array(784);
  for (let k = 0; k < 784; k++) out[k] = Math.round((set.images[i * 784 + k] * MNIST_STD + MNIST_MEAN) * 255);
  return out;
}

async function useBackend(wanted: TrainConfig["backend"]): Promise<void> {
  let note = "";
  try {
    // the CPU backend in its fast mode (float32 WebAssembly kernels; threads only where the
    // page is cross-origin isolated, else one)
    await setBackend(wanted, { mode: "fast" });
  } catch (e) {
    await setBackend("cpu", { mode: "fast" });
    note = `WebGPU is not available here (${(e as Error).message.split(";")[0]}), so the CPU backend is training instead.`;
  }
  const b = getBackend() as { name: string; info?: { vendor: string; architecture: string; software: boolean } };
  backendName = b.name;
  if (b.info) {
    const what = `${b.info.vendor} ${b.info.architecture}`.trim();
    note ||= b.info.software ? `WebGPU adapter ${what} is a software rasterizer: correct, but slow.` : `WebGPU adapter: ${what}.`;
  }
  post({ type: "backend", name: b.name, note });
}

/** Each model's compiled forward pass, traced once and reused by every evaluation. */
const predictors = new WeakMap<LeNet5, (x: Tensor) => Tensor>();
function predictorOf(m: LeNet5): (x: Tensor) => Tensor {
  let p = predictors.get(m);
  if (!p) predictors.set(m, (p = compile((x: Tensor) => m.forward(x))));
  return p;
}

/** Test accuracy, confusion matrix and the first 40 test digits with their predictions. */
async function evaluate(epoch: number, current = () => true): Promise<number> {
  const m = model!, test = testSet!;
  m.eval();
  const predict = predictorOf(m);
  const preds = new Int32Array(test.count);
  let at = 0;
  for (const { x, y } of new DataLoader(test.images, test.labels, [1, 28, 28], { batchSize: 500 })) {
    const out = predict(x);
    const p = argmaxRows(await out.data(), 10);
    for (const used of [x, y, out]) used.dispose(); // GPU buffers back to the pool now, not at the next GC
    preds.set(p, at);
    at += p.length;
    await yieldToMessages();
  }
  m.train();
  const testAcc = (100 * countEqual(preds, test.labels)) / test.count;
  const samples: Sample[] = Array.from({ length: Math.min(40, test.count) }, (_, i) => ({ pixels: rawPixels(test, i), label: test.labels[i], pred: preds[i] }));
  // a run reset while it was evaluating posts nothing (the page has started afresh)
  if (!current()) return testAcc;
  post({ type: "evaluated", epoch, testAcc, confusion: confusionMatrix(preds, test.labels, 10), samples });
  return testAcc;
}

/**
 * The learning-rate range test on the chosen settings: the current model (or a fresh one),
 * its weights put back afterwards; a new optimizer of the chosen kind, 100 batches at most.
 */
async function findLr(config: TrainConfig): Promise<void> {
  await exclusive(async () => {
    await useBackend(config.backend);
    if (!model || model.variant !== config.variant) {
      manualSeed(0);
      model = new LeNet5(config.variant);
    }
    const m = model;
    const opt = config.optimizer === "sgd" ? new optim.SGD(m.parameters(), { lr: config.lr, momentum: 0.9 }) : new optim.Adam(m.parameters(), { lr: config.lr });
    const step = compileTrainStep(m, opt);
    const count = Math.min(config.limit, trainSet!.count);
    const loader = new DataLoader(trainSet!.images.subarray(0, count * 784), trainSet!.labels.subarray(0, count), [1, 28, 28], { batchSize: config.batch, shuffle: true, seed: 0, dropLast: true });
    const steps = 100;
    m.train();
    const r = await rangeTest(m, opt, step, loader, { steps, onStep: (i, lr) => post({ type: "lrProgress", step: i + 1, steps, lr }) });
    post({ type: "lrFound", svg: lrFinderSvg(r, `learning-rate range test: LeNet-5 ${config.variant}, ${config.optimizer}, batch ${config.batch}`), suggestion: r.suggestion, rule: r.rule, stopped: r.stopped });
  });
}

async function train(config: TrainConfig): Promise<void> {
  const gen = generation;
  await exclusive(async () => {
    await useBackend(config.backend);
    if (!model || model.variant !== config.variant) {
      manualSeed(0);
      model = new LeNet5(config.variant);
    }
    optimizer = config.optimizer === "sgd"
      ? new optim.SGD(model.parameters(), { lr: config.lr, momentum: 0.9 })
      : new optim.Adam(model.parameters(), { lr: config.lr });
    stepFn = compileTrainStep(model, optimizer, { meter: "accuracy" });
  });
  const train = trainSet!;
  const count = Math.min(config.limit, train.count);
  const images = train.images.subarray(0, count * 784), labels = train.labels.subarray(0, count);
  setState("training");
  const step = stepFn!;
  const opt = optimizer!;
  // one-cycle (npm run train's recipe): the rate of each step, over all the run's steps
  const totalSteps = Math.floor(count / config.batch) * config.epochs;
  const rateAt = (s: number) => (config.schedule === "onecycle" ? oneCycleRate({ maxLr: config.lr, totalSteps }, s) : config.lr);
  let global = 0;
  for (let epoch = 1; epoch <= config.epochs; epoch++) {
    const loader = new DataLoader(images, labels, [1, 28, 28], { batchSize: config.batch, shuffle: true, seed: epoch, dropLast: true });
    const steps = Math.floor(count / config.batch);
    await exclusive(async () => step.resetMeter());
    // no read per step: the meter adds up loss, accuracy and skips on the device; it is read
    // every READ_EVERY steps, after READ_MS, when pausing and at the end of the epoch
    const window: Tensor[] = [];
    let done = 0, last = { lossSum: 0, steps: 0, skipped: 0 };
    let lastRead = performance.now();
    const t0 = performance.now();
    const read = () => exclusive(async () => {
      const [lossSum, correct, seen, good, skipped] = await step.meter!.data();
      if (config.readDelayMs) await new Promise((r) => setTimeout(r, config.readDelayMs));
      // reset while the meter was read: this run's numbers must not reach the fresh page
      if (gen !== generation) {
        for (const l of window) l.dispose();
        window.length = 0;
        return;
      }
      // a skipped step: its loss says why (NonFiniteError, IndexError), which the page shows
      if (skipped > last.skipped) for (const l of window) await l.item();
      for (const l of window) l.dispose();
      const now = performance.now();
      const n = window.length;
      window.length = 0;
      const loss = good > last.steps ? (lossSum - last.lossSum) / (good - last.steps) : NaN;
      post({ type: "step", epoch, step: done, steps, window: n, loss, trainAcc: (100 * correct) / Math.max(seen, 1), imagesPerSec: (seen / (now - t0)) * 1000, msPerStep: (now - lastRead) / Math.max(n, 1), lr: opt.lr });
      last = { lossSum, steps: good, skipped };
      lastRead = now;
    });
    for (const { x, y } of loader) {
      if (state === "paused") {
        if (window.length > 0) await read();
        await new Promise<void>((r) => (wake = r));
      }
      if (gen !== generation) return;
      await exclusive(async () => {
        opt.lr = rateAt(global++);
        const out = step(x, y);
        window.push(out.loss);
        // queued work on them runs first: back to the pool now
        for (const used of [x, y, out.logits]) used.dispose();
      });
      if (gen !== generation) return;
      done++;
      if (window.length >= READ_EVERY || performance.now() - lastRead >= READ_MS || done === steps) await read();
      await yieldToMessages();
    }
    if (gen !== generation) return;
    await exclusive(() => evaluate(epoch, () => gen === generation));
  }
  if (gen === generation) setState("done");
}

async function predict(pixels: Float32Array): Promise<void> {
  const m = model;
  if (!m) return post({ type: "error", context: "predict", message: "train or load a model first, then draw a digit" });
  const probs = await exclusive(async () => {
    const x = tensor(Float32Array.from(pixels, (v) => (v - MNIST_MEAN) / MNIST_STD), [1, 1, 28, 28]);
    m.eval();
    const p = await softmax(m.forward(x), 1).data();
    m.train();
    return Float32Array.from(p);
  });
  post({ type: "prediction", probs }, [probs.buffer]);
}

/** conv1's filters [6,5,5] and its activated feature maps [6,28,28] for test digit `index`. */
async function inspect(index: number): Promise<void> {
  const m = model, test = testSet;
  if (!m || !test) return;
  const i = Math.max(0, Math.min(test.count - 1, index));
  const { filters, maps } = await exclusive(async () => {
    const x = tensor(test.images.slice(i * 784, (i + 1) * 784), [1, 1, 28, 28]);
    const h = m.conv1.forward(x);
    const act = m.variant === "modern" ? F.relu(h) : F.tanh(h);
    return { filters: Float32Array.from(await m.conv1.weight.data()), maps: Float32Array.from(await act.data()) };
  });
  post({ type: "inspection", index: i, filters, maps, pixels: rawPixels(test, i), label: test.labels[i] }, [filters.buffer, maps.buffer]);
}

async function loadWeights(bytes: Uint8Array, name: string, backend: TrainConfig["backend"]): Promise<void> {
  if (state === "training" || state === "paused") {
    return post({ type: "error", context: "load weights", message: "a run is in progress; reset it first, then load the weights" });
  }
  // before any run, the backend the page's selector names (a run that chose one keeps it)
  if (!backendName) await useBackend(backend);
  // the file says which variant it was trained as (activations differ, shapes do not)
  const variant = parseSafetensors(bytes, name).metadata.variant === "classic" ? "classic" : "modern";
  const target = model && model.variant === variant ? model : new LeNet5(variant);
  // keys, shapes and dtypes are checked before anything is written: on error `target` is untouched
  loadStateDictBytes(target, bytes, name);
  model = target;
  stepFn = null;
  const testAcc = await exclusive(() => evaluate(0));
  post({ type: "weightsLoaded", name, testAcc });
}

async function handle(req: Request): Promise<void> {
  switch (req.type) {
    case "load": {
      const source = `${req.base}mnist`;
      let trainFrac = 0, testFrac = 0;
      const report = () => post({ type: "loading", fraction: trainFrac * 0.857 + testFrac * 0.143 }); // 60 000 vs 10 000 images
      const [tr, te] = await Promise.all([
        loadMnist({ split: "train", source, gzip: true, onProgress: (f) => ((trainFrac = f), report()) }),
        loadMnist({ split: "test", source, gzip: true, limit: req.testLimit, onProgress: (f) => ((testFrac = f), report()) }),
      ]);
      trainSet = tr;
      testSet = te;
      post({ type: "loaded", train: tr.count, test: te.count });
      return;
    }
    case "start":
      if (state === "training" || state === "paused") return;
      return train(req.config);
    case "findLr":
      if (state === "training" || state === "paused") return post({ type: "error", context: "find LR", message: "pause is not enough: reset or let the run finish first" });
      return findLr(req.config);
    case "pause":
      if (state === "training") setState("paused");
      return;
    case "resume":
      if (state !== "paused") return;
      setState("training");
      wake?.();
      wake = null;
      return;
    case "reset":
      generation++;
      model = null;
      stepFn = null;
      wake?.();
      wake = null;
      setState("idle");
      return;
    case "predict":
      return predict(req.pixels);
    case "inspect":
      return inspect(req.index);
    case "save": {
      if (!model) return post({ type: "error", context: "save weights", message: "there is no model yet; train or load one first" });
      const m = model;
      const bytes = await exclusive(() => stateDictBytes(m, { model: "lenet5", variant: m.variant }));
      post({ type: "saved", bytes }, [bytes.buffer]);
      return;
    }
    case "loadWeights":
      return loadWeights(req.bytes, req.name, req.backend);
  }
}

/** How an error in answering each request is introduced to the user. */
const CONTEXT: Record<Request["type"], string> = {
  load: "loading MNIST", start: "training", findLr: "find LR", pause: "pause", resume: "resume", reset: "reset", predict: "prediction",
  inspect: "feature maps", save: "save weights", loadWeights: "load weights",
};

self.onmessage = (e: MessageEvent<Request>) => {
  handle(e.data).catch((err: Error) => {
    const kept = e.data.type === "loadWeights" ? " The model was left as it was." : "";
    post({ type: "error", context: CONTEXT[e.data.type], message: err.message + kept });
    if (e.data.type === "start") setState("idle");
  });
};
