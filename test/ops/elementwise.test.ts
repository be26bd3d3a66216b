import { describe, expect, it } from "vitest";
import * as W from "../../src/index.ts";
import * as I from "../../src/internals.ts";
import { DTypeError, ShapeError, tensor } from "../../src/index.ts";
import { values } from "../helpers/values.ts";

describe("elementwise ops", () => {
  it("unary ops compute their textbook values, NaN in → NaN out", async () => {
    const x = tensor([-2, 0, 3, NaN]);
    expect(await values(W.relu(x))).toEqual([0, 0, 3, NaN]);
    expect(await values(W.abs(x))).toEqual([2, 0, 3, NaN]);
    expect(await values(W.sign(x))).toEqual([-1, 0, 1, NaN]);
    expect(await values(W.neg(x))).toEqual([2, -0, -3, NaN]);
    expect(await values(W.sigmoid(tensor([0, -1000, 1000])))).toEqual([0.5, 0, 1]);
    expect(await values(W.tanh(tensor([0, 50])))).toEqual([0, 1]);
    expect(await values(W.exp(tensor([0, 1], undefined, "float64")))).toEqual([1, Math.E]);
    expect(await values(W.log(tensor([1, 0, -1])))).toEqual([0, -Infinity, NaN]);
    expect(await values(W.sqrt(tensor([4, 2], undefined, "float64")))).toEqual([2, Math.SQRT2]);
  });

  it("binary ops broadcast [2,1] with [3] to [2,3]", async () => {
    const a = tensor([[1], [2]]);
    const b = tensor([10, 20, 30]);
    const y = W.add(a, b);
    expect(y.shape).toEqual([2, 3]);
    expect(await values(y)).toEqual([11, 21, 31, 12, 22, 32]);
    expect(await values(W.sub(b, a))).toEqual([9, 19, 29, 8, 18, 28]);
    expect(await values(W.mul(a, 2))).toEqual([2, 4]);
    expect(await values(W.div(1, tensor([4, 0, -0])))).toEqual([0.25, Infinity, -Infinity]);
    expect(await values(W.pow(tensor([2, 9]), tensor([3, 0.5])))).toEqual([8, 3]);
    expect(await values(W.maximum(tensor([1, 5, NaN]), 3))).toEqual([3, 5, NaN]);
    expect(await values(W.minimum(tensor([1, 5]), 3))).toEqual([1, 3]);
    expect(await values(I.reluBackward(tensor([1, 2, 3, NaN, 5]), tensor([-1, 0, 2, 1, NaN])))).toEqual([0, 0, 3, NaN, 0]);
    expect(() => I.reluBackward(tensor([1], [1], "int32"), tensor([1], [1], "int32"))).toThrow(/reluBackward/);
  });

  it("relu's gradient is one reluBackward step (not greater + where) and matches the rule", async () => {
    const x = tensor([-2, -0.5, 0, 0.5, 3]);
    const [g] = W.gradients(W.sum(W.mul(W.relu(x), tensor([1, 2, 3, 4, 5]))), [x]);
    const names = I.buildPlan([g], (t) => t.storage !== null).plan.steps.map((st) => st.op.name);
    expect(names).toContain("reluBackward");
    expect(names).not.toContain("where");
    expect(await values(g)).toEqual([0, 0, 0, 4, 5]);
  });

  it("broadcasts across three ranks, including a size-1 middle axis", async () => {
    const a = W.reshape(W.arange(6), [2, 1, 3]);
    const b = W.reshape(W.arange(4), [4, 1]);
    const y = W.add(a, b);
    expect(y.shape).toEqual([2, 4, 3]);
    const v = await values(y);
    expect(v[(1 * 4 + 2) * 3 + 1]).toBe(3 + 1 + 2); // a[1,0,1] + b[2,0]
  });

  it("comparisons give bool, where picks by them", async () => {
    const x = tensor([1, 5, 3]);
    const m = W.greater(x, 2);
    expect(m.dtype).toBe("bool");
    expect(await values(m)).toEqual([0, 1, 1]);
    expect(await values(W.equal(x, tensor([1, 0, 3])))).toEqual([1, 0, 1]);
    expect(await values(W.lessEqual(x, 3))).toEqual([1, 0, 1]);
    expect(await values(W.where(m, x, -1))).toEqual([-1, 5, 3]);
    expect(await values(W.where(m, 1, 0))).toEqual([0, 1, 1]);
  });

  it("cast truncates toward zero to int32 and maps nonzero to true", async () => {
    const x = tensor([-1.7, 0, 2.9]);
    expect(await values(W.cast(x, "int32"))).toEqual([-1, 0, 2]);
    expect(await values(W.cast(x, "bool"))).toEqual([1, 0, 1]);
    expect(await values(W.cast(W.cast(x, "bool"), "float32"))).toEqual([1, 0, 1]);
  });

  it("detach keeps the values and blocks the gradient", async () => {
    const x = tensor([3]);
    expect(await values(W.detach(x))).toEqual([3]);
    const g = W.grad((v) => W.mul(W.detach(v), v))(x) as W.Tensor; // d/dv (c·v) with c = 3
    expect(await values(g)).toEqual([3]);
  });

  it("shape and dtype errors name the op and the operands", () => {
    expect(() => W.add(W.zeros([2, 3]), W.zeros([4]))).toThrow(ShapeError);
    expect(() => W.add(W.zeros([2, 3]), W.zeros([4]))).toThrow("add: shapes [2,3] and [4] do not broadcast (axis -1: 3 vs 4)");
    expect(() => W.mul(W.zeros([2], "float32"), W.zeros([2], "float64"))).toThrow(DTypeError);
    expect(() => W.exp(W.zeros([2], "int32"))).toThrow(/exp: input has dtype int32, expected float32 or float64/);
    expect(() => W.where(W.zeros([2]), 1, 0)).toThrow(/where: condition has dtype float32, expected bool/);
  });
});
