/**
 * The fused LSTM and GRU cells: hand-worked steps on every backend (the CPU, and WebGPU where
 * there is an adapter: always under CI), inputs from the shared spec builder, tolerances from
 * test/tolerance.ts; then, on the CPU in float64 where it is sharp, each cell against its
 * composition from elementwise ops, values and gradients.
 */
import { describe, expect, it } from "vitest";
import * as W from "../../src/index.ts";
import { F, ShapeError, tensor } from "../../src/index.ts";
import { lstmCell } from "../../src/ops/lstm_cell.ts";
import { gruCell } from "../../src/ops/gru_cell.ts";
import { expectClose, TOL } from "../tolerance.ts";
import { values } from "../helpers/values.ts";
import { onEachBackend, opCases, testBackends } from "../helpers/backends.ts";
import { given, makeInputs } from "../helpers/inputs.ts";
import { HAND } from "../tolerance.ts";

const backends = await testBackends();
const f64 = (v: number[], shape: number[]) => tensor(v, shape, "float64");

opCases(backends, "lstmCell and gruCell by hand", [
  {
    // σ(0) = ½, σ(ln 3) = ¾, tanh(atanh ½) = ½ → c' = ¾·2 + ½·½ = 1.75, h' = ½·tanh 1.75
    name: "lstmCell, one step: i = o = ½, f = ¾, g = ½, c = 2",
    f: (g, c) => lstmCell(g, c),
    inputs: [given([0, Math.log(3), Math.atanh(0.5), 0], [1, 4]), given([2], [1, 1])],
    want: [[0.5 * Math.tanh(1.75)], [1.75]],
    how: "rounded",
  },
  {
    // I = H = 1; only the forget gate has weight: gates = [0, x·1, 0, 0] → c' = σ(x)·c
    name: "F.lstmCell uses PyTorch's layout: weights [4H, I] and [4H, H], gate order i, f, g, o",
    f: (x, h, c, wi, wh) => F.lstmCell(x, [h, c], wi, wh)[1],
    inputs: [given([2], [1, 1]), given([0], [1, 1]), given([4], [1, 1]), given([0, 1, 0, 0], [4, 1]), given([0, 0, 0, 0], [4, 1])],
    want: [[4 / (1 + Math.exp(-2))]],
    how: "rounded",
  },
  {
    // gh_n = 2 → n = tanh(½·2) = tanh 1; h' = ½·tanh 1 + ½·h
    name: "gruCell, one step: zero gates give r = z = ½, n = tanh(½·h_n)",
    f: (gi, gh, h) => gruCell(gi, gh, h),
    inputs: [given([0, 0, 0], [1, 3]), given([0, 0, 2], [1, 3]), given([0.4], [1, 1])],
    want: [[0.5 * Math.tanh(1) + 0.2]],
    how: "rounded",
  },
]);

onEachBackend(backends, "lstmCell with the hidden projection summed in the kernel", (backend) => {
  it("equals the add then the cell, values and gradients (the same f32 sums)", async () => {
    const [gi, gh, c, wh, wc] = makeInputs([{ shape: [3, 8], range: [-3, 3] }, { shape: [3, 8], range: [-3, 3] }, { shape: [3, 2] }, { shape: [3, 2] }, { shape: [3, 2] }], 6);
    const loss = (cell: (a: W.Tensor, b: W.Tensor, cc: W.Tensor) => [W.Tensor, W.Tensor]) => (a: W.Tensor, b: W.Tensor, cc: W.Tensor) => {
      const [h, c1] = cell(a, b, cc);
      return W.add(W.sum(W.mul(h, wh)), W.sum(W.mul(c1, wc)));
    };
    const fused = (a: W.Tensor, b: W.Tensor, cc: W.Tensor) => lstmCell(a, cc, b);
    const unfused = (a: W.Tensor, b: W.Tensor, cc: W.Tensor) => lstmCell(W.add(a, b), cc);
    for (const [k, t] of fused(gi, gh, c).entries()) expectClose(await t.data(), await unfused(gi, gh, c)[k].data(), HAND.exact[backend], `output ${k} on ${backend}`);
    const g1 = W.grad(loss(fused), [0, 1, 2])(gi, gh, c) as W.Tensor[];
    const g2 = W.grad(loss(unfused), [0, 1, 2])(gi, gh, c) as W.Tensor[];
    for (let k = 0; k < 3; k++) expectClose(await g1[k].data(), await g2[k].data(), HAND.exact[backend], `gradient ${k} on ${backend}`);
    expect(() => lstmCell(gi, c, W.zeros([3, 4]))).toThrow(/lstmCell: the hidden projection float32\[3,4\] should match the gates float32\[3,8\]/);
  });
});

