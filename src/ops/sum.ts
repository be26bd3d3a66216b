/**
 * @file `sum` over axes and `expand` (broadcastTo): each is the other's gradient, so they live
 * together, with `sumTo` (the reverse of broadcasting, used by every broadcasting gradient)
 * and the reduction's shape rule and CPU loop that `max` (ops/reduce.ts) shares.
 * CPU: each input element is added into the output element its kept axes name, with a
 * float64 accumulator so the reference does not drift on long sums.
 */
import { requireFloat } from "../dtype.ts";
import { ShapeError, fmtShape } from "../errors.ts";
import { broadcastShapes, broadcastStrides, normAxes, sameShape, stridesOf, type Shape } from "../shape.ts";
import { apply1 } from "../graph/ir.ts";
import type { Tensor } from "../tensor.ts";
import type { CpuArgs, OpDef, ValueInfo } from "./types.ts";
import { walk } from "./broadcast_loop.ts";
import { reduceKernel } from "./strided_kernels.ts";
import { wgslType } from "./wgsl.ts";
import { copyKernel, reshape, stridedCopy } from "./movement.ts";

export interface ReduceAttrs {
  /** Sorted, non-negative axes to reduce. */
  axes: number[];
  keepdims: boolean;
}

export function keptShape(shape: Shape, axes: number[]): number[] {
  return shape.map((d, i) => (axes.includes(i) ? 1 : d));
}

export function reduceInfer(op: string, [x]: ValueInfo[], { axes, keepdims }: ReduceAttrs): ValueInfo[] {
  if (x.dtype === "bool") requireFloat(op, "input", x.dtype);
  const shape = keepdims ? keptShape(x.shape, axes) : x.shape.filter((_, i) => !axes.includes(i));
  return [{ shape, dtype: x.dtype }];
}

/** Visits every input element with the offset of the output element it reduces into. */
export function reduceCpu({ inputs: [x], outputs: [y], inShapes: [xs], attrs }: CpuArgs<ReduceAttrs>, init: number, f: (acc: number, v: number) => number): void {
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
  webgpu: ({ inShapes: [xs], inDtypes: [dt], attrs, device }) => {
    const t = wgslType(dt, "sum");
    return { calls: [reduceKernel("sum", xs, attrs.axes, t, `${t}(0)`, "acc + v", device)] };
  },
};

export const expandDef: OpDef<{ shape: number[] }> = {
  name: "expand",
  infer: ([x], { shape }) => {
    if (x.shape.length > shape.length || !sameShape(broadcastShapes("expand", x.shape, shape), shape)) {
      throw new ShapeError(`expand: ${fmtShape(x.shape)} cannot be broadcast to ${fmtShape(shape)}`);
    }
    return [{ shape, dtype: x.dtype }];
  },
  cpu: ({ inputs: [x], outputs: [y], inShapes: [xs], outShapes: [ys] }) => stridedCopy(x, broadcastStrides(xs, ys), 0, y, ys),
  grad: ({ inputs: [x], dys: [dy] }) => [sumTo(dy, x.shape)],
  webgpu: ({ inShapes: [xs], outShapes: [ys], inDtypes: [dt] }) => copyKernel("expand", ys, dt, broadcastStrides(xs, ys)),
};

/** Sum over `axes` (all axes when omitted). */
export function sum(x: Tensor, axes?: number | readonly number[], keepdims = false): Tensor {
  return apply1(sumDef, [x], { axes: normAxes("sum", axes, x.rank), keepdims });
}

/** Broadcasts to `shape` (NumPy rules); -1 keeps an axis as it is. */
export function expand(x: Tensor, shape: readonly number[]): Tensor {
  const lead = shape.length - x.rank;
  const full = shape.map((d, i) => (d === -1 ? x.shape[i - lead] : d));
  return sameShape(full, x.shape) ? x : apply1(expandDef, [x], { shape: full });
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
