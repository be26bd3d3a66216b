/**
 * @file matmulBiasAct: act(a·b + bias), the fused form the planner substitutes for a matmul
 * whose only reader adds a bias along the last axis, or with `rows` along the rows (a
 * convolution's bias per output channel, added after its [N, O, P] → [N, O, OH, OW] reshape),
 * and, optionally, whose sum's only reader is relu, tanh or sigmoid. It is never built by
 * autodiff, so it has no gradient rule.
 * CPU: the matmul reference, then bias and activation per element with the same roundings
 * as the unfused ops, so fusing never changes a CPU result; the fast mode adds the bias and
 * applies ReLU in its kernel's store (cpu_fast.ts). WebGPU: the tiled matmul with the
 * bias add and the unary table's activation applied as it stores each output.
 */
import type { CpuArgs, OpDef } from "./types.ts";
import { fastMatmulCpu, matmulDef, matmulDims, matmulLayout } from "./matmul.ts";
import { runCpu, type ColumnSource } from "./cpu_fast.ts";
import { unaryJs, unaryWgsl } from "./elementwise.ts";
import { matmulPlan, splitOf, type Epilogue } from "./matmul_kernel.ts";
import { wgslType } from "./wgsl.ts";
import { ShapeError, fmtShape } from "../errors.ts";
import { sizeOf } from "../shape.ts";
import { allocArray, type TypedArray } from "../dtype.ts";
import { maxPool2dBackwardDef, poolConstants, poolGeometry, poolTiles, type PoolAttrs } from "./pool.ts";

export type Activation = "none" | "relu" | "tanh" | "sigmoid";

export interface MatmulBiasActAttrs {
  transposeA: boolean;
  transposeB: boolean;
  act: Activation;
  /** bias[i] per row (any shape of M elements) instead of bias[j] per column. */
  rows: boolean;
  /**
   * ReLU's backward fused in instead of a bias: the third input is the ReLU's output y, the
   * shape of the (unbatched) product, and the result is a·b where y > 0, else 0.
   */
  mask?: boolean;
}

export const matmulBiasActDef: OpDef<MatmulBiasActAttrs> = {
  name: "matmulBiasAct",
  infer: ([a, b, bias], attrs) => {
    const [y] = matmulDef.infer([a, b], attrs);
    const { m, n } = matmulDims(a.shape, b.shape, attrs);
    if (attrs.mask) {
      if (y.shape.length !== 2 || bias.shape.join() !== y.shape.join() || bias.dtype !== y.dtype) {
        throw new ShapeError(`matmulBiasAct: the ReLU output ${bias.dtype}${fmtShape(bias.shape)} should be ${y.dtype}${fmtShape(y.shape)}, the unbatched product's shape`);
      }
      return [y];
    }
    const ok = attrs.rows ? sizeOf(bias.shape) === m : bias.shape.length === 1 && bias.shape[0] === n;
    if (!ok || bias.dtype !== y.dtype) {
      throw new ShapeError(`matmulBiasAct: bias ${bias.dtype}${fmtShape(bias.shape)} should be ${y.dtype} with ${attrs.rows ? `${m} elements (one per row)` : `shape [${n}]`}`);
    }
    return [y];
  },
  cpu: (args) => {
    const { inputs: [, , bias], outputs: [y], attrs } = args;
    const { m, n } = matmulDims(args.inShapes[0], args.inShapes[1], attrs);
    runCpu(matmulDef, { ...args, inputs: args.inputs.slice(0, 2), inShapes: args.inShapes.slice(0, 2) });
    // y already holds the stored a·b; storing the sum rounds it, as the separate add would
    if (attrs.mask) {
      // as reluBackward(dy, y): dy where y > 0, else 0
      for (let i = 0; i < y.length; i++) y[i] = bias[i] > 0 ? y[i] : 0;
      return;
    }
    biasActRows(y, bias, m, n, attrs.rows, attrs.act, true);
  },
  // the fast mode: bias and ReLU as the product is stored (tanh and sigmoid after it)
  cpuFast: (args) => fastMatmulBiasActCpu(args),
  webgpu: ({ inShapes: [as, bs], inDtypes: [dt], attrs, device }) => {
    wgslType(dt, "matmulBiasAct");
    return matmulPlan("matmulBiasAct", device, matmulLayout(as, bs, attrs), [{ in: 0 }, { in: 1 }, { out: 0 }], 0, biasActEpilogue(attrs));
  },
};

