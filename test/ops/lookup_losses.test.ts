/**
 * Hand-worked lookups, losses and dropout on every backend (the CPU, and WebGPU where there is
 * an adapter: always under CI), faults included; inputs from the shared spec builder,
 * tolerances from test/tolerance.ts. The fused-vs-composed checks run on the CPU in float64,
 * where they are sharp.
 */
import { describe, expect, it } from "vitest";
import * as W from "../../src/index.ts";
import { DTypeError, F, IndexError, ShapeError, tensor } from "../../src/index.ts";
import { dropout } from "../../src/ops/dropout.ts";
import { trainMeter } from "../../src/ops/meter.ts";
import { HAND, expectClose, TOL } from "../tolerance.ts";
import { values } from "../helpers/values.ts";
import { onEachBackend, opCases, testBackends } from "../helpers/backends.ts";
import { given, ints as intSpec, makeInputs } from "../helpers/inputs.ts";

const backends = await testBackends();
const ints = (v: number[], shape = [v.length]) => tensor(v, shape, "int32");
const TABLE = given([0, 1, 10, 11, 20, 21], [3, 2]);
const IDX = intSpec([2, 2], [2, 0, 2, 1]);

opCases(backends, "gather and scatterAdd (embeddings), softmax and cross-entropy by hand", [
  { name: "gather picks rows", f: (t, i) => W.gather(t, i), inputs: [TABLE, IDX], want: [[20, 21, 0, 1, 20, 21, 10, 11]], shapes: [[2, 2, 2]], how: "exact" },
  { name: "scatterAdd adds them back, repeated indices summed", f: (t, i) => W.scatterAdd(W.gather(t, i), i, 3), inputs: [TABLE, IDX], want: [[0, 1, 10, 11, 40, 42]], how: "exact" },
  { name: "F.embedding is gather with PyTorch's argument order", f: (i, t) => F.embedding(i, t), inputs: [intSpec([1], [1]), given([1, 2, 3, 4], [2, 2])], want: [[3, 4]], how: "exact" },
  {
    name: "softmax rows sum to 1 and ignore a constant shift, even a huge one",
    f: (x) => W.softmax(x),
    inputs: [given([1, 2, 3, 1001, 1002, 1003], [2, 3])],
    want: [[1, 2, 3, 1, 2, 3].map((v) => Math.exp(v) / (Math.exp(1) + Math.exp(2) + Math.exp(3)))],
    how: "rounded",
  },
  { name: "logSoftmax of equal logits is −log C", f: (x) => W.logSoftmax(x), inputs: [given([5, 5, 5, 5], [1, 4])], want: [Array(4).fill(-Math.log(4))], how: "rounded" },
  {
    name: "cross-entropy: log 2 for a tie, log Σeˣ − x_label in general; mean and sum",
    f: (x, y) => [W.softmaxCrossEntropy(x, y), F.crossEntropy(x, y), F.crossEntropy(x, y, { reduction: "sum" })],
    inputs: [given([0, 0, 1, 2], [2, 2]), intSpec([2], [0, 0])],
    want: [[Math.LN2, Math.log(Math.E + Math.E ** 2) - 1], [(Math.LN2 + Math.log(Math.E + Math.E ** 2) - 1) / 2], [Math.LN2 + Math.log(Math.E + Math.E ** 2) - 1]],
    how: "rounded",
  },
  {
    // rows 0 and 2 count (log 2 and log(e + e²) − 1), row 1's label is the ignored −100
    name: "cross-entropy with ignoreIndex: ignored labels add nothing and the mean divides by those that count",
    f: (x, y) => [F.crossEntropy(x, y, { ignoreIndex: -100, reduction: "none" }), F.crossEntropy(x, y, { ignoreIndex: -100 }), F.crossEntropy(x, y, { ignoreIndex: -100, reduction: "sum" })],
    inputs: [given([0, 0, 7, -7, 1, 2], [3, 2]), intSpec([3], [0, -100, 0])],
    want: [[Math.LN2, 0, Math.log(Math.E + Math.E ** 2) - 1], [(Math.LN2 + Math.log(Math.E + Math.E ** 2) - 1) / 2], [Math.LN2 + Math.log(Math.E + Math.E ** 2) - 1]],
    how: "rounded",
  },
  {
    // −log σ(s) for t = 1 and −log σ(−s) for t = 0: log 2 at 0, ≈ 0 and 40 at ±40 (no overflow)
    name: "binaryCrossEntropyWithLogits is −[t log σ(s) + (1 − t) log σ(−s)], stable at large |s|",
    f: (s, t) => F.binaryCrossEntropyWithLogits(s, t, { reduction: "none" }),
    inputs: [given([0, 40, 40, -40, 2]), intSpec([5], [1, 1, 0, 0, 0])],
    want: [[Math.LN2, Math.log1p(Math.exp(-40)), 40, Math.log1p(Math.exp(-40)), 2 + Math.log1p(Math.exp(-2))]],
    how: "rounded",
  },
  { name: "mseLoss is the mean of squared differences", f: (a, b) => F.mseLoss(a, b), inputs: [given([1, 2, 3]), given([1, 0, 0])], want: [[13 / 3]], how: "rounded" },
]);

