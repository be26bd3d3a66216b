/**
 * @file Sparse optimizer updates: the step for a parameter whose gradient is gather's adjoint,
 * scatterAdd(rows, idx) (an embedding table), applied to the rows the batch used and to no
 * other, in place.
 *   sparseSgdUpdate(p [V, D], idx int32 [n], rows [n, D], hyper = [lr, ok]) → p'
 *     p'[r] = p[r] − lr·Σ_{k : idx[k] = r} rows[k]   (rows summed in index order)
 *   sparseAdamUpdate(p, m, v [V, D], idx, rows, hyper = [lr, stepSize, vScale, ok]) → [p', m', v']
 *     Adam's update (ops/optimizer_updates.ts, without weight decay) on the used rows only:
 *     "lazy" Adam, the moments of unused rows are not decayed.
 * For the rows they touch both compute exactly what sgdUpdate / adamUpdate compute on the dense
 * gradient (the same sums, the same order, the same arithmetic; tests compare them bit for
 * bit), and a row the batch did not use is not read or written: the work is O(n·D) where the
 * dense step's is O(V·D) several times over (zero the gradient table, scatter into it, update
 * every element of p, m and v).
 *
 * In place: each output may share its input's buffer (`OpDef.inPlace`). A compiled step gives
 * an assigned weight's own buffer back to its update (graph/compile.ts), so after the first
 * step the table is never copied; where the output has a buffer of its own (the first run, an
 * eager step), the backend copies the input into it before the kernel. Either way the kernel
 * reads and writes the output only.
 *
 * The guard's ok = 0 (a non-finite loss or gradient, a fault) or a new value that would not be
 * finite leaves every element as it was, as the dense updates do. Not differentiated.
 */
import { requireFloat, type TypedArray } from "../dtype.ts";
import { DTypeError, ShapeError, fmtShape } from "../errors.ts";
import { apply } from "../graph/ir.ts";
import type { Tensor } from "../tensor.ts";
import { sizeOf } from "../shape.ts";
import type { BufferRef, FaultRule, KernelCall, OpDef, ValueInfo } from "./types.ts";
import { shaderCall } from "./shaders.ts";
import { raiseFault } from "./fault.ts";
import type { AdamAttrs } from "./optimizer_updates.ts";

/** The fault both raise: an index outside the table. */
const indexFault = (op: string): FaultRule<unknown> => ({
  kind: "index",
  describe: ({ inShapes: [[rows]], value, position }) => `${op}: index ${value} at position ${position} is outside [0, ${rows}) (the table has ${rows} rows)`,
});

/** Checks [tables…, idx, rows, hyper]: `tables` [V, D] alike, idx int32 [n], rows [n, D]. */
function checkSparse(op: string, ins: ValueInfo[], tables: number, hyper: number): void {
  if (ins.length !== tables + 3) throw new ShapeError(`${op}: expected ${tables + 3} inputs, got ${ins.length}`);
  const p = ins[0];
  requireFloat(op, "parameter", p.dtype);
  if (p.shape.length !== 2) throw new ShapeError(`${op}: the parameter must be a 2-D table [rows, dim], got ${fmtShape(p.shape)}`);
  ins.slice(1, tables).forEach((t) => {
    if (t.shape.join() !== p.shape.join() || t.dtype !== p.dtype) throw new ShapeError(`${op}: state ${t.dtype}${fmtShape(t.shape)} does not match the parameter ${p.dtype}${fmtShape(p.shape)}`);
  });
  const [idx, rows, h] = ins.slice(tables);
  if (idx.dtype !== "int32" || idx.shape.length !== 1) throw new DTypeError(`${op}: indices must be int32 [n], got ${idx.dtype}${fmtShape(idx.shape)}`);
  if (rows.dtype !== p.dtype || rows.shape.join() !== [idx.shape[0], p.shape[1]].join()) {
    throw new ShapeError(`${op}: rows ${rows.dtype}${fmtShape(rows.shape)} should be ${p.dtype}[${idx.shape[0]},${p.shape[1]}] (one per index, the table's width)`);
  }
  if (sizeOf(h.shape) !== hyper) throw new ShapeError(`${op}: expected ${hyper} hyperparameter value(s), got ${fmtShape(h.shape)}`);
}

/**
 * Each used row once, in order of its first index, with the sum of its rows over the indices
 * that name it, in index order and in float64 (as scatterAdd's CPU loop sums), rounded to the
 * table's precision. An index outside [0, V) is a fault (the first one is reported, as the links
 * kernel does) and adds nothing; in a training step gather has faulted on it already.
 */
function sumRows(idx: TypedArray, rows: TypedArray, v: number, d: number, round: (x: number) => number, status: Uint32Array, site: number): { row: number; g: Float64Array }[] {
  const at = new Map<number, Float64Array>();
  const order: { row: number; g: Float64Array }[] = [];
  for (let k = 0; k < idx.length; k++) {
    const r = idx[k];
    if (!(r >= 0 && r < v)) {
      raiseFault(status, site, r, k);
      continue;
    }
    let g = at.get(r);
    if (!g) {
      g = new Float64Array(d);
      at.set(r, g);
      order.push({ row: r, g });
    }
    for (let j = 0; j < d; j++) g[j] += rows[k * d + j];
  }
  for (const { g } of order) for (let j = 0; j < d; j++) g[j] = round(g[j]);
  return order;
}

