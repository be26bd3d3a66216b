/**
 * @file A whole LSTM or GRU layer direction as one op: every time step's hidden matmul and
 * cell update, in order, with the input projections of all steps computed before (one matmul
 * [T·B, I]·W_ihᵀ by the layer). On WebGPU each time step is ONE dispatch doing h·W_hhᵀ and the
 * gate/state update together (the step index comes from a per-dispatch uniform, so the T
 * dispatches share a pipeline), and the backward op is one dispatch per step as well: the step's
 * gate gradients and dh_prev = dgates·W_hh in one kernel. W_hh's gradient is then one matmul
 * over all steps (dgatesᵀ·h_prev, both [T·B, ·]), outside the loop. The design is cuDNN's
 * (the persistent projections, the per-step recurrent GEMM fused with the pointwise update).
 * A software adapter gets the barrier-free form of the same shaders instead (DIRECT, as its
 * matmuls do: SwiftShader runs workgroup barriers slowly), whose backward step is two dispatches.
 *
 * Forward, per step t (t runs T−1 … 0 with `reverse`), from h₀, c₀ at the first step (h₀ is
 * multiplied too: a layer's zero state costs one step's matmul of zeros, not a second kernel):
 *   LSTM: gates = xproj[t] + h_prev·W_hhᵀ (xproj holds b_ih + b_hh), [i, f, g, o] = [σ, σ, tanh, σ]
 *         c = f·c_prev + i·g,  h = o·tanh(c)
 *   GRU:  gh = h_prev·W_hhᵀ + b_hh,  r = σ(x_r + gh_r),  z = σ(x_z + gh_z),
 *         n = tanh(x_n + r·gh_n),  h = (1 − z)·n + z·h_prev          (x = xproj[t], PyTorch's GRU)
 * Outputs: hs [T, B, H] (every step's h, in time order), the LSTM's final c [B, H], and what the
 * backward op reads: `saved` (LSTM [T, B, 6H] = i, f, g, o, c_prev, c; GRU [T, B, 4H] = r, z, n,
 * gh_n) and `hprev` [T, B, H] (the h each step started from). Neither has a gradient of its own:
 * they are the op's workspace, differentiated through hs and c.
 * Backward, per step in reverse order, with dh = dhs[t] + the recurrent dh from the step after:
 *   LSTM: dc' = dc + dh·o·(1 − tanh²c); dgᵢ = dc'·g·i(1−i), dg_f = dc'·c_prev·f(1−f),
 *         dg_g = dc'·i·(1−g²), dg_o = dh·tanh(c)·o(1−o); dc_prev = dc'·f; dh_prev = dgates·W_hh
 *   GRU:  dn = dh(1−z)(1−n²), dz = dh(h_prev − n)z(1−z), dr = dn·gh_n·r(1−r);
 *         dx = [dr, dz, dn], dgh = [dr, dz, dn·r]; dh_prev = dgh·W_hh + dh·z
 */
import { requireFloat, type DType, type TypedArray } from "../dtype.ts";
import { ShapeError, fmtShape } from "../errors.ts";
import { apply } from "../graph/ir.ts";
import type { Tensor } from "../tensor.ts";
import type { BufferRef, CpuCaps, KernelCall, OpDef, ValueInfo } from "./types.ts";
import { shaderCall, type ShaderVariant } from "./shaders.ts";
import { copyKernel, reshape } from "./movement.ts";
import { sum } from "./sum.ts";
import { matmul } from "./matmul.ts";
import { gemm } from "./matmul_cpu.ts";
import { fastKernels, type FastKernels } from "./cpu_fast.ts";

