/**
 * @file Movement ops: reshape, permute, slice, pad, concat, split; flatten, transpose, squeeze
 * and unsqueeze are compositions. Each is a strided copy on the CPU; each gradient is the
 * adjoint movement (permute ↔ inverse permute, slice ↔ pad, concat ↔ split). `expand`, whose
 * adjoint is a sum, lives with `sum` in ops/sum.ts. The bottom of the op layers: no other op
 * family is imported here.
 */
import { ShapeError, fmtShape } from "../errors.ts";
import { broadcastShapes, broadcastStrides, checkDims, normAxis, sameShape, sizeOf, stridesOf } from "../shape.ts";
import type { DType, TypedArray } from "../dtype.ts";
import { apply, apply1 } from "../graph/ir.ts";
import type { Tensor } from "../tensor.ts";
import type { KernelPlan, OpDef } from "./types.ts";
import { piecesKernels, stridedCall } from "./strided_kernels.ts";
import { wgslType } from "./wgsl.ts";
import { f32Bits } from "./fault.ts";
import { shaderCall } from "./shaders.ts";
import { walk } from "./broadcast_loop.ts";

export const reshapeDef: OpDef<{ shape: number[] }> = {
  name: "reshape",
  infer: ([x], { shape }) => [{ shape, dtype: x.dtype }],
  cpu: ({ inputs: [x], outputs: [y] }) => y.set(x),
  grad: ({ inputs: [x], dys: [dy] }) => [reshape(dy, x.shape)],
  webgpu: (g) => copyKernel("reshape", g.outShapes[0], g.inDtypes[0], stridesOf(g.outShapes[0])),
};

export const permuteDef: OpDef<{ perm: number[] }> = {
  name: "permute",
  infer: ([x], { perm }) => [{ shape: perm.map((p) => x.shape[p]), dtype: x.dtype }],
  // y[i0..in] = x[i_perm⁻¹…]: walk y in order, reading x with its strides permuted
  cpu: ({ inputs: [x], outputs: [y], inShapes: [xs], outShapes: [ys], attrs: { perm } }) => {
    const xst = stridesOf(xs);
    stridedCopy(x, perm.map((p) => xst[p]), 0, y, ys);
  },
  grad: ({ dys: [dy], attrs: { perm } }) => {
    const inv = new Array<number>(perm.length);
    perm.forEach((p, i) => (inv[p] = i));
    return [permute(dy, inv)];
  },
  webgpu: ({ inShapes: [xs], outShapes: [ys], inDtypes: [dt], attrs: { perm } }) => {
    const xst = stridesOf(xs);
    return copyKernel("permute", ys, dt, perm.map((p) => xst[p]));
  },
};

/** begin/end per axis (full rank, already clamped), step 1. */
export interface SliceAttrs {
  begin: number[];
  end: number[];
}

export const sliceDef: OpDef<SliceAttrs> = {
  name: "slice",
  infer: ([x], { begin, end }) => [{ shape: begin.map((b, i) => end[i] - b), dtype: x.dtype }],
  cpu: ({ inputs: [x], outputs: [y], inShapes: [xs], outShapes: [ys], attrs: { begin } }) => {
    const xst = stridesOf(xs);
    stridedCopy(x, xst, begin.reduce((a, b, i) => a + b * xst[i], 0), y, ys);
  },
  // the adjoint of taking a window is zero-padding back to the full shape
  grad: ({ inputs: [x], dys: [dy], attrs: { begin, end } }) => [pad(dy, begin.map((b, i) => [b, x.shape[i] - end[i]]))],
  webgpu: ({ inShapes: [xs], outShapes: [ys], inDtypes: [dt], attrs: { begin } }) => {
    const xst = stridesOf(xs);
    return copyKernel("slice", ys, dt, xst, begin.reduce((a, b, i) => a + b * xst[i], 0));
  },
};

