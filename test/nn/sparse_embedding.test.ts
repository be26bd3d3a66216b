/**
 * Sparse embedding updates (Embedding sparse: true, ops/sparse_updates.ts): SGD gives the dense
 * step's weights bit for bit, Adam is lazy (Adam on the used rows, the others untouched), the
 * update runs in place in a compiled step (the table's buffer never changes, its bytes do not
 * grow with the vocabulary), the guard still holds, and what cannot be updated by rows is
 * refused. On every backend, and WebGPU against the CPU.
 */
import { describe, expect, it } from "vitest";
import { compileTrainStep, fromArray, getBackend, manualSeed, setBackend, type Tensor } from "../../src/index.ts";
import { SkipGram, skipGramLoss } from "../../src/models/skipgram.ts";
import { Embedding } from "../../src/nn/embedding.ts";
import { Module } from "../../src/nn/module.ts";
import { Adam, AdamW } from "../../src/optim/adam.ts";
import { SGD } from "../../src/optim/sgd.ts";
import type { Optimizer } from "../../src/optim/optimizer.ts";
import { sparseAdamUpdate, sparseSgdUpdate } from "../../src/ops/sparse_updates.ts";
import { matmul } from "../../src/ops/matmul.ts";
import { sum } from "../../src/ops/reduce.ts";
import { planCosts, summarize } from "../../src/graph/cost.ts";
import { onEachBackend, testBackends } from "../helpers/backends.ts";
import { seeded } from "../helpers/gradcheck.ts";
import { expectClose, HAND } from "../tolerance.ts";

const backends = await testBackends();
const [B, K] = [16, 3];

/** Seeded skip-gram batches over V words: [centre, context, K negatives] with repeats, and their targets. */
function batches(v: number, n: number, seed = 3, cover = false): { x: Tensor; y: Tensor }[] {
  const rng = seeded(seed);
  return Array.from({ length: n }, () => {
    // cover: every word in the first two columns (so every row of both tables is used)
    const idx = Int32Array.from({ length: B * (2 + K) }, (_, i) => (cover && i % (2 + K) < 2 ? (Math.floor(i / (2 + K)) + (i % (2 + K)) * 7) % v : Math.floor(rng() * v)));
    const y = Float32Array.from({ length: B * (1 + K) }, (_, i) => (i % (1 + K) === 0 ? 1 : 0));
    return { x: fromArray(idx, [B, 2 + K], "int32"), y: fromArray(y, [B, 1 + K]) };
  });
}

/** Trains a skip-gram model (sparse or dense tables) from seed 0 and returns it with its weights and state after each step. */
async function train(sparse: boolean, v: number, make: (m: SkipGram) => Optimizer, data: { x: Tensor; y: Tensor }[]) {
  manualSeed(0);
  const model = new SkipGram(v, 8, { sparse });
  // start the output table away from zero, so both tables' gradients are not trivial
  model.outEmbed.weight.assign(fromArray(Float32Array.from({ length: v * 8 }, (_, i) => Math.sin(i) / 4), [v, 8]));
  const opt = make(model);
  const step = compileTrainStep(model, opt, skipGramLoss);
  const after: Float32Array[][] = [];
  const handles: unknown[] = [];
  // the weights, then the optimizer's state (lr, Adam's step and moments), by name
  const named = (): [string, Tensor][] => [...model.namedParameters(), ...opt.stateDict()];
  for (const { x, y } of data) {
    await step(x, y).loss.item();
    handles.push(model.inEmbed.weight.storage!.handle);
    after.push((await Promise.all(named().map(([, t]) => t.data()))).map((a) => Float32Array.from(a)));
  }
  return { model, opt, step, after, handles, keys: named().map(([k]) => k) };
}

