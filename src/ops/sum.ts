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
import { shaderCall } from "./shaders.ts";
import { wgslType } from "./wgsl.ts";
import { copyKernel, reshape, stridedCopy } from "./movement.ts";
import { fastKernels, runCpu } from "./cpu_fast.ts";

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

/**
 * reduceCpu for the sum, with the addition written in the loop (a callback shared with max
 * is not inlined, and it doubled the time of the bias gradients' sums): the same order, the
 * same float64 sums.
 */
export function sumCpu({ inputs: [x], outputs: [y], inShapes: [xs], attrs }: CpuArgs<ReduceAttrs>): void {
  const acc = new Float64Array(y.length);
  const outStrides = broadcastStrides(keptShape(xs, attrs.axes), xs);
  walk(xs, [stridesOf(xs), outStrides], (_o, off, st, len) => {
    const [si, so] = st;
    if (so === 0) {
      let a = acc[off[1]];
      for (let j = 0, i = off[0]; j < len; j++, i += si) a += x[i];
      acc[off[1]] = a;
    } else for (let j = 0, i = off[0], o = off[1]; j < len; j++, i += si, o += so) acc[o] += x[i];
  });
  y.set(acc);
}

/**
 * A sum's axes as [outer, red, keep, inner] (x read as that 4-D block, red and inner summed,
 * y [outer, keep]), or null where they do not fit it (the reference loop runs): axes of size 1
 * dropped, neighbouring axes that are both summed or both kept merged, then at most four runs
 * alternating kept and summed, ending with either.
 */
export function fastSumForm(xs: readonly number[], axes: readonly number[]): [number, number, number, number] | null {
  const runs: { size: number; summed: boolean }[] = [];
  xs.forEach((d, i) => {
    if (d === 1) return;
    const summed = axes.includes(i), last = runs[runs.length - 1];
    if (last && last.summed === summed) last.size *= d;
    else runs.push({ size: d, summed });
  });
  // pad to K R K R (a missing run has size 1)
  if (runs.length > 0 && runs[0].summed) runs.unshift({ size: 1, summed: false });
  if (runs.length > 4) return null;
  // K R: the summed run as the inner one (segment sums, not column sums of width 1)
  if (runs.length === 2) return [runs[0].size, 1, 1, runs[1].size];
  while (runs.length < 4) runs.push({ size: 1, summed: runs.length % 2 === 1 });
  return [runs[0].size, runs[1].size, runs[2].size, runs[3].size];
}

