import { describe, expect, it } from "vitest";
import * as W from "../../src/index.ts";
import { GraphError, ShapeError, grad, tensor, valueAndGrad } from "../../src/index.ts";
import { values } from "../helpers/values.ts";

describe("autodiff", () => {
  it("accumulates cotangents when a tensor feeds several ops", async () => {
    // f = x·x + 3x + exp(0·x) → f' = 2x + 3
    const g = grad((x) => W.sum(W.add(W.add(W.mul(x, x), W.mul(x, 3)), W.exp(W.mul(x, 0)))))(tensor([1, 2]));
    expect(await values(g as W.Tensor)).toEqual([5, 7]);
  });

  it("valueAndGrad returns the value too, argnums picks arguments", async () => {
    const f = (a: W.Tensor, b: W.Tensor) => W.sum(W.mul(a, b));
    const [v, gs] = valueAndGrad(f, [1, 0])(tensor([2, 3]), tensor([5, 7]));
    expect(await v.item()).toBe(31);
    expect(await values((gs as W.Tensor[])[0])).toEqual([2, 3]);
    expect(await values((gs as W.Tensor[])[1])).toEqual([5, 7]);
  });

  it("differentiates gradients again: d²/dx² x³ = 6x", async () => {
    const dfdx = (x: W.Tensor) => grad((v) => W.sum(W.mul(W.mul(v, v), v)))(x) as W.Tensor;
    const d2 = grad((x) => W.sum(dfdx(x)))(tensor([1, 2, -3]));
    expect(await values(d2 as W.Tensor)).toEqual([6, 12, -18]);
  });

  it("an input the output does not depend on gets zeros", async () => {
    const g = grad((a, b) => W.sum(a), 1)(tensor([1]), tensor([5, 6]));
    expect(await values(g as W.Tensor)).toEqual([0, 0]);
  });

  it("a non-scalar output needs an explicit dy", () => {
    expect(() => grad((x) => W.mul(x, 2))(tensor([1, 2]))).toThrow(ShapeError);
    expect(() => grad((x) => W.mul(x, 2))(tensor([1, 2]))).toThrow("grad: output has shape [2], expected a scalar (or pass dy)");
  });

  it("an op with no gradient rule is a GraphError naming it", () => {
    const x = tensor([[1, 2], [3, 4]], undefined, "float32").reshape([1, 1, 2, 2]);
    const dmax = (v: W.Tensor) => grad((u) => W.sum(W.mul(W.F.maxPool2d(u, { kernelSize: 2 }), v.sum())))(v) as W.Tensor;
    expect(() => grad((v) => W.sum(W.mul(dmax(v), dmax(v))))(x)).toThrow(/grad: maxPool2dBackward has no gradient rule/);
    expect(() => grad((v) => W.sum(W.mul(dmax(v), dmax(v))))(x)).toThrow(GraphError);
  });
});

describe("laziness", () => {
  it("nothing runs until a value is read", async () => {
    // an out-of-range gather only fails when executed, so building it must not throw
    const bad = W.gather(tensor([[1]]), tensor([5], [1], "int32"));
    expect(bad.storage).toBeNull();
    await expect(bad.data()).rejects.toThrow(/gather: index 5/);
  });

  it("a read result is kept: reading again does not recompute", async () => {
    const y = W.exp(tensor([0]));
    await y.data();
    const kept = y.storage;
    await y.data();
    expect(y.storage).toBe(kept);
  });

  it("item() wants exactly one element, array() nests like the shape", async () => {
    await expect(tensor([1, 2]).item()).rejects.toThrow("item: tensor float32[2] has 2 elements, expected 1");
    expect(await tensor([[1, 2], [3, 4]]).array()).toEqual([[1, 2], [3, 4]]);
  });
});