onEachBackend(backends, "sparse embedding updates", (backend) => {
  it("SGD: the sparse step gives the dense step's weights bit for bit, and updates the table in place", async () => {
    const data = batches(20, 4);
    const sgd = (m: SkipGram) => new SGD(m.parameters(), { lr: 0.5 });
    const dense = await train(false, 20, sgd, data);
    const sparse = await train(true, 20, sgd, data);
    for (let s = 0; s < data.length; s++) {
      const [d, sp] = [dense.after[s], sparse.after[s]];
      // the same keys (lr, then each table), the same bits, every step
      expect(sparse.keys).toEqual(dense.keys);
      sp.forEach((a, k) => expect(Array.from(a), `step ${s}, ${sparse.keys[k]}`).toEqual(Array.from(d[k])));
    }
    // both tables moved (the comparison is not of untouched tables)
    expect(sparse.keys.slice(0, 2)).toEqual(["in_embed.weight", "out_embed.weight"]);
    for (const k of [0, 1]) expect(sparse.after[3][k].some((x, i) => x !== sparse.after[0][k][i])).toBe(true);
    // after the first step (which copies the table out of the tensor it was assigned from),
    // every step writes the table's own buffer
    expect(sparse.handles[2]).toBe(sparse.handles[1]);
    expect(sparse.handles[3]).toBe(sparse.handles[1]);
    expect(dense.handles[3]).not.toBe(dense.handles[2]);
    const plan = sparse.step.plan(data[0].x, data[0].y);
    const ops = plan.steps.map((st) => st.op.name);
    expect(ops.filter((o) => o === "sparseSgdUpdate")).toHaveLength(2);
    expect(ops).not.toContain("scatterAdd");
    expect(ops).not.toContain("sgdUpdate");
  });

  it("Adam: lazy on sparse tables, which is Adam itself when every row is used each step", async () => {
    const adam = (m: SkipGram) => new Adam(m.parameters(), { lr: 0.05 });
    const covering = batches(12, 3, 5, true);
    const dense = await train(false, 12, adam, covering);
    const sparse = await train(true, 12, adam, covering);
    expect(sparse.keys).toEqual(dense.keys);
    for (let s = 0; s < covering.length; s++) sparse.after[s].forEach((a, k) => expect(Array.from(a), `step ${s}, ${sparse.keys[k]}`).toEqual(Array.from(dense.after[s][k])));
    // row 11 used at step 1 only: dense Adam moves it again at step 2 (its moment), lazy Adam leaves it
    const oneRow = (used: boolean) => {
      const idx = Int32Array.from({ length: B * (2 + K) }, (_, i) => (used && i === 0 ? 11 : i % 11));
      return { x: fromArray(idx, [B, 2 + K], "int32"), y: batches(12, 1)[0].y };
    };
    const two = [oneRow(true), oneRow(false)];
    const lazy = await train(true, 12, adam, two);
    const full = await train(false, 12, adam, two);
    const row = (a: Float32Array) => Array.from(a.subarray(11 * 8, 12 * 8));
    for (const name of ["in_embed.weight", "in_embed.weight.exp_avg", "in_embed.weight.exp_avg_sq"]) {
      const k = lazy.keys.indexOf(name);
      expect(k, name).toBeGreaterThanOrEqual(0);
      expect(row(lazy.after[1][k]), name).toEqual(row(lazy.after[0][k]));
      expect(row(full.after[1][k]), name).not.toEqual(row(full.after[0][k]));
    }
    expect(row(lazy.after[0][lazy.keys.indexOf("in_embed.weight.exp_avg")]).some((x) => x !== 0)).toBe(true);
  });

  it("the update's bytes do not grow with the vocabulary; the dense step's do", async () => {
    const bytes = async (sparse: boolean, v: number) => {
      const m = new SkipGram(v, 8, { sparse });
      const step = compileTrainStep(m, new Adam(m.parameters()), skipGramLoss);
      const { x, y } = batches(20, 1)[0];
      const costs = planCosts(step.plan(x, y), { software: true, matmul: "direct" }).filter((c) => /^(sparse|adam|scatter|sgd)/.test(c.op));
      const s = summarize(costs);
      return s.bytesRead + s.bytesWritten;
    };
    expect(await bytes(true, 20)).toBe(await bytes(true, 20_000));
    expect(await bytes(false, 20_000)).toBeGreaterThan(100 * (await bytes(false, 20)) / 2);
  });

  it("eager: a non-finite gradient row or a skipped step leaves the table as it was; a bad index adds nothing", async () => {
    const p = () => fromArray(Float32Array.from({ length: 12 }, (_, i) => i), [4, 3]);
    const idx = fromArray(Int32Array.from([2, 0, 2]), [3], "int32");
    const rows = fromArray(Float32Array.from([1, 2, 3, 10, 20, 30, 0.5, 0.5, 0.5]), [3, 3]);
    const hyper = (lr: number, ok: number) => fromArray(Float32Array.from([lr, ok]), [2]);
    // rows 2 and 0 move by lr · their summed rows; rows 1 and 3 stay
    const tol = HAND.rounded[backend];
    expectClose(await sparseSgdUpdate(p(), idx, rows, hyper(0.1, 1)).data(), [0 - 1, 1 - 2, 2 - 3, 3, 4, 5, 6 - 0.15, 7 - 0.25, 8 - 0.35, 9, 10, 11], tol);
    expect(Array.from(await sparseSgdUpdate(p(), idx, rows, hyper(0.1, 0)).data())).toEqual(Array.from({ length: 12 }, (_, i) => i));
    const huge = fromArray(Float32Array.from([3e38, 0, 0, 0, 0, 0, 0, 0, 0]), [3, 3]);
    const big = await sparseSgdUpdate(p(), idx, huge, hyper(-10, 1)).data();
    expect(big[6]).toBe(6); // 6 + 3e39 would overflow: kept
    expect(big[7]).toBe(7);
    const [[h, m0, v0]] = [[fromArray(Float32Array.from([0.1, 0.1, 1, 1]), [4]), fromArray(new Float32Array(12), [4, 3]), fromArray(new Float32Array(12), [4, 3])]];
    const [np, nm, nv] = sparseAdamUpdate(p(), m0, v0, idx, rows, h, { b1: 0.9, b2: 0.999, eps: 1e-8 });
    const g = [1.5, 2.5, 3.5];
    // row 2: m = 0.1 g, v = 0.001 g², p − 0.1·m/(√v + ε)
    expectClose((await nm.data()).subarray(6, 9), g.map((x) => 0.1 * x), tol);
    expectClose((await nv.data()).subarray(6, 9), g.map((x) => 0.001 * x * x), tol);
    expectClose((await np.data()).subarray(6, 9), g.map((x, j) => 6 + j - (0.1 * 0.1 * x) / (Math.sqrt(0.001 * x * x) + 1e-8)), tol);
    expect(Array.from((await np.data()).subarray(3, 6))).toEqual([3, 4, 5]);
    expect(Array.from((await nm.data()).subarray(3, 6))).toEqual([0, 0, 0]);
    // an index outside the table: the fault names the op, the index and where; the rest still applies
    const bad = fromArray(Int32Array.from([2, 7, 2]), [3], "int32");
    await expect(sparseSgdUpdate(p(), bad, rows, hyper(0.1, 1)).data()).rejects.toThrow(/sparseSgdUpdate: index 7 at position 1 is outside \[0, 4\)/);
  });

  it("a read issued before a step returns the values before it, though the step updates that buffer in place", async () => {
    manualSeed(1);
    const model = new SkipGram(10, 4);
    const step = compileTrainStep(model, new SGD(model.parameters(), { lr: 1 }), skipGramLoss);
    const data = batches(10, 3);
    await step(data[0].x, data[0].y).loss.item();
    await step(data[1].x, data[1].y).loss.item();
    const handle = model.inEmbed.weight.storage!.handle;
    const before = Float32Array.from(await model.inEmbed.weight.data());
    const pending = model.inEmbed.weight.data();
    step(data[2].x, data[2].y);
    expect(model.inEmbed.weight.storage!.handle).toBe(handle);
    expect(Array.from(await pending)).toEqual(Array.from(before));
    expect(Array.from(await model.inEmbed.weight.data())).not.toEqual(Array.from(before));
    expect(getBackend().name).toBe(backend);
  });
});

