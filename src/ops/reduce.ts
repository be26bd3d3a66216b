/**
 * @file Reductions over axes: `sum` and `max` are primitives; `mean`, `min` and `sumTo` (the
 * reverse of broadcasting, used by every broadcasting gradient) are compositions.
 * CPU: each input element is added into the output element its kept axes name, with a
 * float64 accumulator so the reference does not drift on long sums.
 */
import { requireFloat } from "../dtype.ts";
import { ShapeError, fmtShape } from "../errors.ts";
import { broadcastStrides, normAxes, sameShape, stridesOf, type Shape } from "../shape.ts";
import { apply1 } from "../graph/ir.ts";
import type { Tensor } from "../tensor.ts";
import type { CpuArgs, OpDef, ValueInfo } from "./types.ts";
import { walk } from "./broadcast_loop.ts";
import { reduceKernel } from "./strided_kernels.ts";
import { wgslType } from "./wgsl.ts";
import { cast, div, equal, mul, neg } from "./elementwise.ts";
import { expand, reshape } from "./movement.ts";

export interface ReduceAttrs {
  /** Sorted, non-negative axes to reduce. */
  axes: number[];
  keepdims: boolean;
}

function keptShape(shape: Shape, axes: number[]): number[] {
  return shape.map((d, i) => (axes.includes(i) ? 1 : d));
}

function reduceInfer(op: string, [x]: ValueInfo[], { axes, keepdims }: ReduceAttrs): ValueInfo[] {
  if (x.dtype === "bool") requireFloat(op, "input", x.dtype);
  const shape = keepdims ? keptShape(x.shape, axes) : x.shape.filter((_, i) => !axes.includes(i));
  return [{ shape, dtype: x.dtype }];
}

/** Visits every input element with the offset of the output element it reduces into. */
function reduceCpu({ inputs: [x], outputs: [y], inShapes: [xs], attrs }: CpuArgs<ReduceAttrs>, init: number, f: (acc: number, v: number) => number): void {
  const acc = new Float64Array(y.length).fill(init);
  const outStrides = broadcastStrides(keptShape(xs, attrs.axes), xs);
  walk(xs, [stridesOf(xs), outStrides], (_o, off, st, len) => {
    for (let j = 0, i = off[0], o = off[1]; j < len; j++, i += st[0], o += st[1]) acc[o] = f(acc[o], x[i]);
  });
  y.set(acc);
}

export const sumDef: OpDef<ReduceAttrs> = {
  name: "sum",
  infer: (ins, attrs) => reduceInfer("sum", ins, attrs),
  cpu: (args) => reduceCpu(args, 0, (a, v) => a + v),
  // d sum = dy broadcast back over the reduced axes
  grad: ({ inputs: [x], dys: [dy], attrs }) => [expand(reshape(dy, keptShape(x.shape, attrs.axes)), x.shape)],
  webgpu: ({ inShapes: [xs], inDtypes: [dt], attrs }) => {
    const t = wgslType(dt, "sum");
    return { calls: [reduceKernel("sum", xs, attrs.axes, t, `${t}(0)`, "acc + v")] };
  },
};

export const maxDef: OpDef<ReduceAttrs> = {
  name: "max",
  infer: (ins, attrs) => {
    const [x] = ins;
    for (const a of attrs.axes) {
      if (x.shape[a] === 0) throw new ShapeError(`max: axis ${a} of ${fmtShape(x.shape)} is empty; max of nothing is undefined`);
    }
    return reduceInfer("max", ins, attrs);
  },
  // NaN wins: once the accumulator is NaN, `v > acc` is false and it stays NaN
  cpu: (args) => reduceCpu(args, -Infinity, (a, v) => (v > a || v !== v ? v : a)),
  // dy goes to the elements equal to the max, split evenly between ties
  grad: ({ inputs: [x], outputs: [y], dys: [dy], attrs }) => {
    const kept = keptShape(x.shape, attrs.axes);
    const mask = cast(equal(x, expand(reshape(y, kept), x.shape)), x.dtype);
    const count = sum(mask, attrs.axes, true);
    return [mul(mask, div(reshape(dy, kept), count))];
  },
  // NaN wins as on the CPU: once acc is NaN, `v > acc` is false and nothing replaces it
  webgpu: ({ inShapes: [xs], inDtypes: [dt], attrs }) => {
    const t = wgslType(dt, "max");
    // −∞ from neg_inf() (a `var` bit pattern: WGSL constant evaluation rejects non-finite values)
    const init = t === "f32" ? "neg_inf()" : "-2147483647 - 1";
    const nan = t === "f32" ? "(is_nan(v) && !is_nan(acc))" : "false";
    return { calls: [reduceKernel("max", xs, attrs.axes, t, init, `select(acc, v, v > acc || ${nan})`)] };
  },
};

/** Sum over `axes` (all axes when omitted). */
export function sum(x: Tensor, axes?: number | readonly number[], keepdims = false): Tensor {
  return apply1(sumDef, [x], { axes: normAxes("sum", axes, x.rank), keepdims });
}

/** Maximum over `axes` (all when omitted); NaN propagates. */
export function max(x: Tensor, axes?: number | readonly number[], keepdims = false): Tensor {
  return apply1(maxDef, [x], { axes: normAxes("max", axes, x.rank), keepdims });
}

export function min(x: Tensor, axes?: number | readonly number[], keepdims = false): Tensor {
  return neg(max(neg(x), axes, keepdims));
}

export function mean(x: Tensor, axes?: number | readonly number[], keepdims = false): Tensor {
  const ax = normAxes("mean", axes, x.rank);
  requireFloat("mean", "input", x.dtype);
  return div(sum(x, ax, keepdims), ax.reduce((n, a) => n * x.shape[a], 1));
}

/** Sums a broadcast result back down to `shape`: the adjoint of broadcasting to x.shape. */
export function sumTo(x: Tensor, shape: Shape): Tensor {
  if (sameShape(x.shape, shape)) return x;
  const lead = x.rank - shape.length;
  if (lead < 0) throw new ShapeError(`sumTo: cannot sum ${x.describe()} to the larger shape ${fmtShape(shape)}`);
  const axes = x.shape.map((d, i) => i).filter((i) => i < lead || (shape[i - lead] === 1 && x.shape[i] !== 1));
  const s = axes.length > 0 ? sum(x, axes, true) : x;
  return reshape(s, shape);
}
