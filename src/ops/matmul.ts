/**
 * @file Batched matmul: a [..., M, K] @ b [..., K, N] → [..., M, N], batch axes broadcast.
 * `transposeA`/`transposeB` read a as [..., K, M] / b as [..., N, K] by indexing, never by a
 * transpose copy. CPU: `gemm` in matmul_cpu.ts (packed 4×4 blocks, float64 sums in K order);
 * the fast mode's float32 kernel in cpu_fast.ts, the whole batch in one call.
 */
import { requireFloat, type TypedArray } from "../dtype.ts";
import { DTypeError, ShapeError, fmtShape } from "../errors.ts";
import { broadcastShapes, broadcastStrides, sizeOf, type Shape } from "../shape.ts";
import { apply1 } from "../graph/ir.ts";
import type { Tensor } from "../tensor.ts";
import type { CpuArgs, OpDef } from "./types.ts";
import { walk } from "./broadcast_loop.ts";
import { sumTo } from "./sum.ts";
import { batchStrides, matmulPlan, type MatmulLayout } from "./matmul_kernel.ts";
import { gemm } from "./matmul_cpu.ts";
import { fastKernels, type ColumnSource } from "./cpu_fast.ts";
import { wgslType } from "./wgsl.ts";

export interface MatmulOptions {
  transposeA?: boolean;
  transposeB?: boolean;
}

interface MatmulAttrs {
  transposeA: boolean;
  transposeB: boolean;
}

/** M, K, N and the batch shape of a matmul, validated. */
export function matmulDims(aShape: Shape, bShape: Shape, { transposeA, transposeB }: MatmulAttrs) {
  const ra = aShape.length;
  const rb = bShape.length;
  if (ra < 2 || rb < 2) {
    throw new ShapeError(`matmul: operands need rank ≥ 2, got a ${fmtShape(aShape)} and b ${fmtShape(bShape)} (reshape a vector to [1,n] or [n,1])`);
  }
  const [m, k] = transposeA ? [aShape[ra - 1], aShape[ra - 2]] : [aShape[ra - 2], aShape[ra - 1]];
  const [kb, n] = transposeB ? [bShape[rb - 1], bShape[rb - 2]] : [bShape[rb - 2], bShape[rb - 1]];
  if (k !== kb) {
    throw new ShapeError(
      `matmul: inner dimensions differ, a ${fmtShape(aShape)}${transposeA ? "ᵀ" : ""} has K=${k}, b ${fmtShape(bShape)}${transposeB ? "ᵀ" : ""} has K=${kb}`,
    );
  }
  const batch = broadcastShapes("matmul", aShape.slice(0, -2), bShape.slice(0, -2));
  return { m, k, n, batch };
}

export const matmulDef: OpDef<MatmulAttrs> = {
  name: "matmul",
  infer: ([a, b], attrs) => {
    requireFloat("matmul", "a", a.dtype);
    if (a.dtype !== b.dtype) throw new DTypeError(`matmul: operand dtypes differ (${a.dtype} and ${b.dtype})`);
    const { m, n, batch } = matmulDims(a.shape, b.shape, attrs);
    return [{ shape: [...batch, m, n], dtype: a.dtype }];
  },
  cpu: ({ inputs: [a, b], outputs: [c], inShapes: [as, bs], attrs, cpu }) => {
    const { m, k, n, batch } = matmulDims(as, bs, attrs);
    // element strides of A(i, p) and B(j, p) inside one matrix
    const [sAi, sAp] = attrs.transposeA ? [1, m] : [k, 1];
    const [sBj, sBp] = attrs.transposeB ? [k, 1] : [1, n];
    eachBatch(batch, as, bs, m * k, k * n, (bi, aOff, bOff) => {
      gemm({ data: a, off: aOff, sRow: sAi, sP: sAp }, { data: b, off: bOff, sRow: sBj, sP: sBp }, c, bi * m * n, m, k, n, cpu.wasmMatmul);
    });
  },
  cpuFast: (args) => fastMatmulCpu(args),
  // C = AB: dA = dC·Bᵀ, dB = Aᵀ·dC; with transposed operands the same identities, reordered.
  grad: ({ inputs: [a, b], dys: [dy], attrs: { transposeA: tA, transposeB: tB } }) => {
    const da = tA ? matmul(b, dy, { transposeA: tB, transposeB: true }) : matmul(dy, b, { transposeB: !tB });
    const db = tB ? matmul(dy, a, { transposeA: true, transposeB: tA }) : matmul(a, dy, { transposeA: !tA });
    return [sumTo(da, a.shape), sumTo(db, b.shape)];
  },
  webgpu: ({ inShapes: [as, bs], inDtypes: [dt], attrs, device }) => {
    wgslType(dt, "matmul");
    return matmulPlan("matmul", device, matmulLayout(as, bs, attrs), [{ in: 0 }, { in: 1 }, { out: 0 }], 0);
  },
};

