/**
 * Hand-worked reductions and movement ops on every backend (the CPU, and WebGPU where there
 * is an adapter: always under CI); inputs from the shared spec builder, tolerances from
 * test/tolerance.ts. Shape rules are checked once: they run when an op is recorded.
 */
import { describe, expect, it } from "vitest";
import * as W from "../../src/index.ts";
import { ShapeError, reshape, tensor } from "../../src/index.ts";
import { opCases, testBackends } from "../helpers/backends.ts";
import { given, type InputSpec } from "../helpers/inputs.ts";

const backends = await testBackends();
const X23 = given([1, 2, 3, 4, 5, 6], [2, 3]); // [[1,2,3],[4,5,6]]
const iota = (...shape: number[]): InputSpec => given(Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => i), shape);
const x23 = () => reshape(W.arange(1, 7), [2, 3]);

opCases(backends, "reductions over axes, with and without keepdims", [
  { name: "sum of all", f: (x) => W.sum(x), inputs: [X23], want: [[21]], shapes: [[]], how: "exact" },
  { name: "sum over axis 0", f: (x) => W.sum(x, 0), inputs: [X23], want: [[5, 7, 9]], how: "exact" },
  { name: "sum over axis 1, keepdims", f: (x) => W.sum(x, 1, true), inputs: [X23], want: [[6, 15]], shapes: [[2, 1]], how: "exact" },
  { name: "mean over the last axis", f: (x) => W.mean(x, -1), inputs: [X23], want: [[2, 5]], how: "exact" },
  { name: "mean of thirds", f: (x) => W.mean(x), inputs: [given([0.1, 0.2, 0.4])], want: [[0.7 / 3]], how: "summed" },
  { name: "max over axis 0", f: (x) => W.max(x, 0), inputs: [X23], want: [[4, 5, 6]], how: "exact" },
  { name: "min over axis 1", f: (x) => W.min(x, 1), inputs: [X23], want: [[1, 4]], how: "exact" },
  { name: "max with a NaN is NaN", f: (x) => W.max(x), inputs: [given([1, NaN, 3])], want: [[NaN]], how: "exact" },
  { name: "max of negatives and −∞", f: (x) => W.max(x, 1), inputs: [given([-5, -2, -Infinity, -Infinity], [2, 2])], want: [[-2, -Infinity]], how: "exact" },
  {
    name: "sum over non-adjacent axes [0, 2] of a [2,3,4] iota",
    f: (x) => W.sum(x, [0, 2]),
    inputs: [iota(2, 3, 4)],
    // Σ over i, k of 12i + 4j + k
    want: [[0, 1, 2].map((j) => [0, 1].reduce((a, i) => a + [0, 1, 2, 3].reduce((b, k) => b + 12 * i + 4 * j + k, 0), 0))],
    how: "exact",
  },
]);

opCases(backends, "movement ops", [
  { name: "reshape keeps the order", f: (x) => W.reshape(x, [3, -1]), inputs: [X23], want: [[1, 2, 3, 4, 5, 6]], shapes: [[3, 2]], how: "exact" },
  { name: "transpose", f: (x) => W.transpose(x), inputs: [X23], want: [[1, 4, 2, 5, 3, 6]], shapes: [[3, 2]], how: "exact" },
  {
    name: "permute [2,0,1]: p[a,b,c] = x[b,c,a]",
    f: (x) => W.permute(x, [2, 0, 1]),
    inputs: [iota(2, 3, 4)],
    want: [Array.from({ length: 24 }, (_, i) => { const [a, b, c] = [Math.floor(i / 6), Math.floor(i / 3) % 2, i % 3]; return b * 12 + c * 4 + a; })],
    shapes: [[4, 2, 3]],
    how: "exact",
  },
  { name: "expand broadcasts size-1 axes", f: (x) => W.expand(x, [2, 3]), inputs: [given([1, 2], [2, 1])], want: [[1, 1, 1, 2, 2, 2]], how: "exact" },
  { name: "expand adds a leading axis", f: (x) => W.expand(x, [2, -1]), inputs: [given([7, 8])], want: [[7, 8, 7, 8]], shapes: [[2, 2]], how: "exact" },
  { name: "slice from 1 to the end of axis 1", f: (x) => W.slice(x, { 1: [1] }), inputs: [X23], want: [[2, 3, 5, 6]], how: "exact" },
  { name: "slice with negative bounds", f: (x) => W.slice(x, { 0: [-1], 1: [0, -1] }), inputs: [X23], want: [[4, 5]], how: "exact" },
  { name: "pad surrounds with a value", f: (x) => W.pad(x, [[1, 0], [0, 1]], 9), inputs: [given([1, 2], [1, 2])], want: [[9, 9, 9, 1, 2, 9]], how: "exact" },
  { name: "pad with −∞ (max pooling's pre-padding)", f: (x) => W.pad(x, [[1, 1]], -Infinity), inputs: [given([3])], want: [[-Infinity, 3, -Infinity]], how: "exact" },
  { name: "pad with NaN", f: (x) => W.pad(x, [[0, 1]], NaN), inputs: [given([3])], want: [[3, NaN]], how: "exact" },
  { name: "concat along axis 1", f: (a, b) => W.concat([a, b], 1), inputs: [X23, given([7, 8], [2, 1])], want: [[1, 2, 3, 7, 4, 5, 6, 8]], how: "exact" },
  { name: "concat along axis 0", f: (a, b) => W.concat([a, b]), inputs: [given([1]), given([2, 3])], want: [[1, 2, 3]], how: "exact" },
  { name: "split into given sizes", f: (x) => W.split(x, [1, 2], 1), inputs: [X23], want: [[1, 4], [2, 3, 5, 6]], how: "exact" },
  { name: "split into equal pieces, the last one short", f: (x) => W.split(x, 3), inputs: [iota(7)], want: [[0, 1, 2], [3, 4, 5], [6]], how: "exact" },
  { name: "unbind drops the axis", f: (x) => W.unbind(x, 0), inputs: [X23], want: [[1, 2, 3], [4, 5, 6]], shapes: [[3], [3]], how: "exact" },
  { name: "int32 data moves as is", f: (x) => W.transpose(W.pad(x, [[0, 0], [1, 0]], -7)), inputs: [given([1, 2, 3, 4], [2, 2], "int32")], want: [[-7, -7, 1, 3, 2, 4]], how: "exact" },
]);

describe("reduction and movement shape rules", () => {
  it("max over an empty axis and a bad axis are shape errors", () => {
    expect(() => W.max(W.zeros([2, 0]), 1)).toThrow(/max: axis 1 of \[2,0\] is empty/);
    expect(() => W.sum(W.zeros([2, 3]), 2)).toThrow("sum: axis 2 is out of range for a tensor of rank 2");
  });
  it("reshape infers -1 and rejects a size mismatch; permute wants a permutation; expand only size-1 axes", () => {
    expect(W.reshape(x23(), [3, -1]).shape).toEqual([3, 2]);
    expect(() => W.reshape(x23(), [4, 2])).toThrow("reshape: float32[2,3] has 6 elements, target [4,2] has 8");
    expect(() => W.permute(x23(), [0, 0])).toThrow(/permute: \[0,0\] is not a permutation/);
    expect(() => W.expand(tensor([1, 2]), [3, 3])).toThrow(ShapeError);
  });
  it("concat checks the other axes; split checks its sizes", () => {
    expect(() => W.concat([x23(), W.zeros([3, 1])], 1)).toThrow(/concat: \[3,1\] does not match \[2,3\] outside axis 1/);
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
