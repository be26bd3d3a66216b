/**
 * @file WebGPU kernel plans for the three convolution primitives, built from im2col,
 * col2im, a permute and the shared tiled matmul. With P = OH·OW and CKK = C·kh·kw, the
 * column matrix holds every image side by side: cols [CKK, N·P], cols[r, n·P + p] =
 * x[n, c, oy·sh − ph + i·dh, ox·sw − pw + j·dw] (0 in the padding) for r = (c·kh + i)·kw + j.
 *   forward:  cols = im2col(x); Y' [O, N·P] = W · cols; y = Y' permuted to [N, O, P]
 *   dx:       dy' [O, N·P] = dy permuted; dcols = Wᵀ · dy'; dx = col2im(dcols)
 *   dW:       cols = im2col(x); dy' = dy permuted; dW = dy' · colsᵀ
 * col2im gathers (one thread per dx element sums the columns that read it), so no atomics
 * are needed. CPU twins: conv2d.ts `im2col`, `col2im` and the three `cpu` loops.
 */
import type { BufferRef, KernelCall, KernelPlan } from "./types.ts";
import type { Conv2dAttrs } from "./conv2d.ts";
import { matmulPlan } from "./matmul_kernel.ts";
import { coords, stridedKernel } from "./strided_kernels.ts";
import { declare, kernel1d } from "./wgsl.ts";

export interface ConvDims {
  n: number; c: number; h: number; w: number; o: number; kh: number; kw: number; oh: number; ow: number;
}

/** One thread per cols row segment (r, n, oy), looping over ox: index divisions once per row. */
function im2colCall(g: ConvDims, a: Conv2dAttrs, x: BufferRef, cols: BufferRef): KernelCall {
  const NP = g.n * g.oh * g.ow;
  const body = `${coords([g.c, g.kh, g.kw, g.n, g.oh])}
  let r = (c0 * ${g.kh}u + c1) * ${g.kw}u + c2;
  let base = r * ${NP}u + (c3 * ${g.oh}u + c4) * ${g.ow}u;
  let y = i32(c4 * ${a.stride[0]}u + c1 * ${a.dilation[0]}u) - ${a.padding[0]};
  let rowIn = y >= 0 && y < ${g.h};
  let src = ((c3 * ${g.c}u + c0) * ${g.h}u + u32(max(y, 0))) * ${g.w}u;
  for (var ox = 0u; ox < ${g.ow}u; ox++) {
    let xx = i32(ox * ${a.stride[1]}u + c2 * ${a.dilation[1]}u) - ${a.padding[1]};
    var v = 0.0;
    if (rowIn && xx >= 0 && xx < ${g.w}) { v = x[src + u32(xx)]; }
    cols[base + ox] = v;
  }`;
  return kernel1d("conv2d/im2col", g.c * g.kh * g.kw * g.n * g.oh, declare([{ name: "x", type: "f32" }, { name: "cols", type: "f32", write: true }]), body, [x, cols]);
}

function col2imCall(g: ConvDims, a: Conv2dAttrs, dcols: BufferRef, dx: BufferRef): KernelCall {
  const P = g.oh * g.ow;
  const NP = g.n * P;
  const body = `${coords([g.n, g.c, g.h, g.w])}
  var s = 0.0;
  for (var ki = 0u; ki < ${g.kh}u; ki++) {
    let ty = i32(c2) + ${a.padding[0]} - i32(ki * ${a.dilation[0]}u);
    if (ty < 0 || ty % ${a.stride[0]} != 0 || ty / ${a.stride[0]} >= ${g.oh}) { continue; }
    for (var kj = 0u; kj < ${g.kw}u; kj++) {
      let tx = i32(c3) + ${a.padding[1]} - i32(kj * ${a.dilation[1]}u);
      if (tx < 0 || tx % ${a.stride[1]} != 0 || tx / ${a.stride[1]} >= ${g.ow}) { continue; }
      let r = (c1 * ${g.kh}u + ki) * ${g.kw}u + kj;
      s += dcols[r * ${NP}u + c0 * ${P}u + u32(ty / ${a.stride[0]}) * ${g.ow}u + u32(tx / ${a.stride[1]})];
    }
  }
  dx[i] = s;`;
  return kernel1d("conv2dBackwardInput/col2im", g.n * g.c * g.h * g.w, declare([{ name: "dcols", type: "f32" }, { name: "dx", type: "f32", write: true }]), body, [dcols, dx]);
}