/**
 * The fast mode's product (cpu_fast.ts), the whole batch in one call, with matmulBiasAct's
 * bias and ReLU when given; false where it does not apply (the reference mode, float64
 * tensors, K = 0, no WebAssembly SIMD), and the caller runs the reference loops. With `cols`,
 * b only stands for B's shape: its matrices are gathered from an image (im2colMatmul).
 */
export function fastMatmulCpu({ inputs: [a, b], outputs: [c], inShapes: [as, bs], attrs, cpu }: CpuArgs<MatmulAttrs>, epilogue?: { bias: TypedArray; rows: boolean; relu: boolean }, cols?: ColumnSource): boolean {
  if (cpu.mode !== "fast" || !cpu.wasmMatmul || !(c instanceof Float32Array) || !(a instanceof Float32Array) || !(b instanceof Float32Array)) return false;
  const { m, k, n, batch } = matmulDims(as, bs, attrs);
  const fast = k > 0 && m > 0 && n > 0 ? fastKernels(cpu.threads) : null;
  if (!fast || (epilogue && !(epilogue.bias instanceof Float32Array))) return false;
  const aOffs: number[] = [], bOffs: number[] = [], cOffs: number[] = [];
  eachBatch(batch, as, bs, m * k, k * n, (bi, aOff, bOff) => {
    aOffs.push(aOff);
    bOffs.push(bOff);
    cOffs.push(bi * m * n);
  });
  if (cOffs.length === 0) return true;
  const [sAi, sAp] = attrs.transposeA ? [1, m] : [k, 1];
  const [sBj, sBp] = attrs.transposeB ? [k, 1] : [1, n];
  fast.matmul({ data: a, sRow: sAi, sP: sAp }, aOffs, { data: b, sRow: sBj, sP: sBp }, bOffs, c, cOffs, m, k, n, epilogue as { bias: Float32Array; rows: boolean; relu: boolean } | undefined, cols);
  return true;
}

/** The kernels' view of A·B: sizes, the operands' strides (a transpose is a swap) and batching. */
export function matmulLayout(as: readonly number[], bs: readonly number[], attrs: MatmulAttrs): MatmulLayout {
  const { m, k, n, batch } = matmulDims(as, bs, attrs);
  return {
    m, n, k,
    ...(attrs.transposeA ? { sAi: 1, sAp: m } : { sAi: k, sAp: 1 }),
    ...(attrs.transposeB ? { sBp: 1, sBj: k } : { sBp: n, sBj: 1 }),
    batch, aBatchStrides: batchStrides(as, batch, m * k), bBatchStrides: batchStrides(bs, batch, k * n),
  };
}

/** Calls `f(batchIndex, aOffset, bOffset)` for each output matrix, broadcasting batch axes. */
function eachBatch(batch: number[], as: Shape, bs: Shape, aMat: number, bMat: number, f: (bi: number, aOff: number, bOff: number) => void): void {
  if (batch.length === 0) return f(0, 0, 0);
  const sa = broadcastStrides(as.slice(0, -2), batch);
  const sb = broadcastStrides(bs.slice(0, -2), batch);
  if (sizeOf(batch) === 0) return;
  walk(batch, [sa, sb], (o, off, st, len) => {
    for (let j = 0; j < len; j++) f(o + j, (off[0] + j * st[0]) * aMat, (off[1] + j * st[1]) * bMat);
  });
}

/**
 * Matrix product of the last two axes, batch axes broadcast.
 * @param a [..., M, K] (or [..., K, M] with transposeA)
 * @param b [..., K, N] (or [..., N, K] with transposeB)
 * @returns [...batch, M, N]
 */
export function matmul(a: Tensor, b: Tensor, opts: MatmulOptions = {}): Tensor {
  return apply1(matmulDef, [a, b], { transposeA: !!opts.transposeA, transposeB: !!opts.transposeB });
}