describe("what cannot be updated by rows is refused, naming the parameter and the way out", () => {
  class Tied extends Module {
    readonly emb = this.module("emb", new Embedding(6, 4, { sparse: true }));
    forward(x: Tensor): Tensor {
      // the table also read by a matmul: its gradient is not only gather's
      return sum(matmul(this.emb.forward(x), this.emb.weight, { transposeB: true }), [1]);
    }
  }
  it("a table read by another op, momentum, weight decay, AdamW, paddingIdx", async () => {
    await setBackend("cpu");
    const t = new Tied();
    const step = compileTrainStep(t, new SGD(t.parameters(), { lr: 0.1 }), (out) => sum(out));
    expect(() => step(fromArray(Int32Array.from([1, 2]), [2], "int32"), fromArray(new Float32Array(2), [2]))).toThrow(/SGD\.step: emb\.weight has sparse gradients .* computed by add, not only gather's: .* make it with sparse: false/);
    const e = new Embedding(6, 4, { sparse: true });
    expect(() => new SGD(e.parameters(), { lr: 0.1, momentum: 0.9 })).toThrow(/SGD: float32\[6,4\] .*has sparse gradients .*momentum \(0\.9\) would move every row; make the embedding with sparse: false/);
    expect(() => new SGD(e.parameters(), { lr: 0.1, weightDecay: 1e-4 })).toThrow(/weight decay would shrink every row/);
    expect(() => new AdamW(e.parameters())).toThrow(/AdamW: .*sparse gradients.*a lazy update cannot decay \(weight decay 0\.01\)/);
    expect(() => new Adam([{ params: e.parameters(), weightDecay: 0.1 }])).toThrow(/cannot decay \(weight decay 0\.1\)/);
    expect(() => new Embedding(6, 4, { sparse: true, paddingIdx: 0 })).toThrow(/Embedding: paddingIdx \(0\) and sparse: true do not combine/);
  });
});