export const padDef: OpDef<{ pads: [number, number][]; value: number }> = {
  name: "pad",
  infer: ([x], { pads }) => [{ shape: x.shape.map((d, i) => d + pads[i][0] + pads[i][1]), dtype: x.dtype }],
  cpu: ({ inputs: [x], outputs: [y], inShapes: [xs], outShapes: [ys], attrs: { pads, value } }) => {
    y.fill(value);
    const yst = stridesOf(ys);
    stridedWriteCpu(x, xs, y, yst, pads.reduce((a, p, i) => a + p[0] * yst[i], 0));
  },
  grad: ({ inputs: [x], dys: [dy], attrs: { pads } }) => [sliceRange(dy, pads.map((p) => p[0]), pads.map((p, i) => p[0] + x.shape[i]))],
  // each output element reads its input element, or `value` where it falls in the padding
  webgpu: ({ inShapes: [xs], outShapes: [ys], inDtypes: [dt], attrs: { pads, value } }) => {
    const t = wgslType(dt, "pad");
    const xst = stridesOf(xs);
    // the fill as bits: ±Infinity and NaN have no WGSL literal
    const bits = t === "f32" ? f32Bits(value) : t === "i32" ? value >>> 0 : value ? 1 : 0;
    const r = xs.length;
    const constants: Record<string, number> = { N: sizeOf(ys), FILL: bits, PBF: pads[0]?.[0] ?? 0, XZF: xs[0] ?? 1, XSF: xst[0] ?? 0 };
    for (let k = 0; k < r - 1; k++) {
      const d = r - 1 - k; // axes from the last (shaders/pad.wgsl)
      Object.assign(constants, { [`OZ${k}`]: ys[d], [`PB${k}`]: pads[d][0], [`XZ${k}`]: xs[d], [`XS${k}`]: xst[d] });
    }
    return { calls: [shaderCall("pad", "pad", [{ in: 0 }, { out: 0 }], constants, { threads: sizeOf(ys) }, { tokens: { T: t }, each: { K: Math.max(0, r - 1) } })] };
  },
};

export const concatDef: OpDef<{ axis: number }> = {
  name: "concat",
  infer: (xs, { axis }) => {
    const first = xs[0];
    for (const x of xs) {
      if (x.dtype !== first.dtype) throw new ShapeError(`concat: dtypes differ (${first.dtype} and ${x.dtype})`);
      if (x.shape.length !== first.shape.length || x.shape.some((d, i) => i !== axis && d !== first.shape[i])) {
        throw new ShapeError(`concat: ${fmtShape(x.shape)} does not match ${fmtShape(first.shape)} outside axis ${axis}`);
      }
    }
    const shape = [...first.shape];
    shape[axis] = xs.reduce((a, x) => a + x.shape[axis], 0);
    return [{ shape, dtype: first.dtype }];
  },
  cpu: ({ inputs, outputs: [y], inShapes, outShapes: [ys], attrs: { axis } }) => {
    const yst = stridesOf(ys);
    let at = 0;
    inputs.forEach((x, k) => {
      stridedWriteCpu(x, inShapes[k], y, yst, at * yst[axis]);
      at += inShapes[k][axis];
    });
  },
  grad: ({ inputs, dys: [dy], attrs: { axis } }) => split(dy, inputs.map((x) => x.shape[axis]), axis),
  webgpu: ({ inShapes, outShapes: [ys], inDtypes: [dt], attrs: { axis } }) => ({
    calls: piecesKernels("concat", ys, axis, inShapes.map((xs) => xs[axis]), wgslType(dt, "concat"), "join"),
  }),
};

/**
 * Cuts x along `axis` into consecutive pieces of the given sizes: the adjoint of concat.
 * One multi-output op rather than one slice per piece, so the gradient is a single concat;
 * T slices would each pad their cotangent back to the full shape and sum T full tensors.
 */
export const splitDef: OpDef<{ axis: number; sizes: number[] }> = {
  name: "split",
  infer: ([x], { axis, sizes }) => {
    const total = sizes.reduce((a, b) => a + b, 0);
    if (total !== x.shape[axis]) {
      throw new ShapeError(`split: sizes [${sizes.join(",")}] add up to ${total}, but axis ${axis} of ${fmtShape(x.shape)} has ${x.shape[axis]}`);
    }
    return sizes.map((d) => ({ shape: x.shape.map((e, i) => (i === axis ? d : e)), dtype: x.dtype }));
  },
  cpu: ({ inputs: [x], outputs, inShapes: [xs], outShapes, attrs: { axis } }) => {
    const xst = stridesOf(xs);
    let at = 0;
    outputs.forEach((y, k) => {
      stridedCopy(x, xst, at * xst[axis], y, outShapes[k]);
      at += outShapes[k][axis];
    });
  },
  grad: ({ dys, attrs: { axis } }) => [concat(dys, axis)],
  webgpu: ({ inShapes: [xs], outShapes, inDtypes: [dt], attrs: { axis } }) => ({
    calls: piecesKernels("split", xs, axis, outShapes.map((ys) => ys[axis]), wgslType(dt, "split"), "cut"),
  }),
};