/** The kernels' epilogue of matmulBiasAct: the bias (input 2) or ReLU mask, and the activation. */
export function biasActEpilogue(attrs: MatmulBiasActAttrs): Epilogue {
  return { bias: { in: 2 }, act: attrs.act === "none" ? "x" : unaryWgsl(attrs.act), rows: attrs.rows, mask: attrs.mask };
}

/**
 * matmulBiasAct's fast mode (false where it does not apply): bias and ReLU as the product is
 * stored, tanh and sigmoid after it; with `cols`, B's matrices gathered from an image (im2colMatmul).
 */
export function fastMatmulBiasActCpu(args: CpuArgs<MatmulBiasActAttrs>, cols?: ColumnSource): boolean {
  const { inputs: [, , bias], outputs: [y], attrs } = args;
  const ab = { ...args, inputs: args.inputs.slice(0, 2), inShapes: args.inShapes.slice(0, 2) };
  if (attrs.mask || !fastMatmulCpu(ab, { bias, rows: attrs.rows, relu: attrs.act === "relu" }, cols)) return false;
  const { m, n } = matmulDims(args.inShapes[0], args.inShapes[1], attrs);
  if (attrs.act === "tanh" || attrs.act === "sigmoid") biasActRows(y, bias, m, n, attrs.rows, attrs.act, false);
  return true;
}

/**
 * y ← act(y + bias) over the stored products y [batch][m][n], a row at a time: bias[i] per
 * row i with `rows`, else bias[j] per column (or, without `addBias`, the activation alone). The same roundings as the unfused add and
 * activation (ReLU written out as the unary table's rule, the others called from it).
 */
function biasActRows(y: TypedArray, bias: TypedArray, m: number, n: number, rows: boolean, act: Activation, addBias: boolean): void {
  const f = act === "none" || act === "relu" ? null : unaryJs(act);
  if (!addBias) {
    if (f) for (let i = 0; i < y.length; i++) y[i] = f(y[i]);
    return;
  }
  for (let r = 0, at = 0; at < y.length; r++, at += n) {
    const end = at + n, b = rows ? bias[r % m] : 0;
    if (act === "relu") {
      // one pass: the sum as y stores it (read back: rounded), then ReLU's rule
      for (let i = at, j = 0; i < end; i++, j++) {
        y[i] += rows ? b : bias[j];
        const v = y[i];
        if (!(v > 0 || v !== v)) y[i] = 0;
      }
      continue;
    }
    if (rows) for (let i = at; i < end; i++) y[i] += b;
    else for (let i = at, j = 0; i < end; i++, j++) y[i] += bias[j];
    if (f) for (let i = at; i < end; i++) y[i] = f(y[i]);
  }
}

/**
 * matmulRowSum: [a·b, rowsum(A)] for an unbatched product, where A(i, p) is a (or aᵀ with
 * transposeA) and rowsum(A)[i] = Σ_p A(i, p): the planner's fusion of a linear layer's weight
 * gradient dW = dyᵀ·x with its bias gradient db = Σ_rows dy (graph/fuse.ts), one kernel where
 * there were two; `keepdims` shapes the sums [1, M] as the sum it replaces had them. Never
 * built by autodiff, so no gradient rule.
 * CPU: the matmul reference, and the row sums in float64 in p order, rounded once: the bits of
 * sum(dy, 0). WebGPU: the matmul kernels summing A's tiles as they load them (R = 1).
 */
