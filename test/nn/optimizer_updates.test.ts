/** The fused optimizer kernels equal the op compositions they replace (float64). */
import { describe, expect, it } from "vitest";
import * as W from "../../src/index.ts";
import { fromArray, type Tensor } from "../../src/index.ts";
import { adamHyper, adamUpdate, sgdHyper, sgdUpdate } from "../../src/ops/optimizer_updates.ts";
import { seeded } from "../helpers/gradcheck.ts";
import { expectClose, TOL } from "../tolerance.ts";
import { values } from "../helpers/values.ts";

const rng = seeded(11);
const rand = (n: number, lo = -1, hi = 1) => fromArray(Float64Array.from({ length: n }, () => lo + (hi - lo) * rng()), [n], "float64");
const sc = (x: number) => W.scalar(x, "float64");
/** The [lr, stepSize, vScale, ok] vector adamUpdate reads, from four given scalars. */
const adamHyperOf = (...xs: Tensor[]) => W.concat(xs.map((t) => W.reshape(t, [1])));

describe("fused optimizer updates equal their compositions", () => {
  it.each([
    [0, 1], [3, 1], [3, 0], [0, 0],
  ])("adamHyper: from step count %i with ok %i, t' = t + ok and the bias corrections of step t'", async (t, ok) => {
    const [b1, b2, lr] = [0.9, 0.999, 0.01];
    const [hyper, t1] = adamHyper(sc(lr), sc(t), W.tensor([ok], [1], "float64"), { b1, b2 });
    expect(hyper.shape).toEqual([4]);
    expect(t1.shape).toEqual([]);
    expect(await values(t1)).toEqual([t + ok]);
    // the composition Adam used before: div(lr, sub(1, pow(β₁, t'))) and div(1, sub(1, pow(β₂, t')))
    const tt = W.add(sc(t), ok);
    const want = [lr, await W.div(sc(lr), W.sub(1, W.pow(sc(b1), tt))).item(), await W.div(1, W.sub(1, W.pow(sc(b2), tt))).item(), ok];
    expectClose(await values(hyper), want, TOL.composition);
    expect(() => adamHyper(sc(lr), W.zeros([2], "float64"), sc(1), { b1, b2 })).toThrow(/adamHyper: expected three one-element tensors/);
  });
  it.each([
    [false, 0], [false, 0.1], [true, 0.01],
  ])("adamUpdate (decoupled %s, weight decay %s)", async (decoupled, wd) => {
    const [p, g, m] = [rand(37), rand(37), rand(37)];
    const v = rand(37, 0, 1);
    const [b1, b2, eps, lrv, t] = [0.9, 0.999, 1e-8, 0.01, 3];
    const stepSize = lrv / (1 - b1 ** t);
    const vScale = 1 / (1 - b2 ** t);
    const [np, nm, nv] = adamUpdate(p, g, m, v, adamHyperOf(sc(lrv), sc(stepSize), sc(vScale), sc(1)), { b1, b2, eps, weightDecay: wd, decoupled });
    // the composition Adam used before the fused kernel
    const gg = !decoupled && wd ? W.add(g, W.mul(p, wd)) : g;
    const base = decoupled && wd ? W.sub(p, W.mul(p, lrv * wd)) : p;
    const m2 = W.add(W.mul(m, b1), W.mul(gg, 1 - b1));
    const v2 = W.add(W.mul(v, b2), W.mul(W.mul(gg, gg), 1 - b2));
    const p2 = W.sub(base, W.div(W.mul(m2, stepSize), W.add(W.sqrt(W.mul(v2, vScale)), eps)));
    for (const [a, b] of [[np, p2], [nm, m2], [nv, v2]] as [Tensor, Tensor][]) expectClose(await values(a), await values(b), TOL.composition);
  });

  it.each([
    [0, 0, false, 0], [0.9, 0, false, 0], [0.9, 0.1, false, 1e-2], [0.9, 0, true, 0],
  ])("sgdUpdate (momentum %s, dampening %s, nesterov %s, weight decay %s)", async (mu, damp, nesterov, wd) => {
    const [p, g, buf] = [rand(29), rand(29), rand(29)];
    const lr = 0.05;
    const outs = sgdUpdate(p, g, mu ? buf : null, sgdHyper(sc(lr), sc(1)), { momentum: mu, dampening: damp, nesterov, weightDecay: wd });
    let gg = W.add(g, W.mul(p, wd));
    let b2: Tensor | null = null;
    if (mu) {
      b2 = W.add(W.mul(buf, mu), W.mul(gg, 1 - damp));
      gg = nesterov ? W.add(gg, W.mul(b2, mu)) : b2;
    }
    expectClose(await values(outs[0]), await values(W.sub(p, W.mul(gg, lr))), TOL.composition);
    if (b2) expectClose(await values(outs[1]), await values(b2), TOL.composition);
  });

  it("a guard of 0 leaves every output equal to its input (the step is skipped)", async () => {
    const [p, g, m, buf] = [rand(13), rand(13), rand(13), rand(13)];
    const v = rand(13, 0, 1);
    const adam = adamUpdate(p, g, m, v, adamHyperOf(sc(0.1), sc(0.1), sc(1), sc(0)), { b1: 0.9, b2: 0.999, eps: 1e-8, weightDecay: 0.01, decoupled: true });
    for (const [out, old] of [[adam[0], p], [adam[1], m], [adam[2], v]] as [Tensor, Tensor][]) expect(await values(out)).toEqual(await values(old));
    const sgd = sgdUpdate(p, g, buf, sgdHyper(sc(0.1), sc(0)), { momentum: 0.9, dampening: 0, nesterov: false, weightDecay: 0 });
    expect(await values(sgd[0])).toEqual(await values(p));
    expect(await values(sgd[1])).toEqual(await values(buf));
  });

  it("an element whose update would overflow keeps its old value; the others update", async () => {
    const p = fromArray(Float32Array.from([1, 2]), [2]);
    const g = fromArray(Float32Array.from([1, 1e30]), [2]);
    const [np] = sgdUpdate(p, g, null, sgdHyper(W.scalar(1e10), W.scalar(1)), { momentum: 0, dampening: 0, nesterov: false, weightDecay: 0 });
    expect(Array.from(await values(np))).toEqual([Math.fround(1 - 1e10), 2]);
  });
});
