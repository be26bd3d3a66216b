import { describe, expect, it } from "vitest";
import { F, ShapeError, grad, maxPool2dWithIndices, sum, tensor, zeros, mul } from "../../src/index.ts";
import { values } from "../helpers/values.ts";

// 4×4 table used by the pooling tables below
const X = [1, 3, 2, 4, 5, 6, 8, 7, 9, 2, 1, 0, 3, 4, 6, 5];

describe("pooling, hand-worked tables", () => {
  it("maxPool2d 2×2 stride 2 takes each block's maximum and remembers where it was", async () => {
    const [y, arg] = maxPool2dWithIndices(tensor(X, [1, 1, 4, 4]), { kernelSize: 2 });
    expect(await values(y)).toEqual([6, 8, 9, 6]);
    expect(await values(arg)).toEqual([5, 6, 8, 14]); // y·4 + x of 6, 8, 9, 6
  });

  it("avgPool2d 2×2 stride 2 averages each block", async () => {
    const y = F.avgPool2d(tensor(X, [1, 1, 4, 4]), { kernelSize: 2 });
    expect(await values(y)).toEqual([15 / 4, 21 / 4, 18 / 4, 12 / 4]);
  });

  it("padding counts in the average by default (PyTorch) and not with countIncludePad false", async () => {
    const x = tensor([1, 2, 3, 4], [1, 1, 2, 2]);
    const incl = F.avgPool2d(x, { kernelSize: 2, stride: 1, padding: 1 });
    const excl = F.avgPool2d(x, { kernelSize: 2, stride: 1, padding: 1, countIncludePad: false });
    expect(await values(incl)).toEqual([1 / 4, 3 / 4, 2 / 4, 4 / 4, 10 / 4, 6 / 4, 3 / 4, 7 / 4, 4 / 4]);
    expect(await values(excl)).toEqual([1, 1.5, 2, 2, 2.5, 3, 3, 3.5, 4]);
  });

  it("maxPool2d treats padding as −∞ and keeps the first of tied maxima", async () => {
    const x = tensor([-5, -5, -5, -5], [1, 1, 2, 2]);
    const [y, arg] = maxPool2dWithIndices(x, { kernelSize: 2, stride: 1, padding: 1 });
    expect(await values(y)).toEqual(Array(9).fill(-5));
    expect(await values(arg)).toEqual([0, 0, 1, 0, 0, 1, 2, 2, 3]);
  });

  it("a NaN in a window wins the max, as in PyTorch", async () => {
    const y = F.maxPool2d(tensor([1, NaN, 3, 2], [1, 1, 2, 2]), { kernelSize: 2 });
    expect(Number.isNaN((await values(y))[0])).toBe(true);
  });

  it("maxPool2d backward routes dy to the argmax of each window", async () => {
    const dy = tensor([10, 20, 30, 40], [1, 1, 2, 2]);
    const g = grad((x) => sum(mul(F.maxPool2d(x, { kernelSize: 2 }), dy)))(tensor(X, [1, 1, 4, 4]));
    expect(await values(g as never)).toEqual([0, 0, 0, 0, 0, 10, 20, 0, 30, 0, 0, 0, 0, 0, 40, 0]);
  });

  it("overlapping windows that share an argmax add their dy there", async () => {
    const x = tensor([0, 0, 0, 0, 9, 0, 0, 0, 0], [1, 1, 3, 3]);
    const g = grad((v) => sum(F.maxPool2d(v, { kernelSize: 2, stride: 1 })))(x);
    expect(await values(g as never)).toEqual([0, 0, 0, 0, 4, 0, 0, 0, 0]);
  });

  it("avgPool2d backward spreads dy/4 over each block", async () => {
    const g = grad((x) => sum(F.avgPool2d(x, { kernelSize: 2 })))(zeros([1, 1, 2, 4]));
    expect(await values(g as never)).toEqual(Array(8).fill(0.25));
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