export const matmulRowSumDef: OpDef<{ transposeA: boolean; transposeB: boolean; keepdims: boolean }> = {
  name: "matmulRowSum",
  infer: ([a, b], attrs) => {
    const [y] = matmulDef.infer([a, b], attrs);
    if (a.shape.length !== 2 || b.shape.length !== 2) throw new ShapeError(`matmulRowSum: operands ${fmtShape(a.shape)} and ${fmtShape(b.shape)} should be matrices`);
    return [y, { shape: attrs.keepdims ? [1, y.shape[0]] : [y.shape[0]], dtype: y.dtype }];
  },
  cpu: (args) => {
    const { inputs: [a], outputs: [, d], inShapes: [as], attrs } = args;
    runCpu(matmulDef, { ...args, outputs: args.outputs.slice(0, 1), outShapes: args.outShapes.slice(0, 1) });
    const [m, k] = attrs.transposeA ? [as[1], as[0]] : [as[0], as[1]];
    const acc = new Float64Array(m);
    for (let p = 0; p < k; p++) for (let i = 0; i < m; i++) acc[i] += attrs.transposeA ? a[p * m + i] : a[i * k + p];
    d.set(acc);
  },
  webgpu: ({ inShapes: [as, bs], inDtypes: [dt], attrs, device }) => {
    wgslType(dt, "matmulRowSum");
    return matmulPlan("matmulRowSum", device, matmulLayout(as, bs, attrs), [{ in: 0 }, { in: 1 }, { out: 0 }], 0, { act: "x", rowSum: { out: 1 } });
  },
};

/** Whether a·b runs as one unsplit kernel, so it can carry the row sums. */
export function rowSumFits(as: readonly number[], bs: readonly number[], attrs: { transposeA: boolean; transposeB: boolean }): boolean {
  return as.length === 2 && bs.length === 2 && splitOf(matmulLayout(as, bs, attrs)) === 1;
}

export interface MatmulPoolAttrs {
  transposeA: boolean;
  transposeB: boolean;
  pool: PoolAttrs & { inputShape: number[] };
}

/**
 * matmulMaxPool2dBackward: (a, b, arg[, x]) → dx, what maxPool2dBackward(reshape(a·b), arg[, x])
 * computes: the planner's fusion of a product whose elements are a max-pool's output gradient
 * (LeNet-5's fc1 input gradient, flowing back into pool2) with that pooling's backward, for
 * windows that tile the plane and an unbatched, unsplit product (graph/fuse.ts). Never built
 * by autodiff, so no gradient rule.
 * CPU: the two reference loops as they run unfused. WebGPU: the matmul kernels storing each
 * product element as its window's pixels (lib/matmul_store).
 */
export const matmulMaxPool2dBackwardDef: OpDef<MatmulPoolAttrs> = {
  name: "matmulMaxPool2dBackward",
  infer: ([a, b, arg, mask], attrs) => {
    const [y] = matmulDef.infer([a, b], attrs);
    if (y.shape.length !== 2 || sizeOf(y.shape) !== sizeOf(arg.shape) || !poolTiles(attrs.pool)) {
      throw new ShapeError(`matmulMaxPool2dBackward: the product ${fmtShape(y.shape)} should be a matrix of the pooled gradient's ${sizeOf(arg.shape)} elements, for windows that tile the plane`);
    }
    return maxPool2dBackwardDef.infer(mask ? [{ shape: arg.shape, dtype: y.dtype }, arg, mask] : [{ shape: arg.shape, dtype: y.dtype }, arg], attrs.pool);
  },
  cpu: (args) => {
    const { inputs: [, , ...rest], attrs } = args;
    const dy = allocArray(args.outputs[0] instanceof Float64Array ? "float64" : "float32", rest[0].length);
    runCpu(matmulDef, { ...args, inputs: args.inputs.slice(0, 2), inShapes: args.inShapes.slice(0, 2), outputs: [dy] });
    runCpu(maxPool2dBackwardDef, { ...args, inputs: [dy, ...rest], attrs: attrs.pool });
  },
  webgpu: ({ inShapes, inDtypes: [dt], attrs, device }) => {
    wgslType(dt, "matmulMaxPool2dBackward");
    const [as, bs] = inShapes;
    const g = poolGeometry("matmulMaxPool2dBackward", attrs.pool.inputShape, attrs.pool);
    const pool = { arg: { in: 2 }, x: inShapes.length === 4 ? { in: 3 } : null, constants: poolConstants(g, attrs.pool, g.n * g.c * g.oh * g.ow) };
    return matmulPlan("matmulMaxPool2dBackward", device, matmulLayout(as, bs, attrs), [{ in: 0 }, { in: 1 }, { out: 0 }], 0, { act: "x", pool });
  },
};
