/**
 * @file Embedding lookup and its adjoint.
 *   gather(table [V, D], idx int32 [...])       → [..., D]   out[i, :] = table[idx[i], :]
 *   scatterAdd(src [..., D], idx int32 [...], V) → [V, D]     out[idx[i], :] += src[i, :]
 * An index outside [0, V) is an IndexError on the CPU (the spec) naming the op and index.
 */
import { requireFloat } from "../dtype.ts";
import { DTypeError, IndexError, ShapeError, fmtShape } from "../errors.ts";
import { apply1 } from "../graph/ir.ts";
import type { Tensor } from "../tensor.ts";
import type { OpDef } from "./types.ts";
import { sizeOf } from "../shape.ts";
import { declare, kernel1d } from "./wgsl.ts";

function checkIndex(op: string, v: number, rows: number, at: number): void {
  if (!(v >= 0 && v < rows)) {
    throw new IndexError(`${op}: index ${v} at position ${at} is outside [0, ${rows}) (table has ${rows} rows)`);
  }
}

export const gatherDef: OpDef<Record<string, never>> = {
  name: "gather",
  infer: ([table, idx]) => {
    requireFloat("gather", "table", table.dtype);
    if (idx.dtype !== "int32") throw new DTypeError(`gather: indices have dtype ${idx.dtype}, expected int32`);
    if (table.shape.length !== 2) throw new ShapeError(`gather: table must be 2-D [rows, dim], got ${fmtShape(table.shape)}`);
    return [{ shape: [...idx.shape, table.shape[1]], dtype: table.dtype }];
  },
  cpu: ({ inputs: [table, idx], outputs: [out], inShapes: [[rows, d]] }) => {
    for (let i = 0; i < idx.length; i++) {
      checkIndex("gather", idx[i], rows, i);
      out.set(table.subarray(idx[i] * d, idx[i] * d + d), i * d);
    }
  },
  grad: ({ inputs: [table, idx], dys: [dy] }) => [scatterAdd(dy, idx, table.shape[0]), null],
  // a kernel cannot throw: an out-of-range index reads NaN, visibly wrong rather than plausible
  webgpu: ({ inShapes: [[rows, d]], outShapes: [ys] }) => {
    const decls = declare([{ name: "table", type: "f32" }, { name: "idx", type: "i32" }, { name: "y", type: "f32", write: true }]);
    const body = `  var nan_bits = 0x7fc00000u;
  let row = idx[i / ${d}u];
  if (row < 0 || row >= ${rows}) { y[i] = bitcast<f32>(nan_bits); return; }
  y[i] = table[u32(row) * ${d}u + i % ${d}u];`;
    return { calls: [kernel1d("gather", sizeOf(ys), decls, body, [{ in: 0 }, { in: 1 }, { out: 0 }])] };
  },
};

export const scatterAddDef: OpDef<{ rows: number }> = {
  name: "scatterAdd",
  infer: ([src, idx], { rows }) => {
    requireFloat("scatterAdd", "src", src.dtype);
    if (idx.dtype !== "int32") throw new DTypeError(`scatterAdd: indices have dtype ${idx.dtype}, expected int32`);
    const lead = src.shape.slice(0, -1);
    if (lead.join() !== idx.shape.join()) {
      throw new ShapeError(`scatterAdd: src ${fmtShape(src.shape)} should be indices ${fmtShape(idx.shape)} plus one trailing dim`);
    }
    return [{ shape: [rows, src.shape[src.shape.length - 1]], dtype: src.dtype }];
  },
  cpu: ({ inputs: [src, idx], outputs: [out], attrs: { rows } }) => {
    const d = out.length / rows;
    const acc = new Float64Array(out.length);
    for (let i = 0; i < idx.length; i++) {
      checkIndex("scatterAdd", idx[i], rows, i);
      for (let j = 0; j < d; j++) acc[idx[i] * d + j] += src[i * d + j];
    }
    out.set(acc);
  },
  grad: ({ inputs: [, idx], dys: [dy] }) => [gather(dy, idx), null],
  // gather form, no atomics: thread (row, j) sums src[i, j] over every i whose index is row
  webgpu: ({ inShapes: [, is], attrs: { rows }, outShapes: [[, d]] }) => {
    const n = sizeOf(is);
    const decls = declare([{ name: "src", type: "f32" }, { name: "idx", type: "i32" }, { name: "out", type: "f32", write: true }]);
    const body = `  let row = i32(i / ${d}u);
  let j = i % ${d}u;
  var s = 0.0;
  for (var k = 0u; k < ${n}u; k++) { if (idx[k] == row) { s += src[k * ${d}u + j]; } }
  out[i] = s;`;
    return { calls: [kernel1d("scatterAdd", rows * d, decls, body, [{ in: 0 }, { in: 1 }, { out: 0 }])] };
  },
};

/** Rows of `table` [V, D] picked by int32 `indices` [...] → [..., D]. */
export function gather(table: Tensor, indices: Tensor): Tensor {
  return apply1(gatherDef, [table, indices]);
}

/** Adds rows of `src` [..., D] into a zero [rows, D] table at int32 `indices` [...]. */
export function scatterAdd(src: Tensor, indices: Tensor, rows: number): Tensor {
  return apply1(scatterAddDef, [src, indices], { rows });
}
