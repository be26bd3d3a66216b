import { afterAll, beforeAll, describe, it } from "vitest";
import * as W from "../../src/index.ts";
import * as I from "../../src/internals.ts";
import { setBackend } from "../../src/index.ts";
import { expectKernelMatchesCpu, webgpuAvailable } from "../helpers/backends.ts";
import { TOL } from "../tolerance.ts";
import { rnd as s } from "../helpers/inputs.ts";

const gpu = await webgpuAvailable();

describe.skipIf(!gpu)("WebGPU elementwise kernels match the CPU reference", () => {
  beforeAll(() => setBackend("cpu"));
  afterAll(() => setBackend("cpu"));
  it.each([
    ["neg", W.neg, TOL.gpuExact], ["abs", W.abs, TOL.gpuExact], ["relu", W.relu, TOL.gpuExact], ["sign", W.sign, TOL.gpuExact],
    ["exp", W.exp, TOL.gpuPointwise], ["tanh", W.tanh, TOL.gpuPointwise], ["sigmoid", W.sigmoid, TOL.gpuPointwise],
  ] as const)("%s on [257] and [3,17,33]", async (name, f, tol) => {
    await expectKernelMatchesCpu(name, (x) => f(x), [s(257)], tol, { gradTol: TOL.gpuPointwise });
    await expectKernelMatchesCpu(name, (x) => f(x), [s(3, 17, 33)], tol, { gradTol: TOL.gpuPointwise });
  });
  it("log and sqrt on positive inputs", async () => {
    await expectKernelMatchesCpu("log", W.log, [{ shape: [127], range: [0.1, 3] }], TOL.gpuPointwise);
    await expectKernelMatchesCpu("sqrt", W.sqrt, [{ shape: [127], range: [0.1, 3] }], TOL.gpuPointwise);
  });
  it.each([
    ["add", W.add], ["sub", W.sub], ["mul", W.mul], ["maximum", W.maximum], ["reluBackward", I.reluBackward],
  ] as const)("%s with broadcasting [17,1,33] ∘ [5,1] and [1] ∘ [1]", async (name, f) => {
    await expectKernelMatchesCpu(name, (a, b) => f(a, b), [s(17, 1, 33), s(5, 1)], TOL.gpuExact, { gradTol: TOL.gpuAccumulate });
    await expectKernelMatchesCpu(name, (a, b) => f(a, b), [s(1), s(1)], TOL.gpuExact);
  });
  it("div and pow (JS semantics for negative bases and integer exponents)", async () => {
    await expectKernelMatchesCpu("div", W.div, [s(4, 33), { shape: [33], range: [0.5, 2] }], TOL.gpuPointwise, { gradTol: TOL.gpuAccumulate });
    await expectKernelMatchesCpu("pow", W.pow, [{ shape: [65], range: [0.2, 2] }, s(65)], TOL.gpuPointwise, { gradTol: TOL.gpuPointwise });
    await expectKernelMatchesCpu("pow negative base", (a) => W.pow(a, W.tensor([2, 3, 0, -1, 0.5], [5])), [{ shape: [5], values: [-2, -1.5, -3, -4, -1] }], TOL.gpuPointwise, { grads: false });
  });
  it("comparisons, where and casts give the same bits", async () => {
    const cmp = [W.greater, W.greaterEqual, W.less, W.lessEqual, W.equal, W.notEqual];
    await expectKernelMatchesCpu("compare", (a, b) => cmp.map((c) => c(a, b)), [{ shape: [6, 7], values: Array.from({ length: 42 }, (_, i) => i % 3) }, { shape: [7], values: [0, 1, 2, 0, 1, 2, 1] }], TOL.gpuExact, { grads: false });
    await expectKernelMatchesCpu("where", (c, a, b) => W.where(W.greater(c, 0), a, b), [s(9, 5), s(5), s(9, 1)], TOL.gpuExact, { gradTol: TOL.gpuAccumulate });
    await expectKernelMatchesCpu("cast", (x) => [W.cast(W.mul(x, 5), "int32"), W.cast(x, "bool"), W.cast(W.cast(W.mul(x, 5), "int32"), "float32")], [{ shape: [50], values: Array.from({ length: 50 }, (_, i) => (i - 25) / 7) }], TOL.gpuExact, { grads: false });
    await expectKernelMatchesCpu("int32 add/neg/abs", (a, b) => [W.add(a, b), W.neg(a), W.abs(a), W.maximum(a, b)], [{ shape: [4], dtype: "int32", values: [-3, 0, 7, 2] }, { shape: [4], dtype: "int32", values: [1, -5, 2, 2] }], TOL.gpuExact, { grads: false });
  });
  it("movement ops: slice, pad, concat, split, permute, expand (values and adjoints)", async () => {
    await expectKernelMatchesCpu("movement", (x, y) => [
      W.slice(x, { 0: [1, 3], 2: [2, -1] }), W.pad(x, [[0, 1], [2, 0], [1, 1]], 0.5), W.concat([x, y], 1),
      ...W.split(x, [1, 3, 1], 1), W.permute(x, [2, 0, 1]), W.expand(W.slice(y, { 1: [0, 1] }), [4, 3, 7]),
    ], [s(4, 5, 7), s(4, 2, 7)], TOL.gpuExact, { gradTol: TOL.gpuAccumulate });
  });
  it("concat and split of more pieces than one dispatch binds (7): 16 pieces, on the middle and last axes", async () => {
    const sizes = [1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4];
    await expectKernelMatchesCpu("many pieces", (x, y) => {
      const pieces = W.split(x, sizes, 1);
      const cols = W.split(y, 1, 2);
      return [
        W.concat(pieces.map((p, k) => W.mul(p, k + 1)), 1), ...pieces.slice(5, 9),
        W.concat(cols.map((c, k) => W.mul(c, k + 1)).reverse(), 2), cols[8], cols[15],
      ];
    }, [s(3, 40, 5), s(2, 3, 16)], TOL.gpuExact, { gradTol: TOL.gpuAccumulate });
  });
  it("NaN and ±Inf pass through as on the CPU", async () => {
    const v = [NaN, Infinity, -Infinity, 0, -0, 1e30, -1e30];
    await expectKernelMatchesCpu("specials", (x) => [W.relu(x), W.abs(x), W.neg(x), W.maximum(x, 0), W.mul(x, 2), W.max(x), W.exp(x)], [{ shape: [7], values: v }], TOL.gpuExact, { grads: false });
  });
  it("pad fills with -Infinity (max pooling's pre-padding), NaN, +Infinity and negative integers as on the CPU", async () => {
    for (const value of [-Infinity, NaN, Infinity, -2.5]) {
      await expectKernelMatchesCpu(`pad ${value}`, (x) => W.pad(x, [[1, 2], [0, 3]], value), [{ shape: [2, 3] }], TOL.gpuExact, { grads: false });
    }
    await expectKernelMatchesCpu("pad int32", (x) => W.pad(x, [[2, 1]], -5), [{ shape: [3], dtype: "int32", values: [1, 2, 3] }], TOL.gpuExact, { grads: false });
  });
});
