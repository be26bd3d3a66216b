/**
 * @file Fused optimizer updates: one elementwise kernel for all parameters (the optimizer packs
 * them: optim/flat_params.ts) instead of a dozen
 * small ops. Both rules live in one table (JS and WGSL side by side), as the elementwise ops do:
 *   adamUpdate(p, g, m, v, hyper) → [p', m', v'], hyper = [lr, stepSize, vScale, ok] (one
 *   buffer: 8 storage buffers in all, the portable per-stage limit)
 *     g ← g + λp (Adam, L2)              p ← p − lr·λ·p (AdamW, decoupled, before the step)
 *     m' = β₁m + (1 − β₁)g   v' = β₂v + (1 − β₂)g²   p' = p − m'·stepSize / (√(v'·vScale) + ε)
 *     with stepSize = lr/(1 − β₁ᵗ) and vScale = 1/(1 − β₂ᵗ) computed once per step, with
 *     t ← t + ok, by adamHyper (one kernel);
 *   sgdUpdate(p, g, [buf,] hyper) → [p'(, buf')], hyper = [lr, ok]
 *     g ← g + λp; b' = μb + (1 − dampening)g; g ← b' (or g + μb', Nesterov); p' = p − lr·g.
 * Skipping: ok is the step's guard (ops/guard.ts). When it is 0 (a non-finite loss or gradient,
 * a bad index) every output is its input unchanged. And where one element's new value would
 * not be finite (an overflow from a huge learning rate), that element keeps its old p, m, v:
 * no weight ever becomes NaN or ±Inf through an update.
 * Updates are not differentiated (no gradient rule). Tested against the compositions they
 * replace (test/nn/optimizer_updates.test.ts).
 */
import { requireFloat, type TypedArray } from "../dtype.ts";
import { DTypeError, ShapeError, fmtShape } from "../errors.ts";
import { sizeOf } from "../shape.ts";
import { apply } from "../graph/ir.ts";
import type { Tensor } from "../tensor.ts";
import type { BufferRef, OpDef, ValueInfo } from "./types.ts";
import { shaderCall } from "./shaders.ts";
import { wgslType } from "./wgsl.ts";
import { concat, reshape } from "./movement.ts";
import { fastKernels } from "./cpu_fast.ts";

export interface AdamAttrs {
  b1: number;
  b2: number;
  eps: number;
  weightDecay: number;
  decoupled: boolean;
}

export interface SgdAttrs {
  momentum: number;
  dampening: number;
  nesterov: boolean;
  weightDecay: number;
}

/** The first `tensors` inputs match the parameter; the last one holds `hyper` scalars. */
function checkSame(op: string, ins: ValueInfo[], tensors: number, hyper: number): void {
  const p = ins[0];
  requireFloat(op, "parameter", p.dtype);
  ins.slice(1, tensors).forEach((t) => {
    if (t.shape.join() !== p.shape.join() || t.dtype !== p.dtype) throw new ShapeError(`${op}: ${t.dtype}${fmtShape(t.shape)} does not match the parameter ${p.dtype}${fmtShape(p.shape)}`);
  });
  const h = ins[tensors];
  if (!h || sizeOf(h.shape) !== hyper) throw new ShapeError(`${op}: expected ${hyper} hyperparameter value(s) after the ${tensors} tensors, got ${h ? fmtShape(h.shape) : "none"}`);
}


