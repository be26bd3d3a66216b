/**
 * @file WGSL for the index arithmetic most ops share, unrolled per axis with the shapes
 * and strides baked in as literals:
 *  - stridedKernel: out[i] = expr(in0[o0], in1[o1], …) where o_k = base_k + Σ_d c_d·stride_k[d]
 *    and (c_0…c_r) is i in row-major order over the output shape. Elementwise ops (broadcast
 *    strides are 0), permute (permuted strides), expand and slice (a base offset) all use it;
 *  - piecesKernels: concat and split, up to seven pieces per dispatch;
 *  - reduceKernel: one thread per output element loops over the reduced axes.
 * CPU twins: broadcast_loop.ts `broadcast2/3`, movement.ts, reduce.ts `reduceCpu`.
 */
import { stridesOf, type Shape } from "../shape.ts";
import type { BufferRef, KernelCall } from "./types.ts";
import { declare, kernel1d } from "./wgsl.ts";

export interface StridedInput {
  type: string;
  strides: readonly number[];
  base?: number;
}

/** Lines that split `i` into per-axis coordinates c0…c(r−1) of `shape` (row-major). */
export function coords(shape: Shape, index = "i", prefix = "c"): string {
  if (shape.length === 0) return "";
  const lines = [`  var rem_${prefix} = ${index};`];
  for (let d = shape.length - 1; d > 0; d--) lines.push(`  let ${prefix}${d} = rem_${prefix} % ${shape[d]}u; rem_${prefix} = rem_${prefix} / ${shape[d]}u;`);
  lines.push(`  let ${prefix}0 = rem_${prefix};`);
  return lines.join("\n");
}

/** `base + c0·s0 + …` with zero strides left out. */
export function offset(strides: readonly number[], base = 0, prefix = "c"): string {
  const terms = strides.flatMap((s, d) => (s === 0 ? [] : [s === 1 ? `${prefix}${d}` : `${prefix}${d} * ${s}u`]));
  if (base) terms.unshift(`${base}u`);
  return terms.length ? terms.join(" + ") : "0u";
}

/**
 * out0[i] = expr, with `v0`, `v1`, … the inputs read at their strided offsets; an input whose
 * strides equal the output's contiguous strides (and base 0) is read at `i` directly.
 */
export function stridedKernel(name: string, outShape: Shape, outType: string, inputs: StridedInput[], expr: string, helpers = ""): KernelCall {
  const n = outShape.reduce((a, b) => a * b, 1);
  const contiguous = stridesOf(outShape);
  const direct = (x: StridedInput) => !x.base && x.strides.every((s, d) => s === contiguous[d] || outShape[d] === 1);
  const needCoords = inputs.some((x) => !direct(x));
  const reads = inputs.map((x, k) => `  let v${k} = in${k}[${direct(x) ? "i" : offset(x.strides, x.base ?? 0)}];`);
  const decls = declare([...inputs.map((x, k) => ({ name: `in${k}`, type: x.type })), { name: "out0", type: outType, write: true }]);
  const body = [needCoords ? coords(outShape) : "", ...reads, `  out0[i] = ${expr};`].filter(Boolean).join("\n");
  const bindings: BufferRef[] = [...inputs.map((_, k) => ({ in: k })), { out: 0 }];
  return kernel1d(name, n, decls, body, bindings, helpers);
}

/** Pieces per concat or split dispatch: with the joined tensor, 8 storage buffers, WebGPU's guaranteed minimum. */
export const PIECES_PER_DISPATCH = 7;

/**
 * Concat (`"join"`: pieces → joined) or split (`"cut"`: joined → pieces) in dispatches of up
 * to PIECES_PER_DISPATCH consecutive pieces. Each thread copies one element of every piece in
 * its dispatch: it walks the shape of the group's largest piece, and a smaller piece is a
 * bounds test along `axis`. No thread chooses between pieces: branching per element costs
 * SwiftShader every branch (measured 3× slower than a dispatch per piece), while this is
 * about 2× faster than one, so an LSTM's 28 time steps take 4 dispatches instead of 28.
 * Piece k is binding `{ in: k }` (join) or `{ out: k }` (cut).
 */
export function piecesKernels(name: string, joined: Shape, axis: number, dims: readonly number[], type: string, dir: "join" | "cut"): KernelCall[] {
  const js = stridesOf(joined);
  const calls: KernelCall[] = [];
  for (let first = 0, at = 0; first < dims.length; first += PIECES_PER_DISPATCH) {
    const group = dims.slice(first, first + PIECES_PER_DISPATCH);
    const most = Math.max(...group);
    const shape = joined.map((e, i) => (i === axis ? most : e));
    const lines = group.map((d, g) => {
      const base = at * js[axis];
      at += d;
      const whole = offset(js, base);
      const pieceIdx = offset(stridesOf(joined.map((e, k) => (k === axis ? d : e))));
      const copy = dir === "join" ? `out0[${whole}] = in${g}[${pieceIdx}];` : `out${g}[${pieceIdx}] = in0[${whole}];`;
      return d === most ? `  ${copy}` : `  if (c${axis} < ${d}u) { ${copy} }`;
    });
    const pieces = group.map((_, g) => ({ name: `${dir === "join" ? "in" : "out"}${g}`, type, write: dir === "cut" }));
    const wholeDecl = { name: dir === "join" ? "out0" : "in0", type, write: dir === "join" };
    const refs: BufferRef[] = group.map((_, g) => (dir === "join" ? { in: first + g } : { out: first + g }));
    const bindings: BufferRef[] = dir === "join" ? [...refs, { out: 0 }] : [{ in: 0 }, ...refs];
    const body = `${coords(shape)}\n${lines.join("\n")}`;
    calls.push(kernel1d(name, shape.reduce((a, b) => a * b, 1), declare(dir === "join" ? [...pieces, wholeDecl] : [wholeDecl, ...pieces]), body, bindings));
  }
  return calls;
}

/**
 * One thread per output element of a reduction over `axes` of `inShape`: acc starts at
 * `init` and takes `step` (in terms of `acc` and `v`) for each reduced element.
 */
export function reduceKernel(name: string, inShape: Shape, axes: readonly number[], type: string, accType: string, init: string, step: string, helpers = ""): KernelCall {
  const st = stridesOf(inShape);
  const kept = inShape.map((_, d) => d).filter((d) => !axes.includes(d));
  const keptShape = kept.map((d) => inShape[d]);
  const redShape = axes.map((d) => inShape[d]);
  const outN = keptShape.reduce((a, b) => a * b, 1);
  const redN = redShape.reduce((a, b) => a * b, 1);
  const decls = declare([{ name: "in0", type }, { name: "out0", type, write: true }]);
  const body = `${coords(keptShape, "i", "k")}
  let base = ${offset(kept.map((d) => st[d]), 0, "k")};
  var acc: ${accType} = ${init};
  for (var r = 0u; r < ${redN}u; r++) {
${coords(redShape, "r", "q").replace(/^/gm, "  ")}
    let v = ${accType}(in0[base + ${offset(axes.map((d) => st[d]), 0, "q")}]);
    acc = ${step};
  }
  out0[i] = ${type}(acc);`;
  return kernel1d(name, outN, decls, body, [{ in: 0 }, { out: 0 }], helpers);
}
