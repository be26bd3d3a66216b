/**
 * @file The index arithmetic most ops share:
 *  - stridedCall (shaders/strided_*.wgsl): out[i] = op(in0[o0], in1[o1], …) where
 *    o_k = base_k + Σ_d c_d·stride_k[d] and (c_0…c_r) is i in row-major order over the output
 *    shape, up to six axes, as override constants. Elementwise ops (broadcast strides are 0),
 *    permute (permuted strides), expand and slice (a base offset) all use it;
 *  - reduceKernel (shaders/reduce.wgsl): one thread per output element loops over the reduced axes;
 *  - piecesKernels (shaders/concat.wgsl, split.wgsl): up to seven pieces per dispatch.
 * CPU twins: broadcast_loop.ts `broadcast2/3`, movement.ts, reduce.ts `reduceCpu`.
 */
import { stridesOf, type Shape } from "../shape.ts";
import type { BufferRef, DeviceCaps, KernelCall } from "./types.ts";
import { shaderCall } from "./shaders.ts";
import { DeviceError } from "../errors.ts";

export interface StridedInput {
  type: string;
  strides: readonly number[];
  base?: number;
}

/** Axes the strided shaders take (lib/strided.wgsl, reduce.wgsl). */
const MAX_RANK = 6;

/**
 * A dispatch of a strided shader (shaders/strided_map1.wgsl, strided_map2.wgsl,
 * strided_where.wgsl): one thread per element of `outShape`, input k read at
 * base_k + Σ_d c_d·strides_k[d] — or at i directly when its strides are the output's own.
 */
export function stridedCall(name: string, shader: "strided_map1" | "strided_map2" | "strided_where", outShape: Shape, inputs: StridedInput[], tokens: Record<string, string>): KernelCall {
  const n = outShape.reduce((a, b) => a * b, 1);
  const r = outShape.length;
  if (r > MAX_RANK) throw new DeviceError(`${name}: the output has ${r} axes; the WebGPU kernels take at most ${MAX_RANK} (reshape some together)`);
  const contiguous = stridesOf(outShape);
  // axes numbered from the last (lib/strided.wgsl): k = 0 is the last axis; the first is apart
  const fromEnd = Array.from({ length: Math.max(0, r - 1) }, (_, k) => r - 1 - k);
  const constants: Record<string, number> = { N: n };
  fromEnd.forEach((d, k) => (constants[`SZ${k}`] = outShape[d]));
  inputs.forEach((x, j) => {
    const direct = !x.base && x.strides.every((st, d) => st === contiguous[d] || outShape[d] === 1);
    constants[`ID${j}`] = direct ? 1 : 0;
    if (direct) return;
    constants[`IB${j}`] = x.base ?? 0;
    constants[`ST${j}F`] = r > 0 ? x.strides[0] : 0;
    fromEnd.forEach((d, k) => (constants[`ST${j}x${k}`] = x.strides[d]));
  });
  const bindings: BufferRef[] = [...inputs.map((_, k) => ({ in: k })), { out: 0 }];
  return shaderCall(name, shader, bindings, constants, { threads: n }, { tokens, each: { K: fromEnd.length } });
}

/** Pieces per concat or split dispatch: with the joined tensor, 8 storage buffers, WebGPU's guaranteed minimum. */
export const PIECES_PER_DISPATCH = 7;

/**
 * Concat (`"join"`: pieces → joined) or split (`"cut"`: joined → pieces) in dispatches of up
 * to PIECES_PER_DISPATCH consecutive pieces (shaders/concat.wgsl, split.wgsl). Each thread
 * copies one element of every piece in its dispatch: it walks the shape of the group's largest
 * piece, and a smaller piece is a bounds test along `axis`. No thread chooses between pieces:
 * branching per element costs SwiftShader every branch (measured 3× slower than a dispatch per
 * piece), while this is about 2× faster than one, so an LSTM's 28 time steps take 4 dispatches
 * instead of 28. Piece k is binding `{ in: k }` (join) or `{ out: k }` (cut).
 */