export interface SequenceAttrs {
  /** Steps run from the last time index to the first (a bidirectional layer's second direction). */
  reverse: boolean;
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
/** Workgroup width of the step kernels (and the tile of hidden units each workgroup owns). */
const WG = 64;
/** Batch rows a forward workgroup computes (register blocking: each W_hh value is used RB times). */
const RB = 4;

/** Batch rows per thread of the direct forward kernel; rows × units per thread of the direct dh_prev. */
const DIRECT_ROWS = 8;
const DIRECT_BLOCK = 4;

/** Time index of step s. */
const timeOf = (s: number, T: number, reverse: boolean) => (reverse ? T - 1 - s : s);

function same(op: string, what: string, v: ValueInfo, want: number[], dtype: DType): void {
  if (v.shape.join() !== want.join() || v.dtype !== dtype) {
    throw new ShapeError(`${op}: ${what} ${v.dtype}${fmtShape(v.shape)} should be ${dtype}${fmtShape(want)}`);
  }
}

/** [T, B, G·H] projections and W_hh [G·H, H] → T, B, H, checked. */
function dims(op: string, gates: number, xproj: ValueInfo, whh: ValueInfo): [number, number, number] {
  requireFloat(op, "xproj", xproj.dtype);
  const h = whh.shape[1];
  if (xproj.shape.length !== 3 || whh.shape.length !== 2 || whh.shape[0] !== gates * h || xproj.shape[2] !== gates * h || h === 0 || xproj.shape[0] === 0) {
    throw new ShapeError(`${op}: expected projections [T ≥ 1, B, ${gates}H] and W_hh [${gates}H, H ≥ 1], got ${fmtShape(xproj.shape)} and ${fmtShape(whh.shape)}`);
  }
  if (whh.dtype !== xproj.dtype) throw new ShapeError(`${op}: W_hh ${whh.dtype} should match the projections' ${xproj.dtype}`);
  return [xproj.shape[0], xproj.shape[1], h];
}

const like = (dtype: DType, ...shape: number[]): ValueInfo => ({ shape, dtype });

/**
 * hid [B, G] = h_prev·W_hhᵀ for the whole batch (h_prev rows at `hpAt` + b·H of `hp`), through
 * the CPU matmul (matmul_cpu.ts: float64 sums, rounded once to the tensors' precision, as the
 * unfused h·W_hhᵀ matmul rounds them).
 */
function hiddenAll(hp: TypedArray, hpAt: number, whh: TypedArray, hid: TypedArray, b: number, g: number, h: number, cpu: CpuCaps): void {
  gemm({ data: hp, off: hpAt, sRow: h, sP: 1 }, { data: whh, off: 0, sRow: h, sP: 1 }, hid, 0, b, h, g, cpu.wasmMatmul, cpu.mode === "fast" ? cpu : undefined);
}

/** out [B, H] = dgates_t [B, G] (rows at `at` of `dg`)·W_hh [G, H]. */
function backAll(dg: TypedArray, at: number, whh: TypedArray, out: TypedArray, b: number, g: number, h: number, cpu: CpuCaps): void {
  gemm({ data: dg, off: at, sRow: g, sP: 1 }, { data: whh, off: 0, sRow: 1, sP: h }, out, 0, b, g, h, cpu.wasmMatmul, cpu.mode === "fast" ? cpu : undefined);
}

const alloc = (like: TypedArray, n: number) => new (like.constructor as new (n: number) => TypedArray)(n);

/** The fast kernels for a sequence op whose arrays are all float32 with H a multiple of 4 (their f32x4 cells), else null: the reference runs. */
function sequenceKernels(cpu: CpuCaps, H: number, ...arrays: TypedArray[]): FastKernels | null {
  return H % 4 === 0 && arrays.every((a) => a instanceof Float32Array) ? fastKernels(cpu.threads) : null;
}

type SeqShader = "lstm_seq" | "lstm_seq_backward" | "gru_seq" | "gru_seq_backward";

/**
 * The per-step dispatches of a sequence op, T of them (2T for a direct backward), each told
 * its step by params. `direct` (what a software adapter gets, DeviceCaps.matmul): the
 * barrier-free form (DIRECT), a thread per (rows, unit); else the tiled one on `grid`.
 */
function stepCalls(name: string, shader: SeqShader, T: number, B: number, H: number, direct: boolean, grid: [number, number, number],
  bindings: BufferRef[], constants: Record<string, number>, traffic: { read: number; written: number }): KernelCall[] {
  const all: BufferRef[] = [...bindings, { params: true }];
  const backward = shader.endsWith("backward");
  const phases = direct && backward ? [0, 1] : [null];
  // the direct form's counts are given to both forms: one source file serves both
  const variant: ShaderVariant = backward ? { each: { X: DIRECT_BLOCK, Y: DIRECT_BLOCK }, tokens: { X: DIRECT_BLOCK, Y: DIRECT_BLOCK } } : { each: { X: DIRECT_ROWS }, tokens: { X: DIRECT_ROWS } };
  const bases = phases.map((phase) => {
    if (!direct) return shaderCall(name, shader, all, { ...constants, DIRECT: 0 }, { workgroups: grid }, variant);
    // forward: X rows a thread; backward PHASE 1: X rows × Y units a thread; PHASE 0: one cell a thread
    const threads = phase === null ? Math.ceil(B / DIRECT_ROWS) * H : phase === 0 ? B * H : Math.ceil(B / DIRECT_BLOCK) * Math.ceil(H / DIRECT_BLOCK);
    return shaderCall(phase === null ? name : `${name}/${phase === 0 ? "gates" : "dh"}`, shader, all, { ...constants, DIRECT: 1, ...(phase === null ? {} : { PHASE: phase }) }, { threads }, variant);
  });
  return Array.from({ length: T }, (_, s) => bases.map((base) => ({ ...base, params: [s], traffic }))).flat();
}

function transposeCall(name: string, gh: number, h: number, dtype: DType): KernelCall {
  // W_hh [G·H, H] → [H, G·H]: output (k, n) reads W_hh[n·H + k]
  const [call] = copyKernel(`${name}/transpose W_hh`, [h, gh], dtype, [1, h]).calls;
  return { ...call, bindings: [{ in: 1 }, { scratch: 0 }] };
}

// ---- LSTM ----------------------------------------------------------------------------------

export const lstmSequenceDef: OpDef<SequenceAttrs> = {
  name: "lstmSequence",
  infer: ([xproj, whh, h0, c0]) => {
    const [T, B, H] = dims("lstmSequence", 4, xproj, whh);
    same("lstmSequence", "h0", h0, [B, H], xproj.dtype);
    same("lstmSequence", "c0", c0, [B, H], xproj.dtype);
    const d = xproj.dtype;
    return [like(d, T, B, H), like(d, B, H), like(d, T, B, 6 * H), like(d, T, B, H)];
  },
  cpu: ({ inputs: [x, whh, h0, c0], outputs: [hs, cN, saved, hprev], outShapes: [[T, B, H]], attrs: { reverse }, cpu }) => {
    const hid = alloc(x, B * 4 * H);
    for (let s = 0; s < T; s++) {
      const t = timeOf(s, T, reverse), tp = timeOf(s - 1, T, reverse);
      const [hp, hpAt] = s === 0 ? [h0, 0] : [hs, tp * B * H];
      hiddenAll(hp, hpAt, whh, hid, B, 4 * H, H, cpu);
      for (let b = 0; b < B; b++) {
        const xAt = (t * B + b) * 4 * H, sAt = (t * B + b) * 6 * H;
        const hAt = b * 4 * H;
        for (let j = 0; j < H; j++) {
          const at = sAt + j;
          saved[at] = sigmoid(x[xAt + j] + hid[hAt + j]);
          saved[at + H] = sigmoid(x[xAt + H + j] + hid[hAt + H + j]);
          saved[at + 2 * H] = Math.tanh(x[xAt + 2 * H + j] + hid[hAt + 2 * H + j]);
          saved[at + 3 * H] = sigmoid(x[xAt + 3 * H + j] + hid[hAt + 3 * H + j]);
          saved[at + 4 * H] = s === 0 ? c0[b * H + j] : saved[(tp * B + b) * 6 * H + 5 * H + j];
          // c = f·c_prev + i·g, from the stored (rounded) gates, as the kernel computes it
          saved[at + 5 * H] = saved[at + H] * saved[at + 4 * H] + saved[at] * saved[at + 2 * H];
          hprev[(t * B + b) * H + j] = hp[hpAt + b * H + j];
          hs[(t * B + b) * H + j] = saved[at + 3 * H] * Math.tanh(saved[at + 5 * H]);
          if (s === T - 1) cN[b * H + j] = saved[at + 5 * H];
        }
      }
    }
  },
  // the fast mode: the whole sequence in WebAssembly (cpu_fast.ts), for H a multiple of 4
  cpuFast: ({ inputs: [x, whh, h0, c0], outputs: [hs, cN, saved, hprev], outShapes: [[T, B, H]], attrs: { reverse }, cpu }) => {
    const fast = sequenceKernels(cpu, H, x, whh, h0, c0, hs, cN, saved, hprev);
    if (!fast) return false;
    const [xf, wf, h0f, c0f] = [x, whh, h0, c0] as Float32Array[];
    fast.lstmForward(xf, wf, h0f, c0f, { hs, cN, saved, hprev } as Record<"hs" | "cN" | "saved" | "hprev", Float32Array>, T, B, H, reverse);
    return true;
  },
  grad: ({ inputs: [xproj, whh], outputs: [, , saved, hprev], dys: [dhs, dcN], attrs }) => {
    const [T, B, G] = xproj.shape;
    const [dx, dh0, dc0] = lstmSequenceBackward(whh, saved, dhs, dcN, attrs.reverse);
    return [dx, recurrentWeightGrad(dx, hprev, T * B, G), dh0, dc0];
  },
  webgpu: ({ outShapes: [[T, B, H]], inDtypes: [dt], attrs: { reverse }, device }) => {
    const g = 4 * H;
    const traffic = { read: 4 * (B * g + g * H + 2 * B * H), written: 4 * 8 * B * H };
    return {
      scratch: [g * H * 4],
      calls: [
        transposeCall("lstmSequence", g, H, dt),
        ...stepCalls("lstmSequence", "lstm_seq", T, B, H, device.matmul === "direct", [Math.ceil(H / WG), Math.ceil(B / RB), 1],
          [{ in: 0 }, { scratch: 0 }, { in: 2 }, { in: 3 }, { out: 0 }, { out: 1 }, { out: 2 }, { out: 3 }], { T, B, H, REVERSE: reverse ? 1 : 0 }, traffic),
      ],
    };
  },
};

export const lstmSequenceBackwardDef: OpDef<SequenceAttrs> = {
  name: "lstmSequenceBackward",
  infer: ([whh, saved, dhs, dcN]) => {
    const H = whh.shape[1];
    const [T, B] = saved.shape;
    dims("lstmSequenceBackward", 4, { shape: [T, B, 4 * H], dtype: saved.dtype }, whh);
    same("lstmSequenceBackward", "saved", saved, [T, B, 6 * H], whh.dtype);
    same("lstmSequenceBackward", "dhs", dhs, [T, B, H], whh.dtype);
    same("lstmSequenceBackward", "dcN", dcN, [B, H], whh.dtype);
    const d = whh.dtype;
    return [like(d, T, B, 4 * H), like(d, B, H), like(d, B, H)];
  },
  cpu: ({ inputs: [whh, saved, dhs, dcN], outputs: [dx, dh0, dc0], outShapes: [[T, B, G]], attrs: { reverse }, cpu }) => {
    const H = G / 4;
    const make = () => alloc(dh0, B * H);
    let dhRec = make(), dcRec = make(), dhNext = make(), dcNext = make();
    for (let s = 0; s < T; s++) {
      const t = timeOf(T - 1 - s, T, reverse);
      for (let b = 0; b < B; b++) {
        const sAt = (t * B + b) * 6 * H, xAt = (t * B + b) * G;
        for (let j = 0; j < H; j++) {
          const at = sAt + j;
          const i = saved[at], f = saved[at + H], g = saved[at + 2 * H], o = saved[at + 3 * H], cp = saved[at + 4 * H], c = saved[at + 5 * H];
          const dh = dhs[(t * B + b) * H + j] + (s === 0 ? 0 : dhRec[b * H + j]);
          const tc = Math.tanh(c);
          const dct = (s === 0 ? dcN[b * H + j] : dcRec[b * H + j]) + dh * o * (1 - tc * tc);
          dx[xAt + j] = dct * g * i * (1 - i);
          dx[xAt + H + j] = dct * cp * f * (1 - f);
          dx[xAt + 2 * H + j] = dct * i * (1 - g * g);
          dx[xAt + 3 * H + j] = dh * tc * o * (1 - o);
          dcNext[b * H + j] = dct * f;
        }
      }
      backAll(dx, t * B * G, whh, dhNext, B, G, H, cpu);
      [dhRec, dhNext] = [dhNext, dhRec];
      [dcRec, dcNext] = [dcNext, dcRec];
    }
    dh0.set(dhRec);
    dc0.set(dcRec);
  },
  // the fast mode: the whole backward sequence in WebAssembly (cpu_fast.ts), for H a multiple of 4
  cpuFast: ({ inputs: [whh, saved, dhs, dcN], outputs: [dx, dh0, dc0], outShapes: [[T, B, G]], attrs: { reverse }, cpu }) => {
    const H = G / 4;
    const fast = sequenceKernels(cpu, H, whh, saved, dhs, dcN, dx, dh0, dc0);
    if (!fast) return false;
    const [wf, sf, df, cf] = [whh, saved, dhs, dcN] as Float32Array[];
    fast.lstmBackward(wf, sf, df, cf, { dx, dh0, dc0 } as Record<"dx" | "dh0" | "dc0", Float32Array>, T, B, H, reverse);
    return true;
  },
  webgpu: ({ outShapes: [[T, B, G]], attrs: { reverse }, device }) => {
    const H = G / 4;
    const traffic = { read: 4 * (G * H + 8 * B * H), written: 4 * (G * B + 2 * B * H) };
    return {
      scratch: [2 * B * H * 4],
      calls: stepCalls("lstmSequenceBackward", "lstm_seq_backward", T, B, H, device.matmul === "direct", [Math.ceil(H / WG), B, 1],
        [{ in: 0 }, { in: 1 }, { in: 2 }, { in: 3 }, { out: 0 }, { out: 1 }, { out: 2 }, { scratch: 0 }], { T, B, H, REVERSE: reverse ? 1 : 0 }, traffic),
    };
  },
};

// ---- GRU -----------------------------------------------------------------------------------

export const gruSequenceDef: OpDef<SequenceAttrs> = {
  name: "gruSequence",
  // inputs: xproj, W_hh, h0 and (optionally) b_hh
  infer: ([xproj, whh, h0, bhh]) => {
    const [T, B, H] = dims("gruSequence", 3, xproj, whh);
    same("gruSequence", "h0", h0, [B, H], xproj.dtype);
    if (bhh) same("gruSequence", "b_hh", bhh, [3 * H], xproj.dtype);
    const d = xproj.dtype;
    return [like(d, T, B, H), like(d, T, B, 4 * H), like(d, T, B, H)];
  },
  cpu: ({ inputs: [x, whh, h0, bhh], outputs: [hs, saved, hprev], outShapes: [[T, B, H]], attrs: { reverse }, cpu }) => {
    const hid = alloc(x, B * 3 * H);
    for (let s = 0; s < T; s++) {
      const t = timeOf(s, T, reverse), tp = timeOf(s - 1, T, reverse);
      const [hp, hpAt] = s === 0 ? [h0, 0] : [hs, tp * B * H];
      hiddenAll(hp, hpAt, whh, hid, B, 3 * H, H, cpu);
      for (let b = 0; b < B; b++) {
        const xAt = (t * B + b) * 3 * H, sAt = (t * B + b) * 4 * H, hAt = b * 3 * H;
        for (let j = 0; j < H; j++) {
          // gh = h_prev·W_hhᵀ + b_hh; saved holds r, z, n, gh_n
          const r = sigmoid(x[xAt + j] + (hid[hAt + j] + (bhh ? bhh[j] : 0)));
          const z = sigmoid(x[xAt + H + j] + (hid[hAt + H + j] + (bhh ? bhh[H + j] : 0)));
          const ghn = hid[hAt + 2 * H + j] + (bhh ? bhh[2 * H + j] : 0);
          const n = Math.tanh(x[xAt + 2 * H + j] + r * ghn);
          const at = sAt + j;
          saved[at] = r;
          saved[at + H] = z;
          saved[at + 2 * H] = n;
          saved[at + 3 * H] = ghn;
          const h = hp[hpAt + b * H + j];
          hprev[(t * B + b) * H + j] = h;
          hs[(t * B + b) * H + j] = (1 - z) * n + z * h;
        }
      }
    }
  },
  // the fast mode: the whole sequence in WebAssembly (cpu_fast.ts), for H a multiple of 4
  cpuFast: ({ inputs: [x, whh, h0, bhh], outputs: [hs, saved, hprev], outShapes: [[T, B, H]], attrs: { reverse }, cpu }) => {
    const fast = sequenceKernels(cpu, H, x, whh, h0, bhh ?? x, hs, saved, hprev);
    if (!fast) return false;
    const [xf, wf, h0f] = [x, whh, h0] as Float32Array[];
    fast.gruForward(xf, wf, h0f, (bhh ?? null) as Float32Array | null, { hs, saved, hprev } as Record<"hs" | "saved" | "hprev", Float32Array>, T, B, H, reverse);
    return true;
  },
  grad: ({ inputs: [xproj, whh, , bhh], outputs: [, saved, hprev], dys: [dhs], attrs }) => {
    const [T, B, G] = xproj.shape;
    const [dx, dgh, dh0] = gruSequenceBackward(whh, saved, hprev, dhs, attrs.reverse);
    const grads = [dx, recurrentWeightGrad(dgh, hprev, T * B, G), dh0];
    return bhh ? [...grads, sum(reshape(dgh, [T * B, G]), 0)] : grads;
  },
  webgpu: ({ inShapes, outShapes: [[T, B, H]], inDtypes: [dt], attrs: { reverse }, device }) => {
    const g = 3 * H;
    const bias = inShapes.length === 4;
    const traffic = { read: 4 * (B * g + g * H + (bias ? g : 0) + B * H), written: 4 * 6 * B * H };
    return {
      scratch: [g * H * 4],
      calls: [
        transposeCall("gruSequence", g, H, dt),
        ...stepCalls("gruSequence", "gru_seq", T, B, H, device.matmul === "direct", [Math.ceil(H / WG), Math.ceil(B / RB), 1],
          [{ in: 0 }, { scratch: 0 }, { in: 2 }, bias ? { in: 3 } : { in: 2 }, { out: 0 }, { out: 1 }, { out: 2 }], { T, B, H, REVERSE: reverse ? 1 : 0, BIAS: bias ? 1 : 0 }, traffic),
      ],
    };
  },
};

export const gruSequenceBackwardDef: OpDef<SequenceAttrs> = {
  name: "gruSequenceBackward",
  infer: ([whh, saved, hprev, dhs]) => {
    const H = whh.shape[1];
    const [T, B] = saved.shape;
    dims("gruSequenceBackward", 3, { shape: [T, B, 3 * H], dtype: saved.dtype }, whh);
    same("gruSequenceBackward", "saved", saved, [T, B, 4 * H], whh.dtype);
    same("gruSequenceBackward", "hprev", hprev, [T, B, H], whh.dtype);
    same("gruSequenceBackward", "dhs", dhs, [T, B, H], whh.dtype);
    const d = whh.dtype;
    return [like(d, T, B, 3 * H), like(d, T, B, 3 * H), like(d, B, H)];
  },
  cpu: ({ inputs: [whh, saved, hprev, dhs], outputs: [dx, dgh, dh0], outShapes: [[T, B, G]], attrs: { reverse }, cpu }) => {
    const H = G / 3;
    const make = () => alloc(dh0, B * H);
    // dh: this step's total gradient of h (dhs[t] + the recurrent one, in float64), used twice
    let dhRec = make(), dhNext = make();
    const dh = new Float64Array(B * H);
    for (let s = 0; s < T; s++) {
      const t = timeOf(T - 1 - s, T, reverse);
      for (let b = 0; b < B; b++) {
        const sAt = (t * B + b) * 4 * H, xAt = (t * B + b) * G, hAt = (t * B + b) * H;
        for (let j = 0; j < H; j++) {
          const at = sAt + j;
          const r = saved[at], z = saved[at + H], n = saved[at + 2 * H], ghn = saved[at + 3 * H];
          const i = b * H + j;
          dh[i] = dhs[hAt + j] + (s === 0 ? 0 : dhRec[i]);
          const dn = dh[i] * (1 - z) * (1 - n * n);
          const dz = dh[i] * (hprev[hAt + j] - n) * z * (1 - z);
          const dr = dn * ghn * r * (1 - r);
          dx[xAt + j] = dgh[xAt + j] = dr;
          dx[xAt + H + j] = dgh[xAt + H + j] = dz;
          dx[xAt + 2 * H + j] = dn;
          dgh[xAt + 2 * H + j] = dn * r;
        }
      }
      backAll(dgh, t * B * G, whh, dhNext, B, G, H, cpu);
      // + the direct path of h_prev into h: dh·z
      for (let b = 0; b < B; b++) {
        const sAt = (t * B + b) * 4 * H;
        for (let k = 0; k < H; k++) dhNext[b * H + k] += dh[b * H + k] * saved[sAt + H + k];
      }
      [dhRec, dhNext] = [dhNext, dhRec];
    }
    dh0.set(dhRec);
  },
  // the fast mode: the whole backward sequence in WebAssembly (cpu_fast.ts), for H a multiple of 4
  cpuFast: ({ inputs: [whh, saved, hprev, dhs], outputs: [dx, dgh, dh0], outShapes: [[T, B, G]], attrs: { reverse }, cpu }) => {
    const H = G / 3;
    const fast = sequenceKernels(cpu, H, whh, saved, hprev, dhs, dx, dgh, dh0);
    if (!fast) return false;
    const [wf, sf, pf, df] = [whh, saved, hprev, dhs] as Float32Array[];
    fast.gruBackward(wf, sf, pf, df, { dx, dgh, dh0 } as Record<"dx" | "dgh" | "dh0", Float32Array>, T, B, H, reverse);
    return true;
  },
  webgpu: ({ outShapes: [[T, B, G]], attrs: { reverse }, device }) => {
    const H = G / 3;
    const traffic = { read: 4 * (G * H + 7 * B * H), written: 4 * (2 * G * B + B * H) };
    return {
      scratch: [B * H * 4],
      calls: stepCalls("gruSequenceBackward", "gru_seq_backward", T, B, H, device.matmul === "direct", [Math.ceil(H / WG), B, 1],
        [{ in: 0 }, { in: 1 }, { in: 2 }, { in: 3 }, { out: 0 }, { out: 1 }, { out: 2 }, { scratch: 0 }], { T, B, H, REVERSE: reverse ? 1 : 0 }, traffic),
    };
  },
};

/** W_hh's gradient over every step at once: dgatesᵀ·h_prev, [T·B, G]ᵀ·[T·B, H] → [G, H]. */
function recurrentWeightGrad(dGates: Tensor, hprev: Tensor, rows: number, g: number): Tensor {
  return matmul(reshape(dGates, [rows, g]), reshape(hprev, [rows, hprev.shape[2]]), { transposeA: true });
}

// ---- builders ------------------------------------------------------------------------------

/**
 * An LSTM layer direction over all T steps.
 * @param xproj [T, B, 4H] input projections x·W_ihᵀ + b_ih + b_hh, gate order i, f, g, o
 * @param whh [4H, H] W_hh (PyTorch's layout)
 * @param h0 [B, H], c0 [B, H] the initial state
 * @returns [hs [T, B, H], c_T [B, H]] (the final c; the final h is hs at the last step run)
 */
export function lstmSequence(xproj: Tensor, whh: Tensor, h0: Tensor, c0: Tensor, reverse = false): [Tensor, Tensor] {
  const [hs, cN] = apply(lstmSequenceDef, [xproj, whh, h0, c0], { reverse });
  return [hs, cN];
}

export function lstmSequenceBackward(whh: Tensor, saved: Tensor, dhs: Tensor, dcN: Tensor, reverse: boolean): [Tensor, Tensor, Tensor] {
  const [dx, dh0, dc0] = apply(lstmSequenceBackwardDef, [whh, saved, dhs, dcN], { reverse });
  return [dx, dh0, dc0];
}

/**
 * A GRU layer direction over all T steps.
 * @param xproj [T, B, 3H] input projections x·W_ihᵀ + b_ih, gate order r, z, n
 * @param whh [3H, H] W_hh; `bhh` [3H] b_hh (inside the reset gate's product, as PyTorch)
 * @returns hs [T, B, H]
 */
export function gruSequence(xproj: Tensor, whh: Tensor, h0: Tensor, bhh: Tensor | null, reverse = false): Tensor {
  return apply(gruSequenceDef, bhh ? [xproj, whh, h0, bhh] : [xproj, whh, h0], { reverse })[0];
}

export function gruSequenceBackward(whh: Tensor, saved: Tensor, hprev: Tensor, dhs: Tensor, reverse: boolean): [Tensor, Tensor, Tensor] {
  const [dx, dgh, dh0] = apply(gruSequenceBackwardDef, [whh, saved, hprev, dhs], { reverse });
  return [dx, dgh, dh0];
}
