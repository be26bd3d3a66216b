/** The same LeNet-5 training run on both backends: same seed, same batches, same loss curve. */
import { afterAll, describe, it } from "vitest";
import { compileTrainStep, manualSeed, setBackend } from "../../src/index.ts";
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

describe.skipIf(!gpu)("training on WebGPU follows the CPU", () => {
  afterAll(() => setBackend("cpu"));
  it("LeNet-5 + Adam on real MNIST: 6 steps, the same losses on both backends", async () => {
    const cpu = await curve("cpu", 6);
    const webgpu = await curve("webgpu", 6);
    expectClose(webgpu, cpu, TOL.trainingCurve, "per-step losses");
  }, 300_000);
});
