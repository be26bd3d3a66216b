/**
 * @file im2colMatmul: a product whose B is a convolution's column matrices, read from the
 * image instead of from the columns: the planner's fusion of im2col into every product that
 * reads it (graph/fuse.ts), so a step never holds the full column matrix [N, C·kh·kw, OH·OW]
 * (LeNet-5's conv1: 5 MB at batch 64, written once and read twice, by the forward product
 * and the weight gradient). Two products read columns in a training step:
 *   matmulBiasAct(W, im2col(x), bias)             a convolution's forward pass  (B = cols)
 *   matmul(dy, im2col(x), transposeB)             its weight gradient           (B = colsᵀ)
 * Inputs: the product's, with x [N, C, H, W] in the place of the columns. Never built by
 * autodiff, so no gradient rule.
 * CPU reference: im2col's and the product's reference loops as they run unfused, so fusing
 * never changes a reference result. Fast mode: each thread gathers one image's columns at a
 * time into a buffer of its own (78 kB for conv1: it stays in L2) and packs the product's
 * panels from it. WebGPU: on a GPU the tiled matmul computes each element of B from x as it
 * loads its tile (lib/matmul_tile_b_im2col), one dispatch; on a software adapter, where the
 * direct kernel reads B straight from a buffer, im2col into scratch and then the direct
 * matmul (two dispatches, as unfused).
 */
import { allocArray, dtypeOfArray } from "../dtype.ts";
import { sizeOf } from "../shape.ts";
import { ShapeError } from "../errors.ts";
import type { CpuArgs, OpDef, ValueInfo } from "./types.ts";
import { im2colDef, im2colIndex, windowGeometry, windowKey, type WindowAttrs } from "./conv2d.ts";
import { im2colCall, im2colTileConstants } from "./conv_kernels.ts";
import { fastMatmulCpu, matmulDef, matmulLayout } from "./matmul.ts";
import { batchStrides, matmulPlan } from "./matmul_kernel.ts";
import { biasActEpilogue, fastMatmulBiasActCpu, matmulBiasActDef, type MatmulBiasActAttrs } from "./matmul_epilogue.ts";
import { runCpu } from "./cpu_fast.ts";
import { wgslType } from "./wgsl.ts";

export interface Im2colMatmulAttrs {
  /** The product: a plain matmul (a weight gradient) or matmulBiasAct (a forward pass). */
  base: "matmul" | "matmulBiasAct";
  /** The product's attrs (matmulBiasAct's when it is one). */
  mm: { transposeA: boolean; transposeB: boolean } & Partial<MatmulBiasActAttrs>;
  /** im2col's attrs. */
  window: WindowAttrs;
}

const baseDef = (a: Im2colMatmulAttrs): OpDef<any> => (a.base === "matmul" ? matmulDef : matmulBiasActDef);

/** The shape of the columns im2col would make from an image of shape xs. */
function columnsShape(xs: readonly number[], w: WindowAttrs): number[] {
  const g = windowGeometry("im2colMatmul", xs, w.kernel, w);
  return [g.n, g.c * g.kh * g.kw, g.oh * g.ow];
}

/** The product's CPU arguments with the columns (or, in the fast mode, x standing for them) as B. */
function productArgs(args: CpuArgs<Im2colMatmulAttrs>, cols: CpuArgs<unknown>["inputs"][number]): CpuArgs<any> {
  const { inputs: [a, , ...rest], inShapes: [as, xs, ...restShapes], attrs } = args;
  return { ...args, inputs: [a, cols, ...rest], inShapes: [as, columnsShape(xs, attrs.window), ...restShapes], attrs: attrs.mm };
}

export const im2colMatmulDef: OpDef<Im2colMatmulAttrs> = {
  name: "im2colMatmul",
  infer: ([a, x, ...rest], attrs) => {
    if (attrs.mm.mask) throw new ShapeError("im2colMatmul: a masked product (ReLU's backward) has no columns for B");
    const [cols] = im2colDef.infer([x], attrs.window);
    return baseDef(attrs).infer([a, cols, ...rest] as ValueInfo[], attrs.mm);
  },
  cpu: (args) => {
    const { inputs: [, x], inShapes: [, xs], attrs } = args;
    const cols = allocArray(dtypeOfArray(x), sizeOf(columnsShape(xs, attrs.window)));
    runCpu(im2colDef, { ...args, inputs: [x], outputs: [cols], inShapes: [xs], outShapes: [columnsShape(xs, attrs.window)], attrs: attrs.window });
    runCpu(baseDef(attrs), productArgs(args, cols));
  },
  // the fast mode: the columns of one image at a time, in each thread's own buffer
  cpuFast: (args) => {
    const { inputs: [, x], inShapes: [, xs], attrs: { window: w } } = args;
    if (!(x instanceof Float32Array)) return false;
    const g = windowGeometry("im2colMatmul", xs, w.kernel, w);
    const cols = { x, images: g.n, key: windowKey(g, w), make: () => im2colIndex(g, w) };
    return args.attrs.base === "matmul" ? fastMatmulCpu(productArgs(args, x), undefined, cols) : fastMatmulBiasActCpu(productArgs(args, x), cols);
  },
  webgpu: ({ inShapes: [as, xs], inDtypes: [dt], attrs, device }) => {
    wgslType(dt, "im2colMatmul");
    const w = attrs.window, g = windowGeometry("im2colMatmul", xs, w.kernel, w), cs = columnsShape(xs, w);
    const ep = attrs.base === "matmulBiasAct" ? biasActEpilogue(attrs.mm as MatmulBiasActAttrs) : undefined;
    const L = matmulLayout(as, cs, attrs.mm);
    if (device.matmul === "direct") {
      // a software adapter: the columns into scratch 0, then the direct kernel reads them
      const mm = matmulPlan("im2colMatmul", device, L, [{ in: 0 }, { scratch: 0 }, { out: 0 }], 1, ep);
      return { calls: [im2colCall(g, w, { in: 1 }, { scratch: 0 }), ...mm.calls], scratch: [sizeOf(cs) * 4, ...mm.scratch] };
    }
    const tiled = { ...L, bIm2col: im2colTileConstants(g, w, attrs.mm.transposeB), bBatchStrides: batchStrides(cs, L.batch ?? [], g.c * g.h * g.w) };
    return matmulPlan("im2colMatmul", device, tiled, [{ in: 0 }, { in: 1 }, { out: 0 }], 0, ep);
  },
};
