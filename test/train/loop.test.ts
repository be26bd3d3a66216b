/**
 * The epoch loop of `npm run train` (src/cli/loop.ts) hands each batch and each step's
 * results back to the backend as soon as it has read them, so device memory does not wait
 * for the garbage collector; it still trains and reports.
 */
import { expect, it, vi } from "vitest";
import { DataLoader, compile, compileTrainStep, manualSeed, nn, optim, setBackend, type Tensor } from "../../src/index.ts";
import { accuracy, trainLoop } from "../../src/cli/loop.ts";

it("trainLoop and accuracy dispose every batch and result after reading it", async () => {
  await setBackend("cpu");
  manualSeed(1);
  const model = new nn.Linear(4, 3);
  const inputs = Float32Array.from({ length: 24 * 4 }, (_, i) => Math.sin(i));
  const labels = Int32Array.from({ length: 24 }, (_, i) => i % 3);
  const loader = () => new DataLoader(inputs, labels, [4], { batchSize: 8, shuffle: true, seed: 2 });
  const step = compileTrainStep(model, new optim.SGD(model.parameters(), { lr: 0.1 }));
  const seen: Tensor[] = [];
  const recording = (x: Tensor, y: Tensor) => {
    const out = step(x, y);
    seen.push(x, y, out.loss, out.logits);
    return out;
  };
  const predict = compile((x: Tensor) => model.forward(x));
  const predictions: Tensor[] = [];
  const recordingPredict = (x: Tensor) => {
    const out = predict(x);
    predictions.push(out);
    return out;
  };
  const stdout = vi.spyOn(process.stdout, "write").mockImplementation(() => true);
  const stderr = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
  try {
    const finished = await trainLoop({
      model, step: recording, loader: loader(), epochs: 2, metric: "accuracy", unit: "ex", unitsPerExample: 1,
      evaluate: async () => `acc ${(await accuracy(model, recordingPredict, loader())).toFixed(1)}%`,
    });
    expect(finished).toBe(true);
    expect(stdout.mock.calls.map((c) => String(c[0])).join("")).toMatch(/epoch 2: train loss \d\.\d{4}, train acc \d+\.\d{2}%, acc \d+\.\d%/);
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
  }
  expect(seen).toHaveLength(2 * 3 * 4);
  expect(predictions).toHaveLength(2 * 3);
  expect([...seen, ...predictions].filter((t) => !t.disposed)).toEqual([]);
  // the weights are not among them
  expect(model.parameters().filter((p) => p.disposed)).toEqual([]);
});