// logits rows: argmax 1, 0, 0 (a tie keeps the first), 2
const LOGITS = given([1, 3, 2, 5, 0, 0, 0, 0, 0, -1, -2, 4], [4, 3]);
const meter = (accuracy: boolean) => (stats: W.Tensor, loss: W.Tensor, logits: W.Tensor, y: W.Tensor, ok: W.Tensor) => trainMeter(stats, loss, logits, y, ok, { accuracy });
opCases(backends, "trainMeter: the running sums [loss, correct, examples, steps, skipped] of a training step", [
  { name: "a good step adds its loss, correct rows, examples and one step", f: meter(true), inputs: [given([1, 2, 3, 4, 5]), given([0.5], []), LOGITS, intSpec([4], [1, 0, 2, 2]), given([1])], want: [[1.5, 5, 7, 5, 5]], how: "exact" },
  { name: "a skipped step (ok 0) adds only its count, even with a NaN loss", f: meter(true), inputs: [given([1, 2, 3, 4, 5]), given([NaN], []), LOGITS, intSpec([4], [1, 0, 2, 2]), given([0])], want: [[1, 2, 3, 4, 6]], how: "exact" },
  { name: "without accuracy nothing is counted correct", f: meter(false), inputs: [given([0, 0, 0, 0, 0]), given([2], []), LOGITS, intSpec([4], [1, 0, 0, 2]), given([1])], want: [[2, 0, 4, 1, 0]], how: "exact" },
  { name: "a loss meter takes outputs shaped like the labels (binary targets): examples are B", f: meter(false), inputs: [given([0, 0, 0, 0, 0]), given([3], []), given([1, 2, 3, 4, 5, 6], [2, 3]), intSpec([2, 3], [1, 0, 0, 1, 0, 0]), given([1])], want: [[3, 0, 2, 1, 0]], how: "exact" },
  { name: "a language model's [B, T, V] logits and [B, T] labels: examples are B", f: meter(true), inputs: [given([0, 0, 0, 0, 0]), given([1], []), given([1, 3, 2, 5, 0, 0, 0, 0, 0, -1, -2, 4], [2, 2, 3]), intSpec([2, 2], [1, 0, 0, 2]), given([1])], want: [[1, 4, 2, 1, 0]], how: "exact" },
]);

onEachBackend(backends, "the fused mean and sum of cross-entropy", (backend) => {
  it.each(["mean", "sum"] as const)("%s equals the per-sample losses reduced, values and gradients", async (reduction) => {
    const [x, y] = makeInputs([{ shape: [37, 5], range: [-3, 3] }, intSpec([37], Array.from({ length: 37 }, (_, i) => (i * 3) % 5))], 4);
    const fused = (v: W.Tensor) => F.crossEntropy(v, y, { reduction });
    const unfused = (v: W.Tensor) => (reduction === "mean" ? W.mean : W.sum)(W.softmaxCrossEntropy(v, y));
    expect(fused(x).shape).toEqual([]);
    expectClose(await fused(x).data(), await unfused(x).data(), HAND.summed[backend], `${reduction} on ${backend}`);
    const [g1, g2] = [W.grad(fused)(x) as W.Tensor, W.grad(unfused)(x) as W.Tensor];
    expectClose(await g1.data(), await g2.data(), HAND.summed[backend], `gradient of the ${reduction} on ${backend}`);
    // the fused form: one kernel each way, no sum, division or expand
    const names = W.compile((v: W.Tensor) => W.grad(fused)(v) as W.Tensor).plan(x).steps.map((st) => st.op.name);
    expect(names).toEqual(["softmaxCrossEntropyBackward"]);
  });
});

