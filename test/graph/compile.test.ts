import { describe, expect, it } from "vitest";
import * as W from "../../src/index.ts";
import { F, GraphError, compile, tensor } from "../../src/index.ts";
import { values } from "../helpers/values.ts";

describe("compile", () => {
  it("traces once per input signature and reuses the plan", async () => {
    let traces = 0;
    const f = compile((x: W.Tensor) => {
      traces++;
      return W.relu(W.sub(x, 1));
    });
    expect(await values(f(tensor([0, 1, 2, 3])))).toEqual([0, 0, 1, 2]);
    expect(await values(f(tensor([5, 6, 7, 8])))).toEqual([4, 5, 6, 7]);
    expect(traces).toBe(1);
    expect(await values(f(tensor([3, 4])))).toEqual([2, 3]);
    expect(traces).toBe(2);
    expect([...f.plans.keys()]).toEqual(["float32[4]", "float32[2]"]);
  });

  it("gives the same values as eager execution, for a whole training-style step", async () => {
    const w = tensor(Array.from({ length: 12 }, (_, i) => Math.sin(i)), [3, 4]);
    const labels = tensor([0, 2], [2], "int32");
    const step = (x: W.Tensor) => {
      const loss = F.crossEntropy(F.linear(x, w), labels);
      return { loss, grad: W.gradients(loss, [w])[0] };
    };
    const x = tensor([[1, 2, 3, 4], [-1, 0, 1, 2]]);
    const eager = step(x);
    const compiled = compile(step)(x);
    expect(await values(compiled.loss)).toEqual(await values(eager.loss));
    expect(await values(compiled.grad)).toEqual(await values(eager.grad));
  });

  it("returns arrays and objects in the shape fn returned them", async () => {
    const f = compile((a: W.Tensor, b: W.Tensor) => [W.add(a, b), { prod: W.mul(a, b), a }] as const);
    const [s, { prod, a }] = f(tensor([2]), tensor([3]));
    expect([await s.item(), await prod.item(), await a.item()]).toEqual([5, 6, 2]);
  });

  it("reads captured tensors at each call, not at trace time", async () => {
    let scale = tensor([2]);
    const holder = { get: () => scale };
    const f = compile((x: W.Tensor) => W.mul(x, holder.get()));
    expect(await values(f(tensor([3])))).toEqual([6]);
    // the same captured tensor object with the same data: same plan, same answer
    expect(await values(f(tensor([4])))).toEqual([8]);
    scale = tensor([10]); // a different tensor is not seen: the trace captured the first
    expect(await values(f(tensor([4])))).toEqual([8]);
  });

  it("reuses the plan's buffers, so repeated calls do not corrupt earlier results", async () => {
    const f = compile((x: W.Tensor) => W.tanh(W.exp(W.neg(x))));
    const r1 = f(tensor([0]));
    const r2 = f(tensor([1]));
    expect(await r1.item()).toBeCloseTo(Math.tanh(1), 6);
    expect(await r2.item()).toBeCloseTo(Math.tanh(Math.exp(-1)), 6);
  });

  it("reading a traced tensor inside fn is a GraphError that says what to do", async () => {
    const f = compile((x: W.Tensor) => {
      void x.data();
      return x;
    });
    expect(() => f(tensor([1]))).toThrow(GraphError);
    expect(() => f(tensor([1]))).toThrow("data: cannot read float32[1] while compile() is tracing a function; return the tensor from the compiled function and read it outside");
  });

  it("refuses non-tensor arguments and non-tensor results", () => {
    expect(() => compile((x: W.Tensor) => x)(3 as never)).toThrow("compile: argument 0 is not a Tensor (got number)");
    expect(() => compile((() => 42) as never)(tensor([1]))).toThrow(/compile: the function must return tensors/);
  });
});

describe("assign", () => {
  it("eagerly replaces a weight's data; lazy tensors built before it keep the old value's graph", async () => {
    const w = tensor([1, 2]);
    w.assign(W.mul(w, 10));
    expect(await values(w)).toEqual([10, 20]);
    expect(() => W.exp(w).assign(w)).toThrow(/assign: target float32\[2\] is a computed tensor/);
    expect(() => w.assign(tensor([1]))).toThrow("assign: value float32[1] does not match target float32[2]");
  });

  it("inside compile, updates after each call, so the next call reads the new value", async () => {
    const w = tensor([1]);
    const count = tensor([0]);
    let traces = 0;
    const step = compile((x: W.Tensor) => {
      traces++;
      const y = W.mul(x, w);
      w.assign(W.add(w, x));
      count.assign(W.add(count, 1));
      return y;
    });
    const ys: number[] = [];
    for (let i = 0; i < 4; i++) ys.push(await step(tensor([2])).item());
    expect(ys).toEqual([2, 6, 10, 14]); // w = 1, 3, 5, 7 when read
    expect(await w.item()).toBe(9);
    expect(await count.item()).toBe(4);
    expect(traces).toBe(1);
  });

  it("a gradient-descent step compiled once drives a least-squares fit to its solution", async () => {
    // fit y = 3x − 1 with w, b
    const x = tensor([[0], [1], [2], [3]]);
    const y = tensor([[-1], [2], [5], [8]]);
    const w = tensor([[0]]);
    const b = tensor([0]);
    const step = compile((xb: W.Tensor, yb: W.Tensor) => {
      const loss = F.mseLoss(F.linear(xb, w, b), yb);
      const [gw, gb] = W.gradients(loss, [w, b]);
      w.assign(W.sub(w, W.mul(gw, 0.1)));
      b.assign(W.sub(b, W.mul(gb, 0.1)));
      return loss;
    });
    let loss = Infinity;
    for (let i = 0; i < 500; i++) loss = await step(x, y).item();
    expect(loss).toBeLessThan(1e-8);
    expect(await w.item()).toBeCloseTo(3, 4);
    expect(await b.item()).toBeCloseTo(-1, 4);
  });
});
