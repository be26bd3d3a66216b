/**
 * @file WGSL for the two convolution primitives of conv2d.ts (the matmuls between them are
 * ordinary matmuls). With P = OH·OW and CKK = C·kh·kw, the column matrices of all images lie
 * one after another: cols [N, CKK, P], cols[n, r, p] = x[n, c, oy·sh − ph + i·dh,
 * ox·sw − pw + j·dw] (0 in the padding) for r = (c·kh + i)·kw + j and p = oy·OW + ox.
 * col2im gathers (one thread per dx element sums the columns that read it), so no atomics
 * are needed.
 */
import type { BufferRef, KernelCall } from "./types.ts";
import type { Conv2dAttrs, WindowGeometry } from "./conv2d.ts";
import { shaderCall } from "./shaders.ts";

/** The override constants both shaders take: the window geometry and the attributes. */
function windowConstants(g: WindowGeometry, a: Conv2dAttrs, threads: number): Record<string, number> {
  const [SH, SW] = a.stride, [DH, DW] = a.dilation, [PH, PW] = a.padding;
  return { T: threads, C: g.c, H: g.h, W: g.w, KH: g.kh, KW: g.kw, OH: g.oh, OW: g.ow, SH, SW, DH, DW, PH, PW };
}

/** col2im's override constants with a prefix (lib/col2im_sum in a shader with other overrides). */
export function col2imConstants(g: WindowGeometry, a: Conv2dAttrs, prefix: string): Record<string, number> {
  const { T: _, ...rest } = windowConstants(g, a, 0);
  return Object.fromEntries(Object.entries(rest).map(([k, v]) => [prefix + k, v]));
}

/**
 * shaders/im2col.wgsl: one thread per cols row segment (n, r, oy), or with `perElement` (a
 * GPU) one per element of cols, so consecutive threads write consecutive addresses.
 */
export function im2colCall(g: WindowGeometry, a: Conv2dAttrs, x: BufferRef, cols: BufferRef, perElement = false): KernelCall {
  const threads = g.n * g.c * g.kh * g.kw * g.oh * (perElement ? g.ow : 1);
  return shaderCall("im2col", "im2col", [x, cols], { ...windowConstants(g, a, threads), SEGMENTS: perElement ? 0 : 1 }, { threads });
}

/** shaders/col2im.wgsl: one thread per dx element, gathering the columns that read it. */
export function col2imCall(g: WindowGeometry, a: Conv2dAttrs, dcols: BufferRef, dx: BufferRef): KernelCall {
  const threads = g.n * g.c * g.h * g.w;
  return shaderCall("col2im", "col2im", [dcols, dx], windowConstants(g, a, threads), { threads }, { tokens: { Q: "" } });
}

/**
 * lib/matmul_tile_b_im2col's override constants: the tiled matmul reading a convolution's
 * columns from its image, as B or, with `transposed`, as Bᵀ (a weight gradient).
 */
export function im2colTileConstants(g: WindowGeometry, a: Conv2dAttrs, transposed: boolean): Record<string, number> {
  const [IC_SH, IC_SW] = a.stride, [IC_DH, IC_DW] = a.dilation, [IC_PH, IC_PW] = a.padding;
  return { IC_H: g.h, IC_W: g.w, IC_KH: g.kh, IC_KW: g.kw, IC_OW: g.ow, IC_SH, IC_SW, IC_DH, IC_DW, IC_PH, IC_PW, IC_T: transposed ? 1 : 0 };
}
