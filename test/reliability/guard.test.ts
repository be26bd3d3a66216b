/**
 * The step's guard, on every backend: a bad label, a bad embedding index, a NaN pixel or a
 * divergent learning rate inside a compiled training step raises a typed error when the
 * step's loss is read, and the optimizer skips that step's update on the device, so every
 * weight (and Adam's moments and step count) is bit for bit what it was.
 */
import { afterAll, describe, expect, it } from "vitest";
import * as W from "../../src/index.ts";
import { compileTrainStep, fromArray, IndexError, manualSeed, NonFiniteError, setBackend, tensor, type Tensor } from "../../src/index.ts";
import { LeNet5 } from "../../src/models/lenet5.ts";
import { Adam } from "../../src/optim/adam.ts";
import { SGD } from "../../src/optim/sgd.ts";
import { Embedding } from "../../src/nn/embedding.ts";
import { Linear } from "../../src/nn/layers.ts";
import { Module } from "../../src/nn/module.ts";
import { allFinite } from "../../src/ops/guard.ts";
import { webgpuAvailable } from "../helpers/backends.ts";
import { seeded } from "../helpers/gradcheck.ts";

const gpu = await webgpuAvailable();
const backends = gpu ? (["cpu", "webgpu"] as const) : (["cpu"] as const);

/** Every tensor's bytes, to compare states bit for bit. */
async function snapshot(ts: readonly Tensor[]): Promise<number[][]> {
  return Promise.all(ts.map(async (t) => Array.from(new Uint32Array((await t.data()).slice().buffer))));
}

function batch(rng: () => number, n: number, labels: number[]): { x: Tensor; y: Tensor } {
  const x = fromArray(Float32Array.from({ length: n * 28 * 28 }, () => rng() * 2 - 1), [n, 1, 28, 28]);
  return { x, y: fromArray(Int32Array.from(labels), [n], "int32") };
}

class BagOfWords extends Module {
  readonly emb = this.module("emb", new Embedding(10, 4));
  readonly fc = this.module("fc", new Linear(4, 3));
  forward(x: Tensor): Tensor {
    return this.fc.forward(this.emb.forward(x).mean(1));
  }
}

