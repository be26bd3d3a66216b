/**
 * @file Benchmark cases: each names what it measures (`key`, shared with the tfjs peer in
 * peers.ts), builds its inputs once and returns a `run` that does one iteration and waits for
 * its result (reading it back, so GPU time is real work, not enqueue time). Sizes shrink with
 * `quick` so the harness can run inside `npm test`.
 */
import { F, compile, compileTrainStep, manualSeed, randn, tensor, type Tensor } from "../src/index.ts";
import * as W from "../src/index.ts";
import { LeNet5 } from "../src/models/lenet5.ts";
import { LSTMClassifier } from "../src/models/lstm_classifier.ts";
import { Adam } from "../src/optim/adam.ts";

export type CaseKey =
  | { kind: "matmul"; m: number; k: number; n: number }
  | { kind: "conv2d"; batch: number }
  | { kind: "lenetTrain"; batch: number }
  | { kind: "lenetInfer"; batch: number }
  | { kind: "lstmCell"; batch: number; hidden: number }
  | { kind: "lstmTrain"; batch: number; hidden: number; steps: number }
  | { kind: "gruTrain"; batch: number; hidden: number; steps: number };

export interface Case {
  name: string;
  key: CaseKey;
  /** What one iteration processes, for a rate column (e.g. images or FLOPs). */
  unit: string;
  perIteration: number;
  setup(): Promise<() => Promise<void>>;
}

const labels = (batch: number) => tensor(Array.from({ length: batch }, (_, i) => i % 10), [batch], "int32");

/** Our implementation of a case (on whichever backend is current). */
async function ours(key: CaseKey): Promise<() => Promise<void>> {
  switch (key.kind) {
    case "matmul": {
      const a = randn([key.m, key.k], { seed: 1 }), b = randn([key.k, key.n], { seed: 2 });
      return async () => void (await W.matmul(a, b).data());
    }
    case "conv2d": {
      const x = randn([key.batch, 6, 14, 14], { seed: 3 }), w = randn([16, 6, 5, 5], { seed: 4 });
      const step = compile((xx: Tensor) => W.gradients(W.sum(F.conv2d(xx, w)), [xx, w]));
      return async () => void (await Promise.all(step(x).map((t) => t.data())));
    }
    case "lenetTrain": {
      manualSeed(0);
      const model = new LeNet5();
      const step = compileTrainStep(model, new Adam(model.parameters(), { lr: 1e-3 }));
      const x = randn([key.batch, 1, 28, 28], { seed: 5 }), y = labels(key.batch);
      return async () => void (await step(x, y).loss.data());
    }
    case "lenetInfer": {
      manualSeed(0);
      const model = new LeNet5();
      model.eval();
      const predict = compile((xx: Tensor) => model.forward(xx));
      const x = randn([key.batch, 1, 28, 28], { seed: 5 });
      return async () => void (await predict(x).data());
    }
    case "lstmCell": {
      const h = key.hidden;
      const [x, h0, c0] = [randn([key.batch, 28], { seed: 6 }), randn([key.batch, h], { seed: 7 }), randn([key.batch, h], { seed: 8 })];
      const [wi, wh] = [randn([4 * h, 28], { seed: 9, std: 0.1 }), randn([4 * h, h], { seed: 10, std: 0.1 })];
      const step = compile((xx: Tensor) => {
        const [hh, cc] = F.lstmCell(xx, [h0, c0], wi, wh);
        return W.gradients(W.add(W.sum(hh), W.sum(cc)), [wi, wh]);
      });
      return async () => void (await Promise.all(step(x).map((t) => t.data())));
    }
    case "lstmTrain":
    case "gruTrain": {
      manualSeed(0);
      const model = new LSTMClassifier(28, key.hidden, 10, { cell: key.kind === "gruTrain" ? "gru" : "lstm" });
      const step = compileTrainStep(model, new Adam(model.parameters(), { lr: 1e-3 }));
      const x = randn([key.batch, key.steps, 28], { seed: 11 }), y = labels(key.batch);
      return async () => void (await step(x, y).loss.data());
    }
  }
}

function make(name: string, key: CaseKey, unit: string, perIteration: number): Case {
  return { name, key, unit, perIteration, setup: () => ours(key) };
}

const mm = (m: number, k: number, n: number) =>
  make(m === k && k === n ? `matmul ${n}` : `matmul ${m}×${k}·${k}×${n}`, { kind: "matmul", m, k, n }, "GFLOP", (2 * m * k * n) / 1e9);

/** The large matmuls only a hardware GPU runs in reasonable time (npm run bench:gpu). */
export function gpuMatmuls(quick: boolean): Case[] {
  return quick ? [mm(32, 32, 32)] : [mm(2048, 2048, 2048), mm(4096, 4096, 4096)];
}

export function cases(quick: boolean): Case[] {
  const batch = quick ? 2 : 64;
  const hidden = quick ? 8 : 128;
  const steps = quick ? 3 : 28;
  return [
    ...(quick ? [mm(16, 16, 16), mm(4, 32, 8)] : [mm(128, 128, 128), mm(256, 256, 256), mm(512, 512, 512), mm(1024, 1024, 1024), mm(1024, 64, 1024), mm(64, 1024, 64)]),
    make(`conv2d LeNet conv2 fwd+bwd, batch ${batch}`, { kind: "conv2d", batch }, "images", batch),
    make(`LeNet-5 train step (Adam), batch ${batch}`, { kind: "lenetTrain", batch }, "images", batch),
    make("LeNet-5 inference, batch 1", { kind: "lenetInfer", batch: 1 }, "images", 1),
    make(`LeNet-5 inference, batch ${quick ? 4 : 256}`, { kind: "lenetInfer", batch: quick ? 4 : 256 }, "images", quick ? 4 : 256),
    make(`LSTM cell step fwd+bwd, batch ${batch}, input 28, hidden ${hidden}`, { kind: "lstmCell", batch, hidden }, "steps", 1),
    make(`LSTM classifier train step, ${steps} steps, hidden ${hidden}, batch ${batch}`, { kind: "lstmTrain", batch, hidden, steps }, "images", batch),
    // the same classifier with a GRU (tfjs and jax-js have no GRU case: "–")
    make(`GRU classifier train step, ${steps} steps, hidden ${hidden}, batch ${batch}`, { kind: "gruTrain", batch, hidden, steps }, "images", batch),
  ];
}