export const adamUpdateDef: OpDef<AdamAttrs> = {
  name: "adamUpdate",
  infer: (ins) => {
    checkSame("adamUpdate", ins, 4, 4);
    if (ins.length !== 5) throw new ShapeError(`adamUpdate: expected 5 inputs (p, g, m, v, hyper), got ${ins.length}`);
    return [0, 0, 0].map(() => ({ shape: ins[0].shape, dtype: ins[0].dtype }));
  },
  cpu: ({ inputs: [p, g, m, v, hyper], outputs: [pOut, mOut, vOut], attrs: a }) => {
    const [lr, stepSize, vScale, ok] = hyper;
    const decay = a.decoupled ? lr * a.weightDecay : 0;
    const f = fround(p);
    for (let i = 0; i < p.length; i++) {
      const gi = a.decoupled ? g[i] : g[i] + a.weightDecay * p[i];
      const mi = a.b1 * m[i] + (1 - a.b1) * gi;
      const vi = a.b2 * v[i] + (1 - a.b2) * gi * gi;
      const pi = p[i] - p[i] * decay - (mi * stepSize) / (Math.sqrt(vi * vScale) + a.eps);
      const keep = ok === 0 || !(Number.isFinite(f(pi)) && Number.isFinite(f(mi)) && Number.isFinite(f(vi)));
      mOut[i] = keep ? m[i] : mi;
      vOut[i] = keep ? v[i] : vi;
      pOut[i] = keep ? p[i] : pi;
    }
  },
  // the fast mode: four elements at a time in float32 (cpu_fast.ts), the last n mod 4 by the reference
  cpuFast: (args) => {
    const { inputs: [p, g, m, v, hyper], outputs: [pOut, mOut, vOut], attrs: a, cpu } = args;
    const f32 = [p, g, m, v, pOut, mOut, vOut].every((x) => x instanceof Float32Array);
    const fast = f32 ? fastKernels(cpu.threads) : null;
    if (!fast) return false;
    const [lr, step, vScale, ok] = hyper;
    const [pf, gf, mf, vf] = [p, g, m, v] as Float32Array[];
    fast.adam(pf, gf, mf, vf, [pOut, mOut, vOut] as Float32Array[] as [Float32Array, Float32Array, Float32Array], {
      b1: a.b1, b2: a.b2, eps: a.eps, wd: a.decoupled ? 0 : a.weightDecay, decay: a.decoupled ? lr * a.weightDecay : 0, step, vScale, ok: ok !== 0,
    });
    const done = p.length & ~3;
    if (done < p.length) {
      const tail = <T extends TypedArray>(x: T) => x.subarray(done) as T;
      adamUpdateDef.cpu({ ...args, inputs: [tail(p), tail(g), tail(m), tail(v), hyper], outputs: [tail(pOut), tail(mOut), tail(vOut)] });
    }
    return true;
  },
  webgpu: ({ inShapes: [ps], attrs: a }) => {
    const n = sizeOf(ps);
    const constants = { N: n, B1: a.b1, B2: a.b2, EPS: a.eps, WD: a.weightDecay, DECOUPLED: a.decoupled ? 1 : 0 };
    const bindings: BufferRef[] = [...[0, 1, 2, 3, 4].map((k) => ({ in: k })), { out: 0 }, { out: 1 }, { out: 2 }];
    return { calls: [shaderCall("adamUpdate", "adam_update", bindings, constants, { threads: n })] };
  },
};

export const sgdUpdateDef: OpDef<SgdAttrs> = {
  name: "sgdUpdate",
  infer: (ins, a) => {
    const withBuf = a.momentum !== 0;
    checkSame("sgdUpdate", ins, withBuf ? 3 : 2, 2);
    return (withBuf ? [0, 0] : [0]).map(() => ({ shape: ins[0].shape, dtype: ins[0].dtype }));
  },
  cpu: ({ inputs, outputs, attrs: a }) => {
    const [p, g] = inputs;
    const withBuf = a.momentum !== 0;
    const buf = withBuf ? inputs[2] : null;
    const [lr, ok] = inputs[withBuf ? 3 : 2];
    const [pOut, bOut] = outputs;
    const f = fround(p);
    for (let i = 0; i < p.length; i++) {
      let gi = g[i] + a.weightDecay * p[i];
      let b = 0;
      if (buf) {
        b = a.momentum * buf[i] + (1 - a.dampening) * gi;
        gi = a.nesterov ? gi + a.momentum * b : b;
      }
      const pi = p[i] - lr * gi;
      const keep = ok === 0 || !(Number.isFinite(f(pi)) && Number.isFinite(f(b)));
      if (buf) bOut[i] = keep ? buf[i] : b;
      pOut[i] = keep ? p[i] : pi;
    }
  },
  // shaders/sgd_update.wgsl, or sgd_momentum_update.wgsl with its two more buffers
  webgpu: ({ inShapes: [ps], attrs: a }) => {
    const n = sizeOf(ps);
    const withBuf = a.momentum !== 0;
    const call = withBuf
      ? shaderCall("sgdUpdate", "sgd_momentum_update", [{ in: 0 }, { in: 1 }, { in: 2 }, { in: 3 }, { out: 0 }, { out: 1 }],
        { N: n, WD: a.weightDecay, MU: a.momentum, DAMP: 1 - a.dampening, NESTEROV: a.nesterov ? 1 : 0 }, { threads: n })
      : shaderCall("sgdUpdate", "sgd_update", [{ in: 0 }, { in: 1 }, { in: 2 }, { out: 0 }], { N: n, WD: a.weightDecay }, { threads: n });
    return { calls: [call] };
  },
};

