/**
 * `pack`: members at PACK_ALIGN-aligned offsets with zero gaps, on every backend; and the
 * planner's placement of members inside the packed buffer (graph/plan.ts): a member's own
 * kernel writes it there, the pack step copies only what could not be placed, and the values
 * are the same either way.
 */
import { describe, expect, it } from "vitest";
import * as W from "../../src/index.ts";
import * as I from "../../src/internals.ts";
import { DTypeError, ShapeError, type Tensor } from "../../src/index.ts";
import { onEachBackend, opCases, testBackends } from "../helpers/backends.ts";
import { given } from "../helpers/inputs.ts";

const backends = await testBackends();
const A = I.PACK_ALIGN;

/** Member values at their offsets, zeros elsewhere: what a pack must hold. */
function packed(...members: number[][]): number[] {
  const { offsets, total } = I.packLayout(members.map((m) => [m.length]));
  const out = new Array<number>(total).fill(0);
  members.forEach((m, i) => m.forEach((v, j) => (out[offsets[i] + j] = v)));
  return out;
}

describe("pack's layout and shape rule", () => {
  it("starts every member at a multiple of PACK_ALIGN and rounds the total up", () => {
    expect(I.packLayout([[2, 2], [A], [A + 1], [0], []])).toEqual({ offsets: [0, A, 2 * A, 4 * A, 4 * A], total: 5 * A }); // [] is a scalar: one element
  });
  it("refuses mixed dtypes and an empty list, naming the op", () => {
    expect(() => I.pack([W.zeros([2]), W.zeros([2], "int32")])).toThrow(DTypeError);
    expect(() => I.pack([W.zeros([2]), W.zeros([2], "int32")])).toThrow(/pack: member 1 is int32/);
    expect(() => I.pack([])).toThrow(ShapeError);
  });
});

opCases(backends, "pack", [
  {
    name: "a [2,2] and a [3]: the gaps are zero",
    f: (a, b) => I.pack([a, b]),
    inputs: [given([1, 2, 3, 4], [2, 2]), given([5, 6, 7])],
    want: [packed([1, 2, 3, 4], [5, 6, 7])],
    shapes: [[2 * A]],
    how: "exact",
  },
  {
    name: "a member of exactly PACK_ALIGN elements, then an empty one, then one more",
    f: (a, b, c) => I.pack([a, b, c]),
    inputs: [given(Array.from({ length: A }, (_, i) => i + 1)), given([], [0]), given([-1])],
    want: [packed(Array.from({ length: A }, (_, i) => i + 1), [], [-1])],
    how: "exact",
  },
]);

const x = () => W.tensor([[1, 2, 3], [4, 5, 6]]);
const w = () => W.tensor([[1, 0], [0, 1], [1, 1]]);

/** The pack step's copy flags in the plan of `outs` (null: no pack step), and placed members. */
function packPlan(outs: Tensor[]): { copy: boolean[] | null; placed: number } {
  const { plan } = I.buildPlan(outs, (t) => t.storage !== null);
  const step = plan.steps.find((s) => s.op.name === "pack");
  return { copy: step ? ((step.attrs as { copy?: boolean[] }).copy ?? null) : null, placed: plan.values.filter((v) => v.place).length };
}

onEachBackend(backends, "pack members computed in place", (backend) => {
  it("places members that kernels compute: no pack step, same values as the unplaced pack", async () => {
    const build = () => {
      const prod = W.matmul(x(), w()); // [2,2] = [[4,5],[10,11]]
      const colSum = W.sum(x(), 0); // [5,7,9]
      return W.mul(I.pack([W.reshape(prod, [4]), colSum]), W.scalar(2));
    };
    expect(packPlan([build()])).toEqual({ copy: null, placed: 2 });
    expect(Array.from(await build().data()), backend).toEqual(packed([4, 5, 10, 11], [5, 7, 9]).map((v) => 2 * v));
  });

  it("copies a member computed from another member of the same pack (a dispatch may not read and write one buffer)", async () => {
    const build = () => {
      const a = W.add(x(), W.scalar(1)); // [[2,3,4],[5,6,7]]
      const b = W.mul(a, W.scalar(3));
      return W.add(I.pack([a, b]), W.scalar(0)); // a pack that is returned itself is never placed into
    };
    expect(packPlan([build()])).toEqual({ copy: [false, true], placed: 1 });
    expect(Array.from(await build().data()), backend).toEqual(packed([2, 3, 4, 5, 6, 7], [6, 9, 12, 15, 18, 21]));
  });

  it("copies inputs and members that are also returned; the returned member keeps its values", async () => {
    const build = () => {
      const a = W.add(x(), W.scalar(1));
      const b = W.neg(w());
      return [W.add(I.pack([x(), a, b]), W.scalar(0)), a] as const;
    };
    const [p, a] = build();
    expect(packPlan([p, a])).toEqual({ copy: [true, true, false], placed: 1 });
    expect(Array.from(await p.data()), backend).toEqual(packed([1, 2, 3, 4, 5, 6], [2, 3, 4, 5, 6, 7], [-1, 0, 0, -1, -1, -1]));
    expect(Array.from(await a.data())).toEqual([2, 3, 4, 5, 6, 7]);
  });

  it("a value that is two members (an LSTM's two bias gradients) is copied twice, never from inside the pack", async () => {
    const build = () => {
      const a = W.add(x(), W.scalar(1));
      const b = W.sum(x(), 0);
      return W.add(I.pack([a, b, W.reshape(a, [3, 2])]), W.scalar(0));
    };
    expect(packPlan([build()])).toEqual({ copy: [true, false, true], placed: 1 });
    expect(Array.from(await build().data()), backend).toEqual(packed([2, 3, 4, 5, 6, 7], [5, 7, 9], [2, 3, 4, 5, 6, 7]));
  });

  it("a plan run twice keeps the gaps zero (the packed slot is its own)", async () => {
    const f = W.compile((u: Tensor) => W.add(I.pack([W.mul(u, W.scalar(2)), W.sum(u, 1)]), W.scalar(1)));
    const want = (k: number) => packed([2, 4, 6, 8, 10, 12].map((v) => k * v), [6, 15].map((v) => k * v)).map((v) => v + 1);
    expect(Array.from(await f(x()).data())).toEqual(want(1));
    expect(Array.from(await f(W.mul(x(), W.scalar(3))).data())).toEqual(want(3));
  });
});