export const sumDef: OpDef<ReduceAttrs> = {
  name: "sum",
  infer: (ins, attrs) => reduceInfer("sum", ins, attrs),
  cpu: sumCpu,
  // the fast mode: float32 sums in WebAssembly (cpu_fast.ts) where the axes have its form
  cpuFast: ({ inputs: [x], outputs: [y], inShapes: [xs], attrs, cpu }) => {
    const form = x instanceof Float32Array && y instanceof Float32Array ? fastSumForm(xs, attrs.axes) : null;
    const fast = form ? fastKernels(cpu.threads) : null;
    if (!fast || !form) return false;
    fast.sum(x as Float32Array, y as Float32Array, ...form);
    return true;
  },
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

/**
 * Where output o of a sum over `axes` of `shape` starts and where its r-th element lies, as
 * shaders/sum_many.wgsl reads them: the kept and the reduced axes each merged (dropping size-1
 * axes, joining neighbours that are contiguous) into at most two strided levels, or null when
 * either group needs more.
 */
export function sumSegment(shape: Shape, axes: readonly number[]): { n: number; rn: number; kin: number; kso: number; ksi: number; rin: number; rso: number; rsi: number } | null {
  const st = stridesOf(shape);
  const levels = (dims: number[]): [number, number][] | null => {
    const out: [number, number][] = [];
    for (const d of dims) {
      if (shape[d] === 1) continue;
      const last = out[out.length - 1];
      if (last && last[1] === shape[d] * st[d]) out[out.length - 1] = [last[0] * shape[d], st[d]];
      else out.push([shape[d], st[d]]);
    }
    return out.length <= 2 ? out : null;
  };
  const kept = levels(shape.map((_, d) => d).filter((d) => !axes.includes(d)));
  const red = levels([...axes]);
  if (!kept || !red) return null;
  // [outer, inner]: index q → (q / inner size)·outer stride + (q % inner size)·inner stride
  const two = (l: [number, number][]): [number, number, number] =>
    l.length === 2 ? [l[1][0], l[0][1], l[1][1]] : l.length === 1 ? [l[0][0], 0, l[0][1]] : [1, 0, 0];
  const [kin, kso, ksi] = two(kept);
  const [rin, rso, rsi] = two(red);
  return { n: kept.reduce((a, [s]) => a * s, 1), rn: red.reduce((a, [s]) => a * s, 1), kin, kso, ksi, rin, rso, rsi };
}

/** At most this many sums go into one sumMany: S inputs and S outputs, 8 storage buffers. */
export const SUM_MANY = 4;

/**
 * sumMany: several independent float32 sums in one dispatch, the planner's grouping of sums
 * ready at the same point (graph/fuse.ts). `axes[s]`, `keepdims[s]` are sum s's attributes.
 * CPU: each sum as sumDef computes it (the same bits). Never built by autodiff: no gradient.
 */
export const sumManyDef: OpDef<{ axes: number[][]; keepdims: boolean[] }> = {
  name: "sumMany",
  infer: (ins, { axes, keepdims }) => {
    if (ins.length < 1 || ins.length > SUM_MANY || axes.length !== ins.length) throw new ShapeError(`sumMany: 1 to ${SUM_MANY} inputs with their axes, got ${ins.length} inputs and ${axes.length} axis lists`);
    return ins.map((x, s) => reduceInfer("sumMany", [x], { axes: axes[s], keepdims: keepdims[s] })[0]);
  },
  cpu: (args) => {
    args.inputs.forEach((x, s) => runCpu(sumDef, { ...args, inputs: [x], outputs: [args.outputs[s]], inShapes: [args.inShapes[s]], outShapes: [args.outShapes[s]], attrs: { axes: args.attrs.axes[s], keepdims: args.attrs.keepdims[s] } }));
  },
  webgpu: ({ inShapes, inDtypes, attrs, device }) => {
    inDtypes.forEach((d) => wgslType(d, "sumMany"));
    const S = inShapes.length;
    const constants: Record<string, number> = {};
    let total = 0;
    inShapes.forEach((xs, s) => {
      const g = sumSegment(xs, attrs.axes[s]);
      if (!g) throw new ShapeError(`sumMany: the sum over [${attrs.axes[s]}] of ${fmtShape(xs)} needs more than two strided levels; the planner groups only those that do not`);
      if (s > 0) constants[`FIRST${s}`] = total;
      total += g.n;
      Object.assign(constants, { [`N${s}`]: g.n, [`RN${s}`]: g.rn, [`KIN${s}`]: g.kin, [`KSO${s}`]: g.kso, [`KSI${s}`]: g.ksi, [`RIN${s}`]: g.rin, [`RSO${s}`]: g.rso, [`RSI${s}`]: g.rsi });
    });
    const tree = device.matmul === "tiled" && total <= 65535;
    const bindings = [...inShapes.map((_, s) => ({ in: s })), ...inShapes.map((_, s) => ({ out: s }))];
    const grid = tree ? { workgroups: [total, 1, 1] as [number, number, number] } : { threads: total };
    return { calls: [shaderCall(tree ? "sumMany/tree" : "sumMany", "sum_many", bindings, { ...constants, TOTAL: total, TREE: tree ? 1 : 0 }, grid, { each: { S }, tokens: { NS: S } })] };
  },
};