const roundOf = (p: TypedArray) => (p instanceof Float32Array ? Math.fround : (x: number) => x);

/** The two dispatches: link equal indices (scatter_add.wgsl, table untouched), then the update. */
function sparseCalls(name: string, shader: "sparse_sgd_update" | "sparse_adam_update", [v, d]: readonly number[], n: number, tables: number, constants: Record<string, number> = {}): { scratch: number[]; calls: KernelCall[] } {
  const shape = { ROWS: v, D: d, COUNT: n };
  const tableRefs: BufferRef[] = Array.from({ length: tables }, (_, k) => ({ out: k }));
  // what moves (the bindings would count whole tables): the indices and links; then the rows,
  // and at most n rows of each table read and written
  const links = shaderCall(`${name}/links`, "scatter_add", [{ in: tables }, { out: 0 }, { scratch: 0 }, { status: true }], { ...shape, N: n, ZERO: 0 }, { threads: n });
  const update = shaderCall(name, shader, [{ in: tables + 1 }, { in: tables }, { scratch: 0 }, { in: tables + 2 }, ...tableRefs], { ...shape, N: n * d, ...constants }, { threads: n * d });
  return {
    scratch: [Math.max(1, n) * 4],
    calls: [
      { ...links, traffic: { read: 4 * n * n, written: 4 * n } },
      { ...update, traffic: { read: 4 * (2 * n + n * d * (1 + tables)), written: 4 * n * d * tables } },
    ],
  };
}

export const sparseSgdUpdateDef: OpDef<Record<string, never>> = {
  name: "sparseSgdUpdate",
  inPlace: [[0, 0]],
  infer: (ins) => {
    checkSparse("sparseSgdUpdate", ins, 1, 2);
    return [{ shape: ins[0].shape, dtype: ins[0].dtype }];
  },
  // outputs[0] holds p already (OpDef.inPlace)
  cpu: ({ inputs: [, idx, rows, [lr, ok]], outputs: [p], inShapes: [[v, d]], status, site }) => {
    const f = roundOf(p);
    const used = sumRows(idx, rows, v, d, f, status, site);
    if (ok === 0) return;
    for (const { row, g } of used) {
      for (let j = 0; j < d; j++) {
        const at = row * d + j;
        const pi = p[at] - lr * g[j];
        if (Number.isFinite(f(pi))) p[at] = pi;
      }
    }
  },
  webgpu: ({ inShapes: [ps, is] }) => sparseCalls("sparseSgdUpdate", "sparse_sgd_update", ps, is[0], 1),
  fault: indexFault("sparseSgdUpdate"),
};

export const sparseAdamUpdateDef: OpDef<Omit<AdamAttrs, "weightDecay" | "decoupled">> = {
  name: "sparseAdamUpdate",
  inPlace: [[0, 0], [1, 1], [2, 2]],
  infer: (ins) => {
    checkSparse("sparseAdamUpdate", ins, 3, 4);
    return [0, 1, 2].map(() => ({ shape: ins[0].shape, dtype: ins[0].dtype }));
  },
  // outputs hold p, m and v already (OpDef.inPlace)
  cpu: ({ inputs: [, , , idx, rows, [, stepSize, vScale, ok]], outputs: [p, m, v], inShapes: [[rows0, d]], attrs: a, status, site }) => {
    const f = roundOf(p);
    const used = sumRows(idx, rows, rows0, d, f, status, site);
    if (ok === 0) return;
    for (const { row, g } of used) {
      for (let j = 0; j < d; j++) {
        const at = row * d + j;
        const mi = a.b1 * m[at] + (1 - a.b1) * g[j];
        const vi = a.b2 * v[at] + (1 - a.b2) * g[j] * g[j];
        const pi = p[at] - (mi * stepSize) / (Math.sqrt(vi * vScale) + a.eps);
        if (!(Number.isFinite(f(pi)) && Number.isFinite(f(mi)) && Number.isFinite(f(vi)))) continue;
        [p[at], m[at], v[at]] = [pi, mi, vi];
      }
    }
  },
  webgpu: ({ inShapes: [ps, , , is], attrs: a }) => sparseCalls("sparseAdamUpdate", "sparse_adam_update", ps, is[0], 3, { B1: a.b1, B2: a.b2, EPS: a.eps }),
  fault: indexFault("sparseAdamUpdate"),
};

/** Plain SGD on the rows of `p` that `idx` names; hyper = sgdHyper(lr, ok). */
export function sparseSgdUpdate(p: Tensor, idx: Tensor, rows: Tensor, hyper: Tensor): Tensor {
  return apply(sparseSgdUpdateDef, [p, idx, rows, hyper], {})[0];
}

/** Lazy Adam on the rows of `p` that `idx` names: [p', m', v']; hyper from adamHyper. */
export function sparseAdamUpdate(p: Tensor, m: Tensor, v: Tensor, idx: Tensor, rows: Tensor, hyper: Tensor, attrs: { b1: number; b2: number; eps: number }): [Tensor, Tensor, Tensor] {
  const [a, b, c] = apply(sparseAdamUpdateDef, [p, m, v, idx, rows, hyper], attrs);
  return [a, b, c];
}
