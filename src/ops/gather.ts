/**
 * @file Embedding lookup and its adjoint.
 *   gather(table [V, D], idx int32 [...])       → [..., D]   out[i, :] = table[idx[i], :]
 *   scatterAdd(src [..., D], idx int32 [...], V) → [V, D]     out[idx[i], :] += src[i, :]
 * An index outside [0, V) is a fault (ops/fault.ts): the kernel records it in the run's status
 * and moves on (gather writes a NaN row, scatterAdd skips it); reading the step's results then
 * throws IndexError naming the op, the index and its position, on both backends.
 */
import { requireFloat } from "../dtype.ts";
import { DTypeError, ShapeError, fmtShape } from "../errors.ts";
import { apply1 } from "../graph/ir.ts";
import type { Tensor } from "../tensor.ts";
import type { FaultRule, OpDef } from "./types.ts";
import { sizeOf } from "../shape.ts";
import { shaderCall } from "./shaders.ts";
import { raiseFault } from "./fault.ts";

/** The fault both ops raise; `rows` is the table's row count. */
function indexFault(op: string, rows: (shapes: readonly (readonly number[])[], attrs: { rows?: number }) => number): FaultRule<any> {
  return {
    kind: "index",
    describe: ({ inShapes, attrs, value, position }) => {
      const n = rows(inShapes, attrs);
      return `${op}: index ${value} at position ${position} is outside [0, ${n}) (the table has ${n} rows)`;
    },
  };
}

export const gatherDef: OpDef<Record<string, never>> = {
  name: "gather",
  infer: ([table, idx]) => {
    requireFloat("gather", "table", table.dtype);
    if (idx.dtype !== "int32") throw new DTypeError(`gather: indices have dtype ${idx.dtype}, expected int32`);
    if (table.shape.length !== 2) throw new ShapeError(`gather: table must be 2-D [rows, dim], got ${fmtShape(table.shape)}`);
    return [{ shape: [...idx.shape, table.shape[1]], dtype: table.dtype }];
  },
  cpu: ({ inputs: [table, idx], outputs: [out], inShapes: [[rows, d]], status, site }) => {
    for (let i = 0; i < idx.length; i++) {
      if (idx[i] >= 0 && idx[i] < rows) out.set(table.subarray(idx[i] * d, idx[i] * d + d), i * d);
      else {
        raiseFault(status, site, idx[i], i);
        out.fill(NaN, i * d, i * d + d);
      }
    }
  },
  grad: ({ inputs: [table, idx], dys: [dy] }) => [scatterAdd(dy, idx, table.shape[0]), null],
  // shaders/gather.wgsl: an out-of-range index faults (its row's first thread) and reads NaN
  webgpu: ({ inShapes: [[rows, d]], outShapes: [ys] }) => ({
    calls: [shaderCall("gather", "gather", [{ in: 0 }, { in: 1 }, { out: 0 }, { status: true }], { N: sizeOf(ys), ROWS: rows, D: d }, { threads: sizeOf(ys) })],
  }),
  fault: indexFault("gather", ([[rows]]) => rows),
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
  cpu: ({ inputs: [src, idx], outputs: [out], attrs: { rows }, status, site }) => {
    const d = out.length / rows;
    const acc = new Float64Array(out.length);
    for (let i = 0; i < idx.length; i++) {
      if (!(idx[i] >= 0 && idx[i] < rows)) {
        raiseFault(status, site, idx[i], i);
        continue;
      }
      for (let j = 0; j < d; j++) acc[idx[i] * d + j] += src[i * d + j];
    }
    out.set(acc);
  },
  grad: ({ inputs: [, idx], dys: [dy] }) => [gather(dy, idx), null],
  // shaders/scatter_add.wgsl: gather form, no atomics; thread 0 reports a bad index
  webgpu: ({ inShapes: [, is], attrs: { rows }, outShapes: [[, d]] }) => ({
    calls: [shaderCall("scatterAdd", "scatter_add", [{ in: 0 }, { in: 1 }, { out: 0 }, { status: true }], { N: rows * d, ROWS: rows, D: d, COUNT: sizeOf(is) }, { threads: rows * d })],
  }),
  fault: indexFault("scatterAdd", (_s, a) => a.rows!),
};

/** Rows of `table` [V, D] picked by int32 `indices` [...] → [..., D]. */
export function gather(table: Tensor, indices: Tensor): Tensor {
  return apply1(gatherDef, [table, indices]);
}

/** Adds rows of `src` [..., D] into a zero [rows, D] table at int32 `indices` [...]. */
export function scatterAdd(src: Tensor, indices: Tensor, rows: number): Tensor {
  return apply1(scatterAddDef, [src, indices], { rows });
}
