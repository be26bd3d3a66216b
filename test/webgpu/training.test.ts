/**
 * The same training runs on both backends: same seed, same batches, same loss curve. LeNet-5
 * on real MNIST, and the sequence models: a bidirectional-LSTM text classifier (embedding with
 * padding, masked pooling) and a character LSTM language model, both with gradient clipping.
 */
import { afterAll, describe, it } from "vitest";
import { compileTrainStep, fromArray, manualSeed, setBackend, type Tensor } from "../../src/index.ts";
import type { Module } from "../../src/nn/module.ts";
import { TextClassifier } from "../../src/models/text_classifier.ts";
import { CharLM } from "../../src/models/char_lm.ts";
import { seeded } from "../helpers/gradcheck.ts";
import { loadMnist } from "../../src/data/mnist.ts";
import { DataLoader } from "../../src/data/loader.ts";
import { LeNet5 } from "../../src/models/lenet5.ts";
import { Adam } from "../../src/optim/adam.ts";
import { webgpuAvailable } from "../helpers/backends.ts";
import { expectClose, TOL } from "../tolerance.ts";

const gpu = await webgpuAvailable();

async function curve(backend: "cpu" | "webgpu", steps: number): Promise<number[]> {
  await setBackend(backend);
  manualSeed(0);
  const { images, labels } = await loadMnist({ split: "train", limit: 32 * steps });
  const model = new LeNet5();
  const opt = new Adam(model.parameters(), { lr: 1e-3 });
  const step = compileTrainStep(model, opt);
  const losses: number[] = [];
  for (const { x, y } of new DataLoader(images, labels, [1, 28, 28], { batchSize: 32, shuffle: true, seed: 1 })) losses.push(await step(x, y).loss.item());
  return losses;
}

/** Four Adam steps (clipped to norm 1) of a model on seeded int32 tokens [B, T] with labels of `labelShape`. */
async function tokenCurve(backend: "cpu" | "webgpu", make: () => Module, vocab: number, labels: (rng: () => number) => Tensor): Promise<number[]> {
  await setBackend(backend);
  manualSeed(0);
  const model = make();
  const step = compileTrainStep(model, new Adam(model.parameters(), { lr: 1e-2 }), { clipGradNorm: 1 });
  const rng = seeded(9);
  const losses: number[] = [];
  for (let i = 0; i < 4; i++) {
    // ids 1…vocab−1 with some right padding (0) in every other row
    const x = Int32Array.from({ length: 6 * 9 }, (_, k) => (k % 9 > 5 && (k / 9) % 2 < 1 ? 0 : 1 + Math.floor(rng() * (vocab - 1))));
    losses.push(await step(fromArray(x, [6, 9], "int32"), labels(rng)).loss.item());
  }
  return losses;
}

describe.skipIf(!gpu)("training on WebGPU follows the CPU", () => {
  afterAll(() => setBackend("cpu"));
  it("LeNet-5 + Adam on real MNIST: 6 steps, the same losses on both backends", async () => {
    const cpu = await curve("cpu", 6);
    const webgpu = await curve("webgpu", 6);
    expectClose(webgpu, cpu, TOL.trainingCurve, "per-step losses");
  }, 300_000);

  it("a bidirectional-LSTM text classifier: 4 clipped steps, the same losses on both backends", async () => {
    const make = () => new TextClassifier(30, 3, { embeddingDim: 8, hiddenSize: 12 });
    const labels = (rng: () => number) => fromArray(Int32Array.from({ length: 6 }, () => Math.floor(rng() * 3)), [6], "int32");
    expectClose(await tokenCurve("webgpu", make, 30, labels), await tokenCurve("cpu", make, 30, labels), TOL.trainingCurve, "per-step losses");
  }, 300_000);

  it("a character LSTM language model: 4 clipped steps, the same losses on both backends", async () => {
    const make = () => new CharLM(20, { embeddingDim: 8, hiddenSize: 16 });
    const labels = (rng: () => number) => fromArray(Int32Array.from({ length: 6 * 9 }, () => 2 + Math.floor(rng() * 18)), [6, 9], "int32");
    expectClose(await tokenCurve("webgpu", make, 20, labels), await tokenCurve("cpu", make, 20, labels), TOL.trainingCurve, "per-step losses");
  }, 300_000);
});