export const adamHyperDef: OpDef<{ b1: number; b2: number }> = {
  name: "adamHyper",
  infer: (ins) => {
    if (ins.length !== 3 || ins.some((x) => sizeOf(x.shape) !== 1)) {
      throw new ShapeError(`adamHyper: expected three one-element tensors (lr, t, ok), got ${ins.map((x) => fmtShape(x.shape)).join(", ")}`);
    }
    requireFloat("adamHyper", "lr", ins[0].dtype);
    ins.forEach((x) => {
      if (x.dtype !== ins[0].dtype) throw new DTypeError(`adamHyper: lr, t and ok must share a dtype, got ${ins.map((y) => y.dtype).join(", ")}`);
    });
    return [{ shape: [4], dtype: ins[0].dtype }, { shape: ins[1].shape, dtype: ins[1].dtype }];
  },
  cpu: ({ inputs: [[lr], [t], [ok]], outputs: [hyper, tOut], attrs: { b1, b2 } }) => {
    const t1 = t + ok;
    hyper.set([lr, lr / (1 - b1 ** t1), 1 / (1 - b2 ** t1), ok]);
    tOut[0] = t1;
  },
  webgpu: ({ inDtypes: [dt], attrs: { b1, b2 } }) => {
    wgslType(dt, "adamHyper");
    const bindings: BufferRef[] = [{ in: 0 }, { in: 1 }, { in: 2 }, { out: 0 }, { out: 1 }];
    const tokens = { LR: 0, TIN: 1, HYPER: 3, TOUT: 4 };
    return { calls: [shaderCall("adamHyper", "adam_hyper", bindings, { D1: 1 - b1, D2: 1 - b2 }, { workgroups: [1, 1, 1] }, { tokens })] };
  },
};

/**
 * One step's [lr, lr/(1 − β₁ᵗ'), 1/(1 − β₂ᵗ'), ok] (the vector adamUpdate reads) and the new
 * step count t' = t + ok, in one kernel.
 */
export function adamHyper(lr: Tensor, t: Tensor, ok: Tensor, betas: { b1: number; b2: number }): [hyper: Tensor, t: Tensor] {
  const [hyper, t1] = apply(adamHyperDef, [lr, t, ok], betas);
  return [hyper, t1];
}

/** The [lr, ok] vector sgdUpdate reads. */
export function sgdHyper(lr: Tensor, ok: Tensor): Tensor {
  return concat([lr, ok].map((t) => reshape(t, [1])));
}

/** Rounds to the parameter's precision, so "finite" means finite once stored. */
function fround(p: ArrayLike<number>): (x: number) => number {
  return p instanceof Float32Array ? Math.fround : (x) => x;
}

/** One Adam/AdamW step for one parameter: [p', m', v']; hyper from adamHyper. */
export function adamUpdate(p: Tensor, g: Tensor, m: Tensor, v: Tensor, hyper: Tensor, attrs: AdamAttrs): [Tensor, Tensor, Tensor] {
  const [a, b, c] = apply(adamUpdateDef, [p, g, m, v, hyper], attrs);
  return [a, b, c];
}

/** One SGD step for one parameter: [p'] or, with momentum, [p', buf']; hyper = sgdHyper(lr, ok). */
export function sgdUpdate(p: Tensor, g: Tensor, buf: Tensor | null, hyper: Tensor, attrs: SgdAttrs): Tensor[] {
  return apply(sgdUpdateDef, buf ? [p, g, buf, hyper] : [p, g, hyper], attrs);
}