/**
 * CPU twin of `copyKernel`: y[i] = x[base + Σ c_d·strides[d]] over y's shape `ys`, c the
 * coordinates of i. Permute, expand, slice and split differ only in strides and base.
 */
export function stridedCopy(x: ArrayLike<number>, strides: number[], base: number, y: TypedArray, ys: readonly number[]): void {
  walk(ys, [strides], (o, off, st, len) => {
    for (let j = 0, i = base + off[0]; j < len; j++, i += st[0]) y[o + j] = x[i];
  });
}

/** y[base + Σ c_d·strides[d]] = x[i] over x's shape `xs`: pad, and concat's pieces (`piecesKernels` on the GPU). */
function stridedWriteCpu(x: ArrayLike<number>, xs: readonly number[], y: TypedArray, strides: number[], base: number): void {
  walk(xs, [strides], (i0, off, st, len) => {
    for (let j = 0, o = base + off[0]; j < len; j++, o += st[0]) y[o] = x[i0 + j];
  });
}

/** out[i] = in[base + Σ c_d·strides[d]] over the output shape: every pure movement op. */
export function copyKernel(name: string, outShape: readonly number[], dtype: DType, strides: readonly number[], base = 0): KernelPlan {
  const t = wgslType(dtype, name);
  return { calls: [stridedCall(name, "strided_map1", outShape, [{ type: t, strides, base }], { T0: t, TOUT: t, OP: "x" })] };
}

// ---- builders ------------------------------------------------------------------------------
/** New shape with the same elements; one entry may be -1 (inferred). */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const known = shape.filter((d) => d !== -1);
  const free = shape.length - known.length;
  const full = [...shape];
  if (free === 1) {
    const rest = sizeOf(known);
    if (rest === 0 || x.size % rest !== 0) throw new ShapeError(`reshape: cannot infer -1 reshaping ${x.describe()} to ${fmtShape(shape)}`);
    full[full.indexOf(-1)] = x.size / rest;
  }
  if (free > 1) throw new ShapeError(`reshape: more than one -1 in ${fmtShape(shape)}`);
  checkDims("reshape", "target shape", full);
  if (sizeOf(full) !== x.size) {
    throw new ShapeError(`reshape: ${x.describe()} has ${x.size} elements, target ${fmtShape(full)} has ${sizeOf(full)}`);
  }
  return sameShape(full, x.shape) ? x : apply1(reshapeDef, [x], { shape: full });
}

/** Reorders axes: output axis i is input axis perm[i]. */
export function permute(x: Tensor, perm: readonly number[]): Tensor {
  const p = perm.map((a) => normAxis("permute", a, x.rank));
  if (p.length !== x.rank || new Set(p).size !== p.length) {
    throw new ShapeError(`permute: [${perm.join(",")}] is not a permutation of the ${x.rank} axes of ${x.describe()}`);
  }
  return p.every((a, i) => a === i) ? x : apply1(permuteDef, [x], { perm: p });
}

/** Swaps two axes (default: the last two). */
export function transpose(x: Tensor, a = -2, b = -1): Tensor {
  const perm = [...x.shape.keys()];
  const i = normAxis("transpose", a, x.rank);
  const j = normAxis("transpose", b, x.rank);
  [perm[i], perm[j]] = [perm[j], perm[i]];
  return permute(x, perm);
}

/** Window [begin, end) per axis with full-rank bounds, already valid. */
function sliceRange(x: Tensor, begin: number[], end: number[]): Tensor {
  return begin.every((b, i) => b === 0 && end[i] === x.shape[i]) ? x : apply1(sliceDef, [x], { begin, end });
}

/**
 * Takes `[start, end)` along the given axes (step 1). Negative bounds count from the end,
 * bounds past the ends are clamped (as Python slicing).
 * @example slice(x, { 1: [0, 3] }) // x[:, 0:3]
 */
