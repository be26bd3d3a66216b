/**
 * The epoch loop of `npm run train` (src/cli/loop.ts) hands each batch and each step's
 * results back to the backend as soon as it is done with them, so device memory does not wait
 * for the garbage collector; it reads the device only every READ_EVERY steps (the meter adds
 * up loss, accuracy and skips on the device), keeps at most two steps in flight, and still
 * trains and reports the same numbers.
 */
import { describe, expect, it, vi } from "vitest";
import { DataLoader, compile, compileTrainStep, getBackend, manualSeed, nn, optim, setBackend, type Tensor, type TrainStep } from "../../src/index.ts";
import { READ_EVERY, accuracy, trainLoop } from "../../src/cli/loop.ts";
import { argmaxRows, countEqual } from "../../src/metrics.ts";
import { testBackends } from "../helpers/backends.ts";

const backends = await testBackends();

/** Runs trainLoop quietly; returns what it printed on stdout. */
async function quietly(run: () => Promise<unknown>): Promise<string> {
  const stdout = vi.spyOn(process.stdout, "write").mockImplementation(() => true);
  const stderr = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
  try {
    await run();
    return stdout.mock.calls.map((c) => String(c[0])).join("");
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
  }
}

it("trainLoop and accuracy dispose every batch and result after reading it", async () => {
  await setBackend("cpu");
  manualSeed(1);
  const model = new nn.Linear(4, 3);
  const inputs = Float32Array.from({ length: 24 * 4 }, (_, i) => Math.sin(i));
  const labels = Int32Array.from({ length: 24 }, (_, i) => i % 3);
  const loader = () => new DataLoader(inputs, labels, [4], { batchSize: 8, shuffle: true, seed: 2 });
  const step = compileTrainStep(model, new optim.SGD(model.parameters(), { lr: 0.1 }), { meter: "accuracy" });
  const seen: Tensor[] = [];
  const recording: TrainStep = Object.assign((x: Tensor, y: Tensor) => {
    const out = step(x, y);
    seen.push(x, y, out.loss, out.logits);
    return out;
  }, { plan: step.plan, meter: step.meter, resetMeter: step.resetMeter, resetState: step.resetState });
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
      evaluate: async () => ({ summary: `acc ${(await accuracy(model, recordingPredict, loader())).toFixed(1)}%`, scores: {} }),
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

describe.each(backends)("trainLoop on %s", (backend) => {
  it(`reads the device once per ${READ_EVERY} steps, keeps ≤ 2 steps in flight, and reports what a per-step read would`, async () => {
    const b = await setBackend(backend);
    try {
      const n = 40 * 2; // 40 steps of 2
      const inputs = Float32Array.from({ length: n * 5 }, (_, i) => Math.cos(i * 0.7));
      const labels = Int32Array.from({ length: n }, (_, i) => (i * 7) % 4);
      const setup = () => {
        manualSeed(3);
        const model = new nn.Linear(5, 4);
        const loader = new DataLoader(inputs, labels, [5], { batchSize: 2, shuffle: false });
        return { model, loader, step: compileTrainStep(model, new optim.SGD(model.parameters(), { lr: 0.05 }), { meter: "accuracy" }) };
      };
      // what the old loop computed: read every step's loss and logits
      const ref = setup();
      let lossSum = 0, correct = 0;
      for (const { x, y } of ref.loader) {
        const out = ref.step(x, y);
        lossSum += await out.loss.item();
        correct += countEqual(argmaxRows(await out.logits.data(), 4), await y.data());
      }
      // the loop: count its reads and how many steps are in flight at each submit
      const { model, loader, step } = setup();
      const read = vi.spyOn(b, "read");
      let submitted = 0, finished = 0, maxInFlight = 0;
      const run = b.run.bind(b);
      const runSpy = vi.spyOn(b, "run").mockImplementation((plan, ins, status) => {
        const out = run(plan, ins, status);
        if (plan.steps.some((st) => st.op.name === "trainMeter")) {
          const mine = ++submitted;
          if (b.settled) void b.settled().then(() => (finished = Math.max(finished, mine)));
          else finished = mine;
          maxInFlight = Math.max(maxInFlight, submitted - finished);
        }
        return out;
      });
      const out = await quietly(() => trainLoop({ model, step, loader, epochs: 1, metric: "accuracy", unit: "ex", unitsPerExample: 1, evaluate: async () => ({ summary: "done", scores: {} }) }));
      runSpy.mockRestore();
      const reads = read.mock.calls.length;
      read.mockRestore();
      expect(submitted).toBe(40);
      expect(reads).toBeLessThanOrEqual(Math.ceil(40 / READ_EVERY));
      expect(maxInFlight).toBeLessThanOrEqual(2);
      expect(out).toContain(`epoch 1: train loss ${(lossSum / 40).toFixed(4)}, train acc ${((100 * correct) / n).toFixed(2)}%, done`);
    } finally {
      await setBackend("cpu");
    }
  });
});
