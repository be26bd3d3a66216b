/** The fused optimizer kernels equal the op compositions they replace (float64). */
import { describe, it } from "vitest";
import * as W from "../../src/index.ts";
import { fromArray, type Tensor } from "../../src/index.ts";
import { adamHyper, adamUpdate, sgdUpdate } from "../../src/ops/optimizer_updates.ts";
import { seeded } from "../helpers/gradcheck.ts";
import { expectClose, TOL } from "../tolerance.ts";
import { values } from "../helpers/values.ts";

const rng = seeded(11);
const rand = (n: number, lo = -1, hi = 1) => fromArray(Float64Array.from({ length: n }, () => lo + (hi - lo) * rng()), [n], "float64");
const sc = (x: number) => W.scalar(x, "float64");

describe("fused optimizer updates equal their compositions", () => {
  it.each([
    [false, 0], [false, 0.1], [true, 0.01],
  ])("adamUpdate (decoupled %s, weight decay %s)", async (decoupled, wd) => {
    const [p, g, m] = [rand(37), rand(37), rand(37)];
    const v = rand(37, 0, 1);
    const [b1, b2, eps, lrv, t] = [0.9, 0.999, 1e-8, 0.01, 3];
    const stepSize = lrv / (1 - b1 ** t);
    const vScale = 1 / (1 - b2 ** t);
    const [np, nm, nv] = adamUpdate(p, g, m, v, adamHyper(sc(lrv), sc(stepSize), sc(vScale)), { b1, b2, eps, weightDecay: wd, decoupled });
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
    const outs = sgdUpdate(p, g, mu ? buf : null, sc(lr), { momentum: mu, dampening: damp, nesterov, weightDecay: wd });
    let gg = W.add(g, W.mul(p, wd));
    let b2: Tensor | null = null;
    if (mu) {
      b2 = W.add(W.mul(buf, mu), W.mul(gg, 1 - damp));
      gg = nesterov ? W.add(gg, W.mul(b2, mu)) : b2;
    }
    expectClose(await values(outs[0]), await values(W.sub(p, W.mul(gg, lr))), TOL.composition);
    if (b2) expectClose(await values(outs[1]), await values(b2), TOL.composition);
  });
});