onEachBackend(backends, "lookup and loss faults", () => {
  it("an index outside the table is an IndexError naming the op, index and position", async () => {
    const y = W.gather(tensor([[1], [2]]), ints([0, 2]));
    await expect(y.data()).rejects.toThrow(IndexError);
    await expect(W.gather(tensor([[1], [2]]), ints([-1])).data()).rejects.toThrow("gather: index -1 at position 0 is outside [0, 2) (the table has 2 rows)");
    expect(() => W.gather(tensor([[1]]), tensor([0]))).toThrow(DTypeError);
  });
  it("a fault survives disposing the run's other results (the status is given back only when none is left)", async () => {
    const f = W.compile((x: W.Tensor, y: W.Tensor) => {
      const l = W.softmaxCrossEntropy(x, y);
      return [l, W.mul(l, 2)];
    });
    const [a, b] = f(tensor([[1, 2], [3, 4]]), ints([1, 2])) as W.Tensor[];
    b.dispose();
    await expect(a.data()).rejects.toThrow("softmaxCrossEntropy: label 2 of sample 1 is outside [0, 2)");
  });
  it("trainMeter checks its shapes and dtypes", () => {
    const z = W.zeros([5]);
    expect(() => trainMeter(W.zeros([4]), W.scalar(1), W.zeros([2, 3]), ints([0, 1]), W.ones([1]), { accuracy: true })).toThrow(/trainMeter: stats must be \[5\]/);
    expect(() => trainMeter(z, W.scalar(1), W.zeros([2, 3]), ints([0, 1, 2]), W.ones([1]), { accuracy: true })).toThrow(/trainMeter: logits must be \[\.\.\., C\] with one row per label/);
    expect(() => trainMeter(z, W.scalar(1), W.zeros([2, 3]), tensor([0, 1]), W.ones([1]), { accuracy: true })).toThrow(/trainMeter: labels have dtype float32, expected int32/);
  });
  it("a label outside [0, C) is an IndexError; wrong shapes are a ShapeError", async () => {
    await expect(W.softmaxCrossEntropy(tensor([[1, 2]]), ints([2])).data()).rejects.toThrow("softmaxCrossEntropy: label 2 of sample 0 is outside [0, 2)");
    expect(() => W.softmaxCrossEntropy(tensor([[1, 2]]), ints([0, 1]))).toThrow(ShapeError);
    expect(() => W.softmaxCrossEntropy(tensor([[1, 2]]), tensor([0]))).toThrow(/labels have dtype float32, expected int32/);
  });
});

describe("softmax cross-entropy on the CPU, float64", () => {
  it("by hand, to float64 precision", async () => {
    const logits = tensor([[0, 0], [1, 2]], undefined, "float64");
    const per = await values(W.softmaxCrossEntropy(logits, ints([0, 0])));
    expectClose(per, [Math.LN2, Math.log(Math.E + Math.E ** 2) - 1], TOL.handF64);
    expectClose([await F.crossEntropy(logits, ints([0, 0])).item()], [(per[0] + per[1]) / 2], TOL.handF64);
  });
  it("the fused primitive equals logSoftmax + pick, values and gradients", async () => {
    const x = tensor(Array.from({ length: 12 }, (_, i) => Math.sin(i) * 3), [3, 4], "float64");
    const labels = ints([3, 0, 2]);
    const onehot = tensor([[0, 0, 0, 1], [1, 0, 0, 0], [0, 0, 1, 0]], undefined, "float64");
    const composed = (v: W.Tensor) => W.neg(W.sum(W.mul(W.logSoftmax(v), onehot), 1));
    expectClose(await values(W.softmaxCrossEntropy(x, labels)), await values(composed(x)), TOL.composition);
    const g1 = W.grad((v) => W.sum(W.softmaxCrossEntropy(v, labels)))(x) as W.Tensor;
    const g2 = W.grad((v) => W.sum(composed(v)))(x) as W.Tensor;
    expectClose(await values(g1), await values(g2), TOL.composition);
  });
});

onEachBackend(backends, "dropout", () => {
  const seed = (s: number) => tensor([s], [], "int32");
  it("keeps about 1 − p of the elements, scaled by 1/(1 − p), the rest exactly 0", async () => {
    const n = 20000;
    const y = await values(dropout(W.ones([n]), seed(7), 0.25));
    const kept = y.filter((v) => v !== 0);
    expect(new Set(kept)).toEqual(new Set([Math.fround(1 / 0.75)]));
    // binomial(n, 0.75): sd ≈ 61, so ±400 is > 6 sd
    expect(Math.abs(kept.length - 0.75 * n)).toBeLessThan(400);
  });
  it("is a pure function of (seed, index): same seed, same mask; new seed, new mask", async () => {
    const a = await values(dropout(W.ones([64]), seed(1), 0.5));
    expect(await values(dropout(W.ones([64]), seed(1), 0.5))).toEqual(a);
    expect(await values(dropout(W.ones([64]), seed(2), 0.5))).not.toEqual(a);
  });
  it("the gradient is masked by the same mask as the forward pass", async () => {
    const x = W.ones([256]);
    const y = await values(dropout(x, seed(9), 0.5));
    const g = await values(W.grad((v) => W.sum(dropout(v, seed(9), 0.5)))(x) as W.Tensor);
    expect(g).toEqual(y);
  });
  it("F.dropout inside compile draws a new mask on every call (an explicit seed keeps one)", async () => {
    const free = W.compile((x: W.Tensor) => F.dropout(x, { p: 0.5 }));
    const fixed = W.compile((x: W.Tensor) => F.dropout(x, { p: 0.5, seed: 5 }));
    const x = W.ones([128]);
    expect(await values(free(x))).not.toEqual(await values(free(x)));
    expect(await values(fixed(x))).toEqual(await values(fixed(x)));
  });
  it("F.dropout is the identity in eval mode or with p = 0, and checks p", async () => {
    const x = tensor([1, 2, 3]);
    expect(F.dropout(x, { training: false })).toBe(x);
    expect(F.dropout(x, { p: 0 })).toBe(x);
    expect(() => F.dropout(x, { p: 1 })).toThrow("dropout: p must be in [0, 1), got 1");
  });
});