describe.each(backends)("the step's guard on %s", (backend) => {
  afterAll(() => setBackend("cpu"));

  it("a label of 10 in a compiled LeNet-5 step is an IndexError and changes no weight, moment or step count", async () => {
    await setBackend(backend);
    manualSeed(1);
    const model = new LeNet5();
    const opt = new Adam(model.parameters());
    const step = compileTrainStep(model, opt);
    const rng = seeded(3);
    const good = batch(rng, 4, [1, 2, 3, 4]);
    await step(good.x, good.y).loss.item();
    // every weight, both moments of every weight, and the step count
    const state = () => [...model.parameters(), ...opt.stateDict().values()];
    const before = await snapshot(state());
    const bad = batch(rng, 4, [1, 10, 3, 4]);
    const r = step(bad.x, bad.y);
    const err = await r.loss.item().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IndexError);
    expect((err as Error).message).toMatch(/^step 2: softmaxCrossEntropy: label 10 of sample 1 is outside \[0, 10\).*skipped this step's update/);
    await expect(r.logits.data()).rejects.toThrow(IndexError);
    expect(await snapshot(state())).toEqual(before);
    // the next good step trains again and is clean
    const again = step(good.x, good.y);
    expect(Number.isFinite(await again.loss.item())).toBe(true);
    expect(await snapshot(model.parameters())).not.toEqual(before.slice(0, 10));
    expect(await (opt as unknown as { t: Tensor }).t.item()).toBe(2);
  });

  it("one NaN pixel is a NonFiniteError naming the loss, and the update is skipped", async () => {
    await setBackend(backend);
    manualSeed(2);
    const model = new LeNet5();
    const step = compileTrainStep(model, new Adam(model.parameters()));
    const rng = seeded(4);
    const b = batch(rng, 3, [0, 1, 2]);
    const data = Float32Array.from(await b.x.data());
    data[1234] = NaN;
    const before = await snapshot(model.parameters());
    const err = await step(fromArray(data, [3, 1, 28, 28]), b.y).loss.item().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NonFiniteError);
    expect((err as Error).message).toBe("step 1: the loss is NaN; the optimizer skipped this step's update, so every weight is as it was before it");
    expect(await snapshot(model.parameters())).toEqual(before);
  });

  it("an embedding index of 10 for 10 rows is an IndexError naming gather; SGD skips its update", async () => {
    await setBackend(backend);
    manualSeed(3);
    const model = new BagOfWords();
    const step = compileTrainStep(model, new SGD(model.parameters(), { lr: 0.1, momentum: 0.9 }));
    const before = await snapshot(model.parameters());
    const x = fromArray(Int32Array.from([1, 2, 10, 3]), [2, 2], "int32");
    await expect(step(x, fromArray(Int32Array.from([0, 2]), [2], "int32")).loss.item()).rejects.toThrow(/^step 1: gather: index 10 at position 2 is outside \[0, 10\)/);
    expect(await snapshot(model.parameters())).toEqual(before);
  });

  it("a learning rate of 1e30 never makes a weight non-finite: the step that diverges is refused", async () => {
    await setBackend(backend);
    manualSeed(4);
    const model = new LeNet5();
    const step = compileTrainStep(model, new SGD(model.parameters(), { lr: 1e30 }));
    const rng = seeded(5);
    let error: unknown = null;
    for (let i = 0; i < 4 && !error; i++) {
      const b = batch(rng, 4, [i, 1, 2, 3]);
      await step(b.x, b.y).loss.item().catch((e: unknown) => (error = e));
    }
    expect(error).toBeInstanceOf(NonFiniteError);
    for (const w of await Promise.all(model.parameters().map((p) => p.data()))) expect(w.every(Number.isFinite)).toBe(true);
  });

  it("a non-finite gradient is named by its parameter and its own element, though the gradients are checked packed", async () => {
    await setBackend(backend);
    manualSeed(6);
    const model = new BagOfWords();
    const opt = new Adam(model.parameters());
    opt.paramNames = model.namedParameters().map(([n]) => n);
    const before = await snapshot([...model.parameters(), ...opt.stateDict().values()]);
    // fc.weight is [3, 4] (the third parameter): NaN at its element 7, the rest finite
    const grads = model.parameters().map((p, i) => (i === 1 ? W.where(W.equal(W.arange(0, p.size).reshape(p.shape), W.scalar(7)), W.scalar(NaN), W.ones(p.shape)) : W.ones(p.shape)));
    const ok = opt.step(grads, { loss: W.scalar(1) });
    await expect(ok.item()).rejects.toThrow("the gradient of fc.weight has NaN at element 7 of [3,4]");
    expect(await snapshot([...model.parameters(), ...opt.stateDict().values()])).toEqual(before);
    expect(model.namedParameters()[1][0]).toBe("fc.weight");
  });

  it("allFinite: 1 for finite tensors, 0 with the first non-finite named, over chains of more than 6 tensors", async () => {
    await setBackend(backend);
    const ts = Array.from({ length: 9 }, (_, i) => tensor(Array.from({ length: 300 + i }, (_, k) => k - i)));
    const names = ts.map((_, i) => `t${i}`);
    expect(await allFinite(ts, names).item()).toBe(1);
    const bad = [...ts];
    bad[7] = tensor(Array.from({ length: 700 }, (_, k) => (k === 613 ? -Infinity : k)));
    await expect(allFinite(bad, names).item()).rejects.toThrow("t7 has -Infinity at element 613 of [700]");
    expect(() => allFinite([], [])).toThrow(W.ShapeError);
  });

  it("eager cross-entropy with a label out of range is an IndexError on this backend too", async () => {
    await setBackend(backend);
    await expect(W.F.crossEntropy(W.zeros([2, 10]), tensor([1, 10], [2], "int32")).item()).rejects.toThrow(/softmaxCrossEntropy: label 10 of sample 1 is outside \[0, 10\)/);
    await expect(W.F.embedding(tensor([10], [1], "int32"), W.zeros([10, 3])).data()).rejects.toThrow(IndexError);
  });

  it("a result computed from a read, clean result carries no status: chains of eager runs do not grow", async () => {
    await setBackend(backend);
    const y = W.gather(tensor([[1, 2], [3, 4]]), tensor([1], [1], "int32")).realize(); // a run that can fault
    const z = y.add(1).realize(); // cannot fault itself: it carries y's status
    expect(z.storage!.status).toBeDefined();
    expect(Array.from(await z.data())).toEqual([4, 5]); // reads y's status too: clean
    const w = z.mul(2).realize();
    expect(w.storage!.status).toBeUndefined();
  });
});