/** [N, O, P] ↔ [O, N, P] copies between a step buffer and a scratch buffer. */
function swapNO(name: string, n: number, o: number, p: number, toONP: boolean, from: BufferRef, to: BufferRef): KernelCall {
  // reading strides for each output coordinate, output shape [O,N,P] (toONP) or [N,O,P]
  const call = toONP
    ? stridedKernel(name, [o, n, p], "f32", [{ type: "f32", strides: [p, o * p, 1] }], "v0")
    : stridedKernel(name, [n, o, p], "f32", [{ type: "f32", strides: [p, n * p, 1] }], "v0");
  call.bindings = [from, to];
  return call;
}

export function conv2dForwardPlan(g: ConvDims, a: Conv2dAttrs): KernelPlan {
  const CKK = g.c * g.kh * g.kw;
  const P = g.oh * g.ow;
  const NP = g.n * P;
  const mm = matmulPlan("conv2d/matmul", { m: g.o, n: NP, k: CKK, sAi: CKK, sAp: 1, sBp: NP, sBj: 1 }, [{ in: 1 }, { scratch: 0 }, { scratch: 1 }], 2);
  return {
    scratch: [CKK * NP * 4, g.o * NP * 4, ...mm.scratch],
    calls: [im2colCall(g, a, { in: 0 }, { scratch: 0 }), ...mm.calls, swapNO("conv2d/permute", g.n, g.o, P, false, { scratch: 1 }, { out: 0 })],
  };
}

export function conv2dBackwardInputPlan(g: ConvDims, a: Conv2dAttrs): KernelPlan {
  const CKK = g.c * g.kh * g.kw;
  const P = g.oh * g.ow;
  const NP = g.n * P;
  // dcols [CKK, NP] = Wᵀ [CKK, O] · dy' [O, NP]; W is [O, CKK] row-major
  const mm = matmulPlan("conv2dBackwardInput/matmul", { m: CKK, n: NP, k: g.o, sAi: 1, sAp: CKK, sBp: NP, sBj: 1 }, [{ in: 1 }, { scratch: 0 }, { scratch: 1 }], 2);
  return {
    scratch: [g.o * NP * 4, CKK * NP * 4, ...mm.scratch],
    calls: [swapNO("conv2dBackwardInput/permute", g.n, g.o, P, true, { in: 0 }, { scratch: 0 }), ...mm.calls, col2imCall(g, a, { scratch: 1 }, { out: 0 })],
  };
}

export function conv2dBackwardFilterPlan(g: ConvDims, a: Conv2dAttrs): KernelPlan {
  const CKK = g.c * g.kh * g.kw;
  const P = g.oh * g.ow;
  const NP = g.n * P;
  // dW [O, CKK] = dy' [O, NP] · colsᵀ [NP, CKK]: few outputs, long K → split-K
  const mm = matmulPlan("conv2dBackwardFilter/matmul", { m: g.o, n: CKK, k: NP, sAi: NP, sAp: 1, sBp: 1, sBj: NP }, [{ scratch: 1 }, { scratch: 0 }, { out: 0 }], 2);
  return {
    scratch: [CKK * NP * 4, g.o * NP * 4, ...mm.scratch],
    calls: [im2colCall(g, a, { in: 0 }, { scratch: 0 }), swapNO("conv2dBackwardFilter/permute", g.n, g.o, P, true, { in: 1 }, { scratch: 1 }), ...mm.calls],
  };
}
