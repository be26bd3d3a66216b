/**
 * Optimizer parameter groups (torch.optim's param_groups): each group has its own rate and
 * weight decay and its own packed buffer and update kernel; the step count and the guard are
 * shared; setting `lr` keeps the groups' ratios; the state dict round-trips.
 */
import { describe, expect, it } from "vitest";
import { GraphError, compile, fromArray, sum, mul, tensor, type Tensor } from "../../src/index.ts";
import { Adam, SGD } from "../../src/optim/index.ts";
import { onEachBackend, testBackends } from "../helpers/backends.ts";
import { expectClose, TOL } from "../tolerance.ts";

const backends = await testBackends();
const vals = async (ts: Tensor[]) => Promise.all(ts.map(async (t) => Array.from(await t.data())));

onEachBackend(backends, "parameter groups", (backend) => {
  it("SGD moves each group by its own rate and weight decay (by hand)", async () => {
    const a = tensor([1, 2]), b = tensor([3]);
    // loss = Σ a·[1, 1] + Σ b·[2]: gradients 1, 1 and 2
    const opt = new SGD([{ params: [a], lr: 0.1 }, { params: [b], weightDecay: 0.5 }], { lr: 0.01 });
    const step = compile(() => opt.step(sum(mul(a, tensor([1, 1]))).add(sum(mul(b, tensor([2]))))));
    step();
    // a − 0.1·1; b − 0.01·(2 + 0.5·3)
    expectClose([...(await vals([a]))[0], ...(await vals([b]))[0]], [0.9, 1.9, 3 - 0.01 * 3.5], TOL.handF32, `SGD groups on ${backend}`);
  });
  it("Adam with two groups equals two Adams, one per group, and runs one update kernel per group", async () => {
    const mk = () => [fromArray(new Float32Array([0.5, -1, 2]), [3]), fromArray(new Float32Array([1.5, 0.25]), [2])];
    const [p, q] = mk(), [p2, q2] = mk();
    const loss = (x: Tensor, y: Tensor) => sum(mul(mul(x, x), 3)).add(sum(mul(y, tensor([1, -2]))));
    const grouped = new Adam([{ params: [p], lr: 0.1 }, { params: [q], lr: 0.01, weightDecay: 0.1 }], { lr: 0.05 });
    const one = new Adam([p2], { lr: 0.1 }), two = new Adam([q2], { lr: 0.01, weightDecay: 0.1 });
    const s1 = compile(() => grouped.step(loss(p, q)));
    const s2 = compile(() => [one.step(loss(p2, q2)), two.step(loss(p2, q2))]);
    for (let i = 0; i < 3; i++) {
      s1();
      s2();
    }
    expect(await vals([p, q])).toEqual(await vals([p2, q2]));
    expect(s1.plan().steps.filter((st) => st.op.name === "adamUpdate")).toHaveLength(2);
  });
});

describe("group rates and state", () => {
  it("lr sets every group, keeping their ratios; setGroupLr sets one", () => {
    const opt = new SGD([{ params: [tensor([1])], lr: 0.1 }, { params: [tensor([2])], lr: 0.01 }], { lr: 1 });
    expect(opt.groupLrs).toEqual([0.1, 0.01]);
    opt.lr = 0.05;
    expect(opt.lr).toBe(0.05);
    expect(opt.groupLrs[1]).toBeCloseTo(0.005, 15);
    opt.setGroupLr(1, 0.2);
    expect(opt.groupLrs).toEqual([0.05, 0.2]);
    expect(() => opt.setGroupLr(2, 1)).toThrow(/there is no group 2 \(2 groups\)/);
  });
  it("refuses a parameter in two groups and a bad group rate", () => {
    const p = tensor([1]);
    expect(() => new SGD([{ params: [p] }, { params: [p] }], { lr: 0.1 })).toThrow(new GraphError("SGD: a parameter (float32[1]) is in two parameter groups"));
    expect(() => new Adam([{ params: [p], lr: -1 }])).toThrow(/Adam group 0: the learning rate must be a finite number ≥ 0, got -1/);
  });
  it("the state dict holds each group's rate (lr, lr.1) and continues a run exactly", async () => {
    const mk = () => [fromArray(new Float32Array([0.5, -1]), [2]), fromArray(new Float32Array([2]), [1])];
    const run = async (split: boolean) => {
      const [p, q] = mk();
      let opt = new Adam([{ params: [p], lr: 0.1 }, { params: [q], lr: 0.02 }]);
      const loss = () => sum(mul(mul(p, p), 2)).add(sum(mul(q, q)));
      let step = compile(() => opt.step(loss()));
      step();
      if (split) {
        const sd = opt.stateDict();
        expect([...sd.keys()]).toEqual(["lr", "lr.1", "step", "param0.exp_avg", "param0.exp_avg_sq", "param1.exp_avg", "param1.exp_avg_sq"]);
        const arrays = new Map(await Promise.all([...sd].map(async ([k, t]) => [k, { dtype: t.dtype, shape: [...t.shape], data: (await t.data()).slice() }] as const)));
        opt = new Adam([{ params: [p], lr: 1 }, { params: [q], lr: 1 }]);
        opt.loadStateDict(arrays);
        expect(opt.groupLrs[1]).toBeCloseTo(0.02, 7);
        step = compile(() => opt.step(loss()));
      }
      step();
      step();
      return vals([p, q]);
    };
    expect(await run(true)).toEqual(await run(false));
  });
});