describe("lstmCell on the CPU, float64", () => {

  it("the fused cell equals its composition from elementwise ops (values and gradients)", async () => {
    const B = 2, H = 3;
    const gates = f64(Array.from({ length: B * 4 * H }, (_, i) => Math.sin(i + 1)), [B, 4 * H]);
    const c0 = f64(Array.from({ length: B * H }, (_, i) => Math.cos(i)), [B, H]);
    const composed = (g: W.Tensor, c: W.Tensor): [W.Tensor, W.Tensor] => {
      const part = (k: number) => W.slice(g, { 1: [k * H, (k + 1) * H] });
      const [i, f, gg, o] = [W.sigmoid(part(0)), W.sigmoid(part(1)), W.tanh(part(2)), W.sigmoid(part(3))];
      const c1 = W.add(W.mul(f, c), W.mul(i, gg));
      return [W.mul(o, W.tanh(c1)), c1];
    };
    const [h1, c1] = lstmCell(gates, c0);
    const [h2, c2] = composed(gates, c0);
    expectClose(await values(h1), await values(h2), TOL.composition);
    expectClose(await values(c1), await values(c2), TOL.composition);
    const loss = (cell: typeof composed) => (g: W.Tensor, c: W.Tensor) => {
      const [h, cc] = cell(g, c);
      return W.add(W.sum(W.mul(h, h)), W.sum(W.mul(cc, 3)));
    };
    const ga = W.grad(loss(lstmCell), [0, 1])(gates, c0) as W.Tensor[];
    const gb = W.grad(loss(composed), [0, 1])(gates, c0) as W.Tensor[];
    for (let k = 0; k < 2; k++) expectClose(await values(ga[k]), await values(gb[k]), TOL.composition);
  });

  it("checks gate and state shapes", () => {
    expect(() => lstmCell(W.zeros([2, 8]), W.zeros([2, 3]))).toThrow(ShapeError);
    expect(() => lstmCell(W.zeros([2, 8]), W.zeros([2, 3]))).toThrow("lstmCell: expected gates [B, 4H] and c [B, H], got gates [2,8] and c [2,3]");
  });
});

describe("gruCell on the CPU, float64", () => {

  it("the fused cell equals its composition (values and gradients)", async () => {
    const B = 2, H = 2;
    const gi = f64(Array.from({ length: B * 3 * H }, (_, i) => Math.sin(2 * i)), [B, 3 * H]);
    const gh = f64(Array.from({ length: B * 3 * H }, (_, i) => Math.cos(3 * i)), [B, 3 * H]);
    const h0 = f64([0.1, -0.2, 0.3, 0.9], [B, H]);
    const composed = (a: W.Tensor, b: W.Tensor, h: W.Tensor) => {
      const part = (t: W.Tensor, k: number) => W.slice(t, { 1: [k * H, (k + 1) * H] });
      const r = W.sigmoid(W.add(part(a, 0), part(b, 0)));
      const z = W.sigmoid(W.add(part(a, 1), part(b, 1)));
      const n = W.tanh(W.add(part(a, 2), W.mul(r, part(b, 2))));
      return W.add(W.mul(W.sub(1, z), n), W.mul(z, h));
    };
    expectClose(await values(gruCell(gi, gh, h0)), await values(composed(gi, gh, h0)), TOL.composition);
    const loss = (cell: typeof composed) => (a: W.Tensor, b: W.Tensor, h: W.Tensor) => W.sum(W.square(cell(a, b, h)));
    const ga = W.grad(loss(gruCell), [0, 1, 2])(gi, gh, h0) as W.Tensor[];
    const gb = W.grad(loss(composed), [0, 1, 2])(gi, gh, h0) as W.Tensor[];
    for (let k = 0; k < 3; k++) expectClose(await values(ga[k]), await values(gb[k]), TOL.composition);
  });

  it("checks gate and state shapes", () => {
    expect(() => gruCell(W.zeros([2, 6]), W.zeros([2, 5]), W.zeros([2, 2]))).toThrow(/gruCell: expected input gates \[B, 3H\]/);
  });
});
