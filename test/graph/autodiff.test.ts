import { describe, expect, it } from "vitest";
import * as W from "../../src/index.ts";
import { GraphError, ShapeError, grad, tensor, valueAndGrad } from "../../src/index.ts";
import { values } from "../helpers/values.ts";
import { seeded } from "../helpers/gradcheck.ts";

describe("autodiff", () => {
  it("accumulates cotangents when a tensor feeds several ops", async () => {
    // f = x·x + 3x + exp(0·x) → f' = 2x + 3
    const g = grad((x) => W.sum(W.add(W.add(W.mul(x, x), W.mul(x, 3)), W.exp(W.mul(x, 0)))))(tensor([1, 2]));
    expect(await values(g as W.Tensor)).toEqual([5, 7]);
  });

  describe("a weight shared by T steps (an RNN's W_hh and b_hh)", () => {
    const [T, B, I, O] = [5, 3, 4, 6];
    const rand = seeded(3);
    const data = (shape: number[]) => W.fromArray(Float64Array.from({ length: shape.reduce((a, b) => a * b) }, () => rand() - 0.5), shape, "float64");
    const xs = Array.from({ length: T }, (_, t) => data([B + (t % 2), I])); // two batch sizes: K differs by step
    const w = data([O, I]), b = data([O]), v = data([O]);
    // f = Σ_t Σ tanh(x_t·Wᵀ + b)·v, plus Σ W² so W also gets a contribution that is not a matmul
    const f = (ww: W.Tensor, bb: W.Tensor) =>
      W.add(xs.map((x) => W.sum(W.mul(W.tanh(W.add(W.matmul(x, ww, { transposeB: true }), bb)), v))).reduce((a, c) => W.add(a, c)), W.sum(W.mul(ww, ww)));

    it("gets one matmul over all steps and one sum for the bias, sharing the joined cotangents", () => {
      const [gw, gb] = W.gradients(f(w, b), [w, b]);
      // gW = matmul(concat dY_t, concat x_t) + 2W: the add's inputs are the batched matmul and the square's term
      const mm = gw.node.inputs.map((t) => t.node).find((n) => n.op?.name === "matmul")!;
      expect(mm.inputs.map((t) => t.shape)).toEqual([[T * B + 2, O], [T * B + 2, I]]);
      expect(mm.inputs.map((t) => t.node.op?.name)).toEqual(["concat", "concat"]);
      const sumNode = gb.node.inputs[0].node; // reshape(sum(concat dY_t, [0]))
      expect(sumNode.op?.name).toBe("sum");
      expect(sumNode.inputs[0]).toBe(mm.inputs[0]); // the same join, not a second copy
    });

    it("gives the step-by-step sums", async () => {
      const [gw, gb] = W.gradients(f(w, b), [w, b]);
      // reference: each step's cotangent and its outer products, summed one by one on the host
      const wv = await values(w), bv = await values(b), vv = await values(v);
      const wantW = wv.map((x) => 2 * x), wantB = new Array(O).fill(0);
      for (const x of xs) {
        const xv = await values(x);
        for (let r = 0; r < x.shape[0]; r++) {
          for (let o = 0; o < O; o++) {
            let z = bv[o];
            for (let i = 0; i < I; i++) z += xv[r * I + i] * wv[o * I + i];
            const dz = vv[o] * (1 - Math.tanh(z) ** 2);
            wantB[o] += dz;
            for (let i = 0; i < I; i++) wantW[o * I + i] += dz * xv[r * I + i];
          }
        }
      }
      const [gotW, gotB] = [await values(gw), await values(gb)];
      gotW.forEach((g, k) => expect(g).toBeCloseTo(wantW[k], 12));
      gotB.forEach((g, k) => expect(g).toBeCloseTo(wantB[k], 12));
    });
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