export function slice(x: Tensor, ranges: Record<number, [number, number?]>): Tensor {
  const begin = x.shape.map(() => 0);
  const end = [...x.shape];
  for (const [k, [s, e]] of Object.entries(ranges)) {
    const a = normAxis("slice", Number(k), x.rank);
    const d = x.shape[a];
    const clamp = (v: number) => Math.min(d, Math.max(0, v < 0 ? v + d : v));
    begin[a] = clamp(s);
    end[a] = Math.max(begin[a], clamp(e ?? d));
  }
  return sliceRange(x, begin, end);
}

/** Pads each axis with [before, after] elements of `value` (default 0). */
export function pad(x: Tensor, pads: readonly (readonly [number, number])[], value = 0): Tensor {
  if (pads.length !== x.rank || pads.some(([a, b]) => !(Number.isInteger(a) && Number.isInteger(b) && a >= 0 && b >= 0))) {
    throw new ShapeError(`pad: need one [before, after] pair of non-negative integers per axis of ${x.describe()}, got ${JSON.stringify(pads)}`);
  }
  if (pads.every(([a, b]) => a === 0 && b === 0)) return x;
  return apply1(padDef, [x], { pads: pads.map(([a, b]) => [a, b]), value });
}

/** Joins tensors along `axis`. */
export function concat(xs: readonly Tensor[], axis = 0): Tensor {
  if (xs.length === 0) throw new ShapeError("concat: needs at least one tensor");
  const a = normAxis("concat", axis, xs[0].rank);
  return xs.length === 1 ? xs[0] : apply(concatDef, [...xs], { axis: a })[0];
}

/**
 * Cuts x along `axis` into pieces: `sizes` a number gives pieces of that size (the last may
 * be shorter, as torch.split), an array gives each piece's size.
 * @example split(x, [2, 3], 1) // x[:, 0:2] and x[:, 2:5]
 */
export function split(x: Tensor, sizes: number | readonly number[], axis = 0): Tensor[] {
  const a = normAxis("split", axis, x.rank);
  const d = x.shape[a];
  let list: number[];
  if (typeof sizes === "number") {
    if (!(Number.isInteger(sizes) && sizes > 0)) throw new ShapeError(`split: piece size must be a positive integer, got ${sizes}`);
    list = Array.from({ length: Math.ceil(d / sizes) }, (_, i) => Math.min(sizes, d - i * sizes));
  } else {
    list = [...sizes];
    if (list.some((n) => !(Number.isInteger(n) && n >= 0))) throw new ShapeError(`split: sizes must be non-negative integers, got [${list.join(",")}]`);
  }
  if (list.length === 1 && list[0] === d) return [x];
  return apply(splitDef, [x], { axis: a, sizes: list });
}

/** The size-1 slices of x along `axis`, with that axis removed (torch.unbind). */
export function unbind(x: Tensor, axis = 0): Tensor[] {
  const a = normAxis("unbind", axis, x.rank);
  return split(x, 1, a).map((t) => squeeze(t, a));
}

/** Merges axes startDim…endDim into one. */
export function flatten(x: Tensor, startDim = 0, endDim = -1): Tensor {
  if (x.rank === 0) return reshape(x, [1]);
  const s = normAxis("flatten", startDim, x.rank);
  const e = normAxis("flatten", endDim, x.rank);
  return reshape(x, [...x.shape.slice(0, s), sizeOf(x.shape.slice(s, e + 1)), ...x.shape.slice(e + 1)]);
}

/** Inserts a size-1 axis at `axis`. */
export function unsqueeze(x: Tensor, axis: number): Tensor {
  const a = normAxis("unsqueeze", axis, x.rank + 1);
  return reshape(x, [...x.shape.slice(0, a), 1, ...x.shape.slice(a)]);
}

/** Removes size-1 axes (all of them, or the one named). */
export function squeeze(x: Tensor, axis?: number): Tensor {
  if (axis === undefined) return reshape(x, x.shape.filter((d) => d !== 1));
  const a = normAxis("squeeze", axis, x.rank);
  if (x.shape[a] !== 1) throw new ShapeError(`squeeze: axis ${axis} of ${x.describe()} has size ${x.shape[a]}, not 1`);
  return reshape(x, x.shape.filter((_, i) => i !== a));
}
