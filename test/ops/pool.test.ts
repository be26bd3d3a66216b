/**
 * Hand-worked pooling on every backend (the CPU, and WebGPU where there is an adapter: always
 * under CI); inputs from the shared spec builder, tolerances from test/tolerance.ts.
 */
import { describe, expect, it } from "vitest";
import { F, ShapeError, grad, maxPool2dWithIndices, sum, tensor, zeros, mul, type Tensor } from "../../src/index.ts";
import { expectValues, onEachBackend, opCases, testBackends } from "../helpers/backends.ts";
import { given, makeInputs } from "../helpers/inputs.ts";
import { HAND } from "../tolerance.ts";

const backends = await testBackends();
// the 4×4 table of the pooling cases below, and a 2×2 one
const X = given([1, 3, 2, 4, 5, 6, 8, 7, 9, 2, 1, 0, 3, 4, 6, 5], [1, 1, 4, 4]);
const X22 = given([1, 2, 3, 4], [1, 1, 2, 2]);

opCases(backends, "pooling, hand-worked tables", [
  { name: "maxPool2d 2×2 stride 2 takes each block's maximum and remembers where it was (y·4 + x)", f: (x) => maxPool2dWithIndices(x, { kernelSize: 2 }), inputs: [X], want: [[6, 8, 9, 6], [5, 6, 8, 14]], how: "exact" },
  { name: "avgPool2d 2×2 stride 2 averages each block", f: (x) => F.avgPool2d(x, { kernelSize: 2 }), inputs: [X], want: [[15 / 4, 21 / 4, 18 / 4, 12 / 4]], how: "exact" },
  {
    name: "padding counts in the average by default (PyTorch)",
    f: (x) => F.avgPool2d(x, { kernelSize: 2, stride: 1, padding: 1 }),
    inputs: [X22],
    want: [[1 / 4, 3 / 4, 2 / 4, 4 / 4, 10 / 4, 6 / 4, 3 / 4, 7 / 4, 4 / 4]],
    how: "exact",
  },
  { name: "and not with countIncludePad false", f: (x) => F.avgPool2d(x, { kernelSize: 2, stride: 1, padding: 1, countIncludePad: false }), inputs: [X22], want: [[1, 1.5, 2, 2, 2.5, 3, 3, 3.5, 4]], how: "exact" },
  {
    name: "maxPool2d treats padding as −∞ and keeps the first of tied maxima",
    f: (x) => maxPool2dWithIndices(x, { kernelSize: 2, stride: 1, padding: 1 }),
    inputs: [given([-5, -5, -5, -5], [1, 1, 2, 2])],
    want: [Array(9).fill(-5), [0, 0, 1, 0, 0, 1, 2, 2, 3]],
    how: "exact",
  },
  { name: "a NaN in a window wins the max, as in PyTorch", f: (x) => F.maxPool2d(x, { kernelSize: 2 }), inputs: [given([1, NaN, 3, 2], [1, 1, 2, 2])], want: [[NaN]], how: "exact" },
  {
    // padded as [top 0, bottom 1, left 1, right 0] with the lowest float: the negative values still win
    name: "maxPool2d with padding [top, bottom, left, right]: the padding never wins, even against negatives",
    f: (x) => F.maxPool2d(x, { kernelSize: 2, padding: [0, 1, 1, 0] }),
    inputs: [given([-1, -2, -3, -4, -5, -6, -7, -8, -9], [1, 1, 3, 3])],
    want: [[-1, -2, -7, -8]], shapes: [[1, 1, 2, 2]], how: "exact",
  },
  {
    // "same" at stride 1 with a 2×2 window pads one row below and one column right
    name: 'avgPool2d padding "same": over the in-image elements (countIncludePad false) or all four',
    f: (x) => [F.avgPool2d(x, { kernelSize: 2, stride: 1, padding: "same", countIncludePad: false }), F.avgPool2d(x, { kernelSize: 2, stride: 1, padding: "same" })],
    inputs: [X22],
    want: [[2.5, 3, 3.5, 4], [2.5, 1.5, 1.75, 1]], shapes: [[1, 1, 2, 2], [1, 1, 2, 2]], how: "exact",
  },
  { name: "averages of non-integers", f: (x) => F.avgPool2d(x, { kernelSize: [1, 3] }), inputs: [given([0.1, 0.2, 0.7], [1, 1, 1, 3])], want: [[1 / 3]], how: "summed" },
]);

onEachBackend(backends, "pooling gradients by hand", (backend) => {
  it("maxPool2d backward routes dy to the argmax of each window", async () => {
    const dy = tensor([10, 20, 30, 40], [1, 1, 2, 2]);
    const g = grad((x) => sum(mul(F.maxPool2d(x, { kernelSize: 2 }), dy)))(makeInputs([X])[0]);
    await expectValues(g as Tensor, [0, 0, 0, 0, 0, 10, 20, 0, 30, 0, 0, 0, 0, 0, 40, 0], HAND.exact[backend]);
  });

  it("overlapping windows that share an argmax add their dy there", async () => {
    const x = tensor([0, 0, 0, 0, 9, 0, 0, 0, 0], [1, 1, 3, 3]);
    const g = grad((v) => sum(F.maxPool2d(v, { kernelSize: 2, stride: 1 })))(x);
    await expectValues(g as Tensor, [0, 0, 0, 0, 4, 0, 0, 0, 0], HAND.exact[backend]);
  });

  it("avgPool2d backward spreads dy/4 over each block", async () => {
    const g = grad((x) => sum(F.avgPool2d(x, { kernelSize: 2 })))(zeros([1, 1, 2, 4]));
    await expectValues(g as Tensor, Array(8).fill(0.25), HAND.exact[backend]);
  });
});

describe("pooling shape rules", () => {
  it("rejects non-4-D input, windows that do not fit and too much padding", () => {
    expect(() => F.maxPool2d(zeros([4, 4]), { kernelSize: 2 })).toThrow(ShapeError);
    expect(() => F.maxPool2d(zeros([4, 4]), { kernelSize: 2 })).toThrow(/maxPool2d: input must be 4-D NCHW, got \[4,4\]/);
    expect(() => F.avgPool2d(zeros([1, 1, 2, 2]), { kernelSize: 3 })).toThrow(/avgPool2d: window 3×3 does not fit input \[1,1,2,2\]/);
    expect(() => F.maxPool2d(zeros([1, 1, 8, 8]), { kernelSize: 2, padding: 2 })).toThrow(/at most half the kernel/);
  });
});
