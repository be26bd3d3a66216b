/**
 * @file Embedding lookup and its adjoint.
 *   gather(table [V, D], idx int32 [...])       → [..., D]   out[i, :] = table[idx[i], :]
 *   scatterAdd(src [..., D], idx int32 [...], V) → [V, D]     out[idx[i], :] += src[i, :]
 *   gatherBytes(table int32 [V, ⌈D/4⌉], idx) → float32 [..., D]   a byte table's rows, decoded
 *     (y = byte·scale + shift): a u8 training set on the device, a batch gathered by index.
 * gather also takes an int32 table (labels on the device). An index outside [0, V) is a fault
 * (ops/fault.ts): the kernel records it in the run's status and moves on (gather writes a NaN
 * row, or 0 in an int32 table; scatterAdd skips it); reading the step's results then throws
 * IndexError naming the op, the index and its position, on both backends.
 */
import { requireFloat, type TypedArray } from "../dtype.ts";
import { DTypeError, ShapeError, fmtShape } from "../errors.ts";
import { apply1 } from "../graph/ir.ts";
import type { Tensor } from "../tensor.ts";
import type { FaultRule, OpDef } from "./types.ts";
import { sizeOf } from "../shape.ts";
import { shaderCall } from "./shaders.ts";
import { raiseFault } from "./fault.ts";
import { wgslType } from "./wgsl.ts";

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

/**
 * The CPU loop of both gathers: output row i from table row idx[i] (`copy`), or, for an index
 * outside [0, rows), a fault and a NaN row (0 in an int32 output).
 */
function gatherRows(idx: ArrayLike<number>, rows: number, d: number, out: TypedArray, status: Uint32Array, site: number, copy: (i: number, row: number) => void): void {
  for (let i = 0; i < idx.length; i++) {
    if (idx[i] >= 0 && idx[i] < rows) copy(i, idx[i]);
    else {
      raiseFault(status, site, idx[i], i);
      out.fill(NaN, i * d, i * d + d);
    }
  }
}

export const gatherDef: OpDef<Record<string, never>> = {
  name: "gather",
  infer: ([table, idx]) => {
    if (table.dtype !== "int32") requireFloat("gather", "table", table.dtype);
    if (idx.dtype !== "int32") throw new DTypeError(`gather: indices have dtype ${idx.dtype}, expected int32`);
    if (table.shape.length !== 2) throw new ShapeError(`gather: table must be 2-D [rows, dim], got ${fmtShape(table.shape)}`);
    return [{ shape: [...idx.shape, table.shape[1]], dtype: table.dtype }];
  },
  cpu: ({ inputs: [table, idx], outputs: [out], inShapes: [[rows, d]], status, site }) =>
    gatherRows(idx, rows, d, out, status, site, (i, row) => out.set(table.subarray(row * d, row * d + d), i * d)),
  grad: ({ inputs: [table, idx], dys: [dy] }) => [scatterAdd(dy, idx, table.shape[0]), null],
  // shaders/gather.wgsl: an out-of-range index faults (its row's first thread) and reads NaN
  webgpu: ({ inShapes: [[rows, d]], outShapes: [ys], inDtypes: [dt] }) => {
    const ints = dt === "int32";
    const tokens = { T: wgslType(dt, "gather"), BAD: ints ? "0" : "bitcast<f32>(nan_bits)" };
    return { calls: [shaderCall("gather", "gather", [{ in: 0 }, { in: 1 }, { out: 0 }, { status: true }], { N: sizeOf(ys), ROWS: rows, D: d }, { threads: sizeOf(ys) }, { tokens })] };
  },
  fault: indexFault("gather", ([[rows]]) => rows),
};

export interface GatherBytesAttrs {
  /** Bytes per row (D); the table has ⌈D/4⌉ int32 words a row. */
  bytes: number;
  scale: number;
  shift: number;
}

export const gatherBytesDef: OpDef<GatherBytesAttrs> = {
  name: "gatherBytes",
  infer: ([table, idx], { bytes }) => {
    if (table.dtype !== "int32") throw new DTypeError(`gatherBytes: the table has dtype ${table.dtype}, expected int32 words (4 bytes each)`);
    if (idx.dtype !== "int32") throw new DTypeError(`gatherBytes: indices have dtype ${idx.dtype}, expected int32`);
    if (table.shape.length !== 2 || table.shape[1] !== Math.ceil(bytes / 4)) {
      throw new ShapeError(`gatherBytes: a table of ${bytes} bytes a row must be [rows, ${Math.ceil(bytes / 4)}] words, got ${fmtShape(table.shape)}`);
    }
    return [{ shape: [...idx.shape, bytes], dtype: "float32" }];
  },
  cpu: ({ inputs: [table, idx], outputs: [out], inShapes: [[rows, w]], attrs: { bytes: d, scale, shift }, status, site }) =>
    gatherRows(idx, rows, d, out, status, site, (i, row) => {
      for (let k = 0; k < d; k++) out[i * d + k] = ((table[row * w + (k >> 2)] >>> (8 * (k & 3))) & 255) * scale + shift;
    }),
  // shaders/gather_bytes.wgsl; the table holds integers: nothing to differentiate
  webgpu: ({ inShapes: [[rows, w]], outShapes: [ys], attrs: { bytes, scale, shift } }) => ({
    calls: [shaderCall("gatherBytes", "gather_bytes", [{ in: 0 }, { in: 1 }, { out: 0 }, { status: true }], { N: sizeOf(ys), ROWS: rows, D: bytes, W: w, SCALE: scale, SHIFT: shift }, { threads: sizeOf(ys) }, { tokens: { BAD: "bitcast<f32>(nan_bits)" } })],
  }),
  fault: indexFault("gatherBytes", ([[rows]]) => rows),
};

/** Rows of a packed byte table (int32 words [V, ⌈D/4⌉]) picked by `indices`, as byte·scale + shift → float32 [..., D]. */
export function gatherBytes(table: Tensor, indices: Tensor, attrs: GatherBytesAttrs): Tensor {
  return apply1(gatherBytesDef, [table, indices], attrs);
}

/** Packs N rows of D bytes into int32 words [N, ⌈D/4⌉] (little-endian), for gatherBytes. */
export function packBytes(bytes: Uint8Array, rows: number): Int32Array {
  const d = bytes.length / rows;
  const w = Math.ceil(d / 4);
  const padded = new Uint8Array(rows * w * 4);
  for (let r = 0; r < rows; r++) padded.set(bytes.subarray(r * d, r * d + d), r * w * 4);
  return new Int32Array(padded.buffer);
}

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
  // shaders/scatter_add.wgsl zeroes the table and links equal indices (thread 0 reports a bad
  // one); scatter_add_sum.wgsl sums each row's links in index order: O(n² + ROWS·D + n·D)
  webgpu: ({ inShapes: [, is], attrs: { rows }, outShapes: [[, d]] }) => {
    const n = sizeOf(is);
    const constants = { ROWS: rows, D: d, COUNT: n };
    return {
      scratch: [Math.max(1, n) * 4],
      calls: [
        shaderCall("scatterAdd/links", "scatter_add", [{ in: 1 }, { out: 0 }, { scratch: 0 }, { status: true }], { ...constants, N: Math.max(n, rows * d) }, { threads: Math.max(n, rows * d) }),
        shaderCall("scatterAdd/sum", "scatter_add_sum", [{ in: 0 }, { in: 1 }, { out: 0 }, { scratch: 0 }], { ...constants, N: n * d }, { threads: n * d }),
      ],
    };
  },
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
