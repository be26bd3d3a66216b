/**
 * @file Reductions over axes: `max` is a primitive (sharing the shape rule and CPU loop of
 * `sum`, ops/sum.ts); `mean` and `min` are compositions. `sum` and `sumTo` are re-exported
 * from ops/sum.ts.
 */
import { requireFloat } from "../dtype.ts";
import { ShapeError, fmtShape } from "../errors.ts";
import { normAxes } from "../shape.ts";
import { apply1 } from "../graph/ir.ts";
import type { Tensor } from "../tensor.ts";
import type { OpDef } from "./types.ts";
import { reduceKernel } from "./strided_kernels.ts";
import { wgslType } from "./wgsl.ts";
import { cast, div, equal, mul, neg } from "./elementwise.ts";
import { reshape } from "./movement.ts";
import { expand, keptShape, reduceCpu, reduceInfer, sum, type ReduceAttrs } from "./sum.ts";

export { sum, sumTo, type ReduceAttrs } from "./sum.ts";

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
  webgpu: ({ inShapes: [xs], inDtypes: [dt], attrs, device }) => {
    const t = wgslType(dt, "max");
    // −∞ from neg_inf() (a `var` bit pattern: WGSL constant evaluation rejects non-finite values)
    const init = t === "f32" ? "neg_inf()" : "-2147483647 - 1";
    const nan = t === "f32" ? "(is_nan(v) && !is_nan(acc))" : "false";
    return { calls: [reduceKernel("max", xs, attrs.axes, t, init, `select(acc, v, v > acc || ${nan})`, device)] };
  },
};

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
