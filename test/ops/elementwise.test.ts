/**
 * Hand-worked elementwise values on every backend (the CPU, and WebGPU where there is an
 * adapter: always under CI). Inputs come from the shared spec builder (test/helpers/inputs.ts),
 * tolerances from test/tolerance.ts.
 */
import { describe, expect, it } from "vitest";
import * as W from "../../src/index.ts";
import * as I from "../../src/internals.ts";
import { DTypeError, ShapeError, tensor } from "../../src/index.ts";
import { expectValues, onEachBackend, opCases, testBackends } from "../helpers/backends.ts";
import { given } from "../helpers/inputs.ts";
import { HAND } from "../tolerance.ts";

const backends = await testBackends();
const X = given([-2, 0, 3, NaN]);

opCases(backends, "unary ops: textbook values, NaN in → NaN out", [
  { name: "relu", f: W.relu, inputs: [X], want: [[0, 0, 3, NaN]], how: "exact" },
  { name: "abs", f: W.abs, inputs: [X], want: [[2, 0, 3, NaN]], how: "exact" },
  { name: "sign", f: W.sign, inputs: [X], want: [[-1, 0, 1, NaN]], how: "exact" },
  { name: "neg", f: W.neg, inputs: [X], want: [[2, -0, -3, NaN]], how: "exact" },
  { name: "sigmoid saturates", f: W.sigmoid, inputs: [given([0, -1000, 1000, NaN])], want: [[0.5, 0, 1, NaN]], how: "rounded" },
  // log(1 + e^x) without overflow: 1000 stays 1000, −1000 gives e^−1000 = 0, and softplus(−30) is e^−30 to f32's precision
  { name: "softplus stable at both ends", f: W.softplus, inputs: [given([0, -1000, 1000, -30, NaN])], want: [[Math.LN2, 0, 1000, Math.exp(-30), NaN]], how: "rounded" },
  { name: "tanh saturates", f: W.tanh, inputs: [given([0, 50, -50, 0.5])], want: [[0, 1, -1, Math.tanh(0.5)]], how: "rounded" },
  { name: "exp", f: W.exp, inputs: [given([0, 1, -1, NaN])], want: [[1, Math.E, 1 / Math.E, NaN]], how: "rounded" },
  { name: "log of 1, 0, −1, e", f: W.log, inputs: [given([1, 0, -1, Math.E])], want: [[0, -Infinity, NaN, 1]], how: "rounded" },
  { name: "sqrt", f: W.sqrt, inputs: [given([4, 2, -1, 0])], want: [[2, Math.SQRT2, NaN, 0]], how: "rounded" },
  { name: "square", f: W.square, inputs: [given([-3, 0.5])], want: [[9, 0.25]], how: "exact" },
]);

opCases(backends, "binary ops broadcast [2,1] with [3] to [2,3]", [
  { name: "add", f: W.add, inputs: [given([1, 2], [2, 1]), given([10, 20, 30])], want: [[11, 21, 31, 12, 22, 32]], shapes: [[2, 3]], how: "exact" },
  { name: "sub", f: W.sub, inputs: [given([10, 20, 30]), given([1, 2], [2, 1])], want: [[9, 19, 29, 8, 18, 28]], how: "exact" },
  { name: "mul by a number", f: (a) => W.mul(a, 2), inputs: [given([1, 2], [2, 1])], want: [[2, 4]], how: "exact" },
  { name: "div of a number by ±0", f: (b) => W.div(1, b), inputs: [given([4, 0, -0])], want: [[0.25, Infinity, -Infinity]], how: "rounded" },
  { name: "pow", f: W.pow, inputs: [given([2, 9, -8, 0]), given([3, 0.5, 2, 0])], want: [[8, 3, 64, 1]], how: "rounded" },
  { name: "maximum with NaN", f: (a) => W.maximum(a, 3), inputs: [given([1, 5, NaN])], want: [[3, 5, NaN]], how: "exact" },
  { name: "minimum", f: (a) => W.minimum(a, 3), inputs: [given([1, 5])], want: [[1, 3]], how: "exact" },
  { name: "reluBackward", f: I.reluBackward, inputs: [given([1, 2, 3, NaN, 5]), given([-1, 0, 2, 1, NaN])], want: [[0, 0, 3, NaN, 0]], how: "exact" },
  {
    name: "three ranks with a size-1 middle axis: [2,1,3] + [4,1]",
    f: (a, b) => W.add(a, b),
    inputs: [given([0, 1, 2, 3, 4, 5], [2, 1, 3]), given([0, 1, 2, 3], [4, 1])],
    want: [Array.from({ length: 24 }, (_, i) => Math.floor(i / 12) * 3 + (i % 3) + (Math.floor(i / 3) % 4))],
    shapes: [[2, 4, 3]],
    how: "exact",
  },
]);

