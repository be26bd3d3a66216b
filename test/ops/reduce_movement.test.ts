import { describe, expect, it } from "vitest";
import * as W from "../../src/index.ts";
import { ShapeError, arange, reshape, tensor } from "../../src/index.ts";
import { values } from "../helpers/values.ts";

const x23 = () => reshape(arange(1, 7), [2, 3]); // [[1,2,3],[4,5,6]]

describe("reductions", () => {
  it("sum, mean, max over axes with and without keepdims", async () => {
    expect(await values(W.sum(x23()))).toEqual([21]);
    expect(await values(W.sum(x23(), 0))).toEqual([5, 7, 9]);
    const k = W.sum(x23(), 1, true);
    expect(k.shape).toEqual([2, 1]);
    expect(await values(k)).toEqual([6, 15]);
    expect(await values(W.mean(x23(), -1))).toEqual([2, 5]);
    expect(await values(W.max(x23(), 0))).toEqual([4, 5, 6]);
    expect(await values(W.min(x23(), 1))).toEqual([1, 4]);
    expect(await values(W.max(tensor([1, NaN, 3])))).toEqual([NaN]);
  });
  it("sums over non-adjacent axes of a 3-D tensor", async () => {
    const y = W.sum(reshape(arange(24), [2, 3, 4]), [0, 2]);
    // Σ over i, k of 12i + 4j + k = 4·(0+12)·… computed directly:
    const want = [0, 1, 2].map((j) => [0, 1].reduce((a, i) => a + [0, 1, 2, 3].reduce((b, k) => b + 12 * i + 4 * j + k, 0), 0));
    expect(await values(y)).toEqual(want);
  });
  it("max over an empty axis and a bad axis are shape errors", () => {
    expect(() => W.max(W.zeros([2, 0]), 1)).toThrow(/max: axis 1 of \[2,0\] is empty/);
    expect(() => W.sum(W.zeros([2, 3]), 2)).toThrow("sum: axis 2 is out of range for a tensor of rank 2");
  });
});

describe("movement", () => {
  it("reshape infers -1 and rejects a size mismatch", async () => {
    expect(W.reshape(x23(), [3, -1]).shape).toEqual([3, 2]);
    expect(() => W.reshape(x23(), [4, 2])).toThrow("reshape: float32[2,3] has 6 elements, target [4,2] has 8");
  });
  it("permute and transpose move axes", async () => {
    expect(await values(W.transpose(x23()))).toEqual([1, 4, 2, 5, 3, 6]);
    const p = W.permute(reshape(arange(24), [2, 3, 4]), [2, 0, 1]);
    expect(p.shape).toEqual([4, 2, 3]);
    expect((await values(p))[1 * 6 + 1 * 3 + 2]).toBe(1 * 12 + 2 * 4 + 1); // p[1,1,2] = x[1,2,1]
    expect(() => W.permute(x23(), [0, 0])).toThrow(/permute: \[0,0\] is not a permutation/);
  });
  it("expand broadcasts size-1 axes and refuses others", async () => {
    expect(await values(W.expand(tensor([[1], [2]]), [2, 3]))).toEqual([1, 1, 1, 2, 2, 2]);
    expect(() => W.expand(tensor([1, 2]), [3, 3])).toThrow(ShapeError);
  });
  it("slice takes Python-style windows, pad surrounds with a value", async () => {
    expect(await values(W.slice(x23(), { 1: [1] }))).toEqual([2, 3, 5, 6]);
    expect(await values(W.slice(x23(), { 0: [-1], 1: [0, -1] }))).toEqual([4, 5]);
    expect(await values(W.pad(tensor([[1, 2]]), [[1, 0], [0, 1]], 9))).toEqual([9, 9, 9, 1, 2, 9]);
  });
  it("concat joins along an axis and checks the others", async () => {
    expect(await values(W.concat([x23(), tensor([[7], [8]])], 1))).toEqual([1, 2, 3, 7, 4, 5, 6, 8]);
    expect(await values(W.concat([tensor([1]), tensor([2, 3])]))).toEqual([1, 2, 3]);
    expect(() => W.concat([x23(), W.zeros([3, 1])], 1)).toThrow(/concat: \[3,1\] does not match \[2,3\] outside axis 1/);
  });
  it("split cuts along an axis into given sizes or equal pieces; unbind drops the axis", async () => {
    const [a, b] = W.split(x23(), [1, 2], 1);
    expect(await values(a)).toEqual([1, 4]);
    expect(await values(b)).toEqual([2, 3, 5, 6]);
    const pieces = W.split(W.arange(7), 3);
    expect(pieces.map((t) => t.shape[0])).toEqual([3, 3, 1]);
    expect(await values(pieces[2])).toEqual([6]);
    const rows = W.unbind(x23(), 0);
    expect(rows.map((r) => r.shape)).toEqual([[3], [3]]);
    expect(await values(rows[1])).toEqual([4, 5, 6]);
    expect(W.split(x23(), 3, 1)).toHaveLength(1);
    expect(() => W.split(x23(), [1, 1], 1)).toThrow(/split: sizes \[1,1\] add up to 2, but axis 1 of \[2,3\] has 3/);
    expect(() => W.split(x23(), 0, 1)).toThrow(/split: piece size must be a positive integer, got 0/);
  });
  it("flatten, squeeze, unsqueeze", () => {
    expect(W.flatten(W.zeros([2, 3, 4]), 1).shape).toEqual([2, 12]);
    expect(W.unsqueeze(W.zeros([2, 3]), 1).shape).toEqual([2, 1, 3]);
    expect(W.squeeze(W.zeros([1, 2, 1])).shape).toEqual([2]);
    expect(() => W.squeeze(W.zeros([2]), 0)).toThrow(/squeeze: axis 0 of float32\[2\] has size 2, not 1/);
  });
});