export function piecesKernels(name: string, joined: Shape, axis: number, dims: readonly number[], type: string, dir: "join" | "cut"): KernelCall[] {
  const outer = joined.slice(0, axis).reduce((a, b) => a * b, 1);
  const inner = joined.slice(axis + 1).reduce((a, b) => a * b, 1);
  const calls: KernelCall[] = [];
  for (let first = 0, at = 0; first < dims.length; first += PIECES_PER_DISPATCH) {
    const group = dims.slice(first, first + PIECES_PER_DISPATCH);
    const most = Math.max(...group);
    const constants: Record<string, number> = { N: outer * most * inner, MOST: most, INNER: inner, JA: joined[axis] };
    group.forEach((d, g) => {
      constants[`D${g}`] = d;
      constants[`S${g}`] = at;
      at += d;
    });
    const refs: BufferRef[] = group.map((_, g) => (dir === "join" ? { in: first + g } : { out: first + g }));
    const bindings: BufferRef[] = [...refs, dir === "join" ? { out: 0 } : { in: 0 }];
    const variant = { tokens: { T: type, NG: group.length }, each: { G: group.length } };
    calls.push(shaderCall(name, dir === "join" ? "concat" : "split", bindings, constants, { threads: outer * most * inner }, variant));
  }
  return calls;
}

/**
 * A reduction over `axes` of `inShape`: acc starts at `init` and takes `step` (in terms of `acc`
 * and `v`) for each reduced element. One thread per output (shaders/reduce.wgsl), or, on a
 * GPU (the tiled kernel family) for few outputs over long reductions (`treeReduction`), one
 * workgroup per output with a tree in workgroup memory (shaders/reduce_tree.wgsl).
 */
export function reduceKernel(name: string, inShape: Shape, axes: readonly number[], type: string, init: string, step: string, device: DeviceCaps): KernelCall {
  const st = stridesOf(inShape);
  const kept = inShape.map((_, d) => d).filter((d) => !axes.includes(d));
  const outN = kept.reduce((a, d) => a * inShape[d], 1);
  const constants: Record<string, number> = { N: outN, RN: axes.reduce((a, d) => a * inShape[d], 1) };
  // each group's axes from the last (shaders/reduce.wgsl), the first one apart
  const place = (dims: readonly number[], size: string, stride: string): number => {
    if (dims.length > MAX_RANK) throw new DeviceError(`${name}: ${dims.length} axes; the WebGPU kernels take at most ${MAX_RANK}`);
    if (dims.length > 0) constants[`${stride}F`] = st[dims[0]];
    const rest = dims.slice(1).reverse();
    rest.forEach((d, k) => {
      constants[`${size}${k}`] = inShape[d];
      constants[`${stride}${k}`] = st[d];
    });
    return rest.length;
  };
  const each = { A: place(kept, "KZ", "KS"), B: place(axes, "RZ", "RS") };
  const variant = { tokens: { T: type, INIT: init, STEP: step }, each };
  if (device.matmul === "tiled" && treeReduction(outN, constants.RN)) {
    return shaderCall(`${name}/tree`, "reduce_tree", [{ in: 0 }, { out: 0 }], constants, { workgroups: [outN, 1, 1] }, variant);
  }
  return shaderCall(name, "reduce", [{ in: 0 }, { out: 0 }], constants, { threads: outN }, variant);
}

/**
 * A workgroup per output pays when each output sums many elements and there are few outputs
 * to spread over threads (LeNet-5's conv bias gradients: 6 outputs of 50 176; a loss's mean),
 * not for many short ones (a linear layer's bias gradient: 120 outputs of 64). At most 4096
 * outputs: one workgroup each fits the grid's first dimension on every adapter.
 */
export function treeReduction(outputs: number, reduced: number): boolean {
  return reduced >= 512 && outputs <= 4096;
}