opCases(backends, "comparisons give bool, where picks by them, cast converts", [
  { name: "greater", f: (x) => W.greater(x, 2), inputs: [given([1, 5, 3])], want: [[0, 1, 1]], how: "exact" },
  { name: "equal", f: W.equal, inputs: [given([1, 5, 3]), given([1, 0, 3])], want: [[1, 0, 1]], how: "exact" },
  { name: "lessEqual", f: (x) => W.lessEqual(x, 3), inputs: [given([1, 5, 3])], want: [[1, 0, 1]], how: "exact" },
  { name: "where(x > 2, x, −1)", f: (x) => W.where(W.greater(x, 2), x, -1), inputs: [given([1, 5, 3])], want: [[-1, 5, 3]], how: "exact" },
  { name: "where of two numbers", f: (x) => W.where(W.greater(x, 2), 1, 0), inputs: [given([1, 5, 3])], want: [[0, 1, 1]], how: "exact" },
  { name: "cast to int32 truncates toward zero", f: (x) => W.cast(x, "int32"), inputs: [given([-1.7, 0, 2.9])], want: [[-1, 0, 2]], how: "exact" },
  { name: "cast to bool maps nonzero to true", f: (x) => W.cast(x, "bool"), inputs: [given([-1.7, 0, 2.9])], want: [[1, 0, 1]], how: "exact" },
  { name: "bool back to float32", f: (x) => W.cast(W.cast(x, "bool"), "float32"), inputs: [given([-1.7, 0, 2.9])], want: [[1, 0, 1]], how: "exact" },
  { name: "int32 arithmetic", f: (a, b) => [W.add(a, b), W.mul(a, b), W.abs(a)], inputs: [given([-3, 7], [2], "int32"), given([5, -2], [2], "int32")], want: [[2, 5], [-15, -14], [3, 7]], how: "exact" },
]);

onEachBackend(backends, "elementwise gradients by hand", (backend) => {
  it("relu's gradient is one reluBackward step (not greater + where) and matches the rule", async () => {
    const x = tensor([-2, -0.5, 0, 0.5, 3]);
    const [g] = W.gradients(W.sum(W.mul(W.relu(x), tensor([1, 2, 3, 4, 5]))), [x]);
    const names = I.buildPlan([g], (t) => t.storage !== null).plan.steps.map((st) => st.op.name);
    expect(names).toContain("reluBackward");
    expect(names).not.toContain("where");
    await expectValues(g, [0, 0, 0, 4, 5], HAND.exact[backend]);
  });

  it("detach keeps the values and blocks the gradient", async () => {
    const x = tensor([3]);
    await expectValues(W.detach(x), [3], HAND.exact[backend]);
    const g = W.grad((v) => W.mul(W.detach(v), v))(x) as W.Tensor; // d/dv (c·v) with c = 3
    await expectValues(g, [3], HAND.exact[backend]);
  });
});

describe("elementwise shape rules", () => {
  it("shape and dtype errors name the op and the operands", () => {
    expect(() => W.add(W.zeros([2, 3]), W.zeros([4]))).toThrow(ShapeError);
    expect(() => W.add(W.zeros([2, 3]), W.zeros([4]))).toThrow("add: shapes [2,3] and [4] do not broadcast (axis -1: 3 vs 4)");
    expect(() => W.mul(W.zeros([2], "float32"), W.zeros([2], "float64"))).toThrow(DTypeError);
    expect(() => W.exp(W.zeros([2], "int32"))).toThrow(/exp: input has dtype int32, expected float32 or float64/);
    expect(() => W.where(W.zeros([2]), 1, 0)).toThrow(/where: condition has dtype float32, expected bool/);
    expect(() => I.reluBackward(tensor([1], [1], "int32"), tensor([1], [1], "int32"))).toThrow(/reluBackward/);
  });
});
