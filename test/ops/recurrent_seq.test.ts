/**
 * The fused recurrent sequence ops (src/ops/recurrent_seq.ts: one kernel per time step on
 * WebGPU, forward and backward) against the unfused graph they replace, a loop of F.lstmCell /
 * F.gruCell steps with the same weights: every output and the gradient of every input (x, both
 * weights, both biases, the initial state), on every backend. The CPU runs in float64, where
 * the two must agree to rounding; WebGPU in float32 with the accumulation tolerance. Shapes
 * cover more than one 64-unit tile (H = 70), a batch that is not a multiple of the forward
 * kernel's 4 rows, odd and even T (the backward's ping-pong ends in its outputs either way),
 * both directions and no bias.
 */
import { expect, it } from "vitest";
import * as W from "../../src/index.ts";
import { F, ShapeError, type Tensor } from "../../src/index.ts";
import { gruSequence, lstmSequence } from "../../src/ops/recurrent_seq.ts";
import { expectClose, TOL } from "../tolerance.ts";
import { onEachBackend, testBackends } from "../helpers/backends.ts";
import { makeInputs, rnd } from "../helpers/inputs.ts";

const backends = await testBackends();

interface SeqCase {
  T: number;
  B: number;
  I: number;
  H: number;
  reverse: boolean;
  bias: boolean;
}

const CASES: SeqCase[] = [
  { T: 3, B: 5, I: 4, H: 70, reverse: false, bias: true },
  { T: 4, B: 2, I: 3, H: 6, reverse: true, bias: true },
  { T: 1, B: 1, I: 2, H: 3, reverse: false, bias: false },
];

const project = (x: Tensor, w: Tensor, b: Tensor | null) => {
  const [T, B, I] = x.shape;
  return W.reshape(F.linear(W.reshape(x, [T * B, I]), w, b), [T, B, w.shape[0]]);
};
const times = (T: number, reverse: boolean) => Array.from({ length: T }, (_, s) => (reverse ? T - 1 - s : s));
const stack = (hs: Tensor[]) => W.concat(hs.map((h) => W.unsqueeze(h, 0)), 0);
const step = (x: Tensor, t: number) => W.squeeze(W.slice(x, { 0: [t, t + 1] }), 0);

async function expectSame(fused: (...xs: Tensor[]) => Tensor[], unfused: (...xs: Tensor[]) => Tensor[], inputs: Tensor[], float64: boolean, what: string) {
  const tol = float64 ? TOL.composition : TOL.gpuAccumulate;
  const a = fused(...inputs), b = unfused(...inputs);
  for (let k = 0; k < a.length; k++) expectClose(await a[k].data(), await b[k].data(), tol, `${what}: output ${k}`);
  // a loss that weighs every element of every output differently
  const weights = a.map((t, k) => makeInputs([rnd(...t.shape)], 40 + k, t.dtype)[0]);
  const loss = (f: (...xs: Tensor[]) => Tensor[]) => (...xs: Tensor[]) => f(...xs).map((t, k) => W.sum(W.mul(t, weights[k]))).reduce((p, q) => W.add(p, q));
  const which = inputs.map((_, i) => i);
  const ga = W.grad(loss(fused), which)(...inputs) as Tensor[];
  const gb = W.grad(loss(unfused), which)(...inputs) as Tensor[];
  for (let i = 0; i < inputs.length; i++) expectClose(await ga[i].data(), await gb[i].data(), tol, `${what}: gradient of input ${i}`);
}

onEachBackend(backends, "lstmSequence and gruSequence equal the unfused step loop", (backend) => {
  const float64 = backend === "cpu";
  const dtype = float64 ? "float64" : "float32";

  it.each(CASES)("LSTM T=$T B=$B I=$I H=$H reverse=$reverse bias=$bias: hs, c_T and every gradient", async ({ T, B, I, H, reverse, bias }) => {
    const specs = [rnd(T, B, I), rnd(4 * H, I), rnd(4 * H, H), rnd(B, H), rnd(B, H), ...(bias ? [rnd(4 * H), rnd(4 * H)] : [])];
    const inputs = makeInputs(specs, 7, dtype);
    const fused = (x: Tensor, wi: Tensor, wh: Tensor, h0: Tensor, c0: Tensor, bi?: Tensor, bh?: Tensor) =>
      lstmSequence(project(x, wi, bi ? W.add(bi, bh!) : null), wh, h0, c0, reverse);
    const unfused = (x: Tensor, wi: Tensor, wh: Tensor, h0: Tensor, c0: Tensor, bi?: Tensor, bh?: Tensor) => {
      let st: [Tensor, Tensor] = [h0, c0];
      const hs: Tensor[] = new Array(T);
      for (const t of times(T, reverse)) hs[t] = (st = F.lstmCell(step(x, t), st, wi, wh, bi, bh))[0];
      return [stack(hs), st[1]];
    };
    await expectSame(fused, unfused, inputs, float64, `LSTM on ${backend}`);
  });

  it.each(CASES)("GRU T=$T B=$B I=$I H=$H reverse=$reverse bias=$bias: hs and every gradient", async ({ T, B, I, H, reverse, bias }) => {
    const specs = [rnd(T, B, I), rnd(3 * H, I), rnd(3 * H, H), rnd(B, H), ...(bias ? [rnd(3 * H), rnd(3 * H)] : [])];
    const inputs = makeInputs(specs, 8, dtype);
    const fused = (x: Tensor, wi: Tensor, wh: Tensor, h0: Tensor, bi?: Tensor, bh?: Tensor) => [gruSequence(project(x, wi, bi ?? null), wh, h0, bh ?? null, reverse)];
    const unfused = (x: Tensor, wi: Tensor, wh: Tensor, h0: Tensor, bi?: Tensor, bh?: Tensor) => {
      let h = h0;
      const hs: Tensor[] = new Array(T);
      for (const t of times(T, reverse)) hs[t] = h = F.gruCell(step(x, t), h, wi, wh, bi, bh);
      return [stack(hs)];
    };
    await expectSame(fused, unfused, inputs, float64, `GRU on ${backend}`);
  });

  it("refuses projections, weights or states of the wrong shape, naming them", () => {
    const z = (...s: number[]) => W.zeros(s, dtype);
    expect(() => lstmSequence(z(3, 2, 8), z(8, 3), z(2, 2), z(2, 2))).toThrow(ShapeError);
    expect(() => lstmSequence(z(3, 2, 8), z(8, 3), z(2, 2), z(2, 2))).toThrow("lstmSequence: expected projections [T ≥ 1, B, 4H] and W_hh [4H, H ≥ 1], got [3,2,8] and [8,3]");
    expect(() => lstmSequence(z(3, 2, 8), z(8, 2), z(2, 2), z(3, 2))).toThrow(`lstmSequence: c0 ${dtype}[3,2] should be ${dtype}[2,2]`);
    expect(() => gruSequence(z(3, 2, 6), z(6, 2), z(2, 2), z(5))).toThrow(`gruSequence: b_hh ${dtype}[5] should be ${dtype}[6]`);
    expect(() => gruSequence(z(0, 2, 6), z(6, 2), z(2, 2), null)).toThrow(/gruSequence: expected projections \[T ≥ 1, B, 3H\]/);
  });
});
