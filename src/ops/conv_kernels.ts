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
import { coords } from "./strided_kernels.ts";
import { declare, kernel1d } from "./wgsl.ts";

/**
 * One thread per cols row segment (n, r, oy): the ox that read inside the image form one
 * run [lo, hi), computed once, so the copy loop has no bounds test and the padding on either
 * side is a plain fill.
 */
export function im2colCall(g: WindowGeometry, a: Conv2dAttrs, x: BufferRef, cols: BufferRef): KernelCall {
  const [sh, sw] = a.stride, [dh, dw] = a.dilation, [ph, pw] = a.padding;
  const body = `${coords([g.n, g.c, g.kh, g.kw, g.oh])}
  let base = i * ${g.ow}u;
  let y = i32(c4 * ${sh}u + c2 * ${dh}u) - ${ph};
  // column ox reads x at ox·sw − shift: inside the image for ox ∈ [lo, hi)
  let shift = ${pw} - i32(c3 * ${dw}u);
  var lo = 0;
  var hi = 0;
  if (y >= 0 && y < ${g.h}) {
    lo = clamp(select(0, (shift + ${sw - 1}) / ${sw}, shift > 0), 0, ${g.ow});
    hi = clamp(select(0, (${g.w - 1} + shift) / ${sw} + 1, ${g.w - 1} + shift >= 0), lo, ${g.ow});
  }
  let src = i32(((c0 * ${g.c}u + c1) * ${g.h}u + u32(max(y, 0))) * ${g.w}u) - shift;
  for (var ox = 0; ox < lo; ox++) { cols[base + u32(ox)] = 0.0; }
  for (var ox = lo; ox < hi; ox++) { cols[base + u32(ox)] = x[u32(src + ox * ${sw})]; }
  for (var ox = hi; ox < ${g.ow}; ox++) { cols[base + u32(ox)] = 0.0; }`;
  return kernel1d("im2col", g.n * g.c * g.kh * g.kw * g.oh, declare([{ name: "x", type: "f32" }, { name: "cols", type: "f32", write: true }]), body, [x, cols]);
}

export function col2imCall(g: WindowGeometry, a: Conv2dAttrs, dcols: BufferRef, dx: BufferRef): KernelCall {
  const P = g.oh * g.ow;
  const CKK = g.c * g.kh * g.kw;
  const body = `${coords([g.n, g.c, g.h, g.w])}
  var s = 0.0;
  for (var ki = 0u; ki < ${g.kh}u; ki++) {
    let ty = i32(c2) + ${a.padding[0]} - i32(ki * ${a.dilation[0]}u);
    if (ty < 0 || ty % ${a.stride[0]} != 0 || ty / ${a.stride[0]} >= ${g.oh}) { continue; }
    for (var kj = 0u; kj < ${g.kw}u; kj++) {
      let tx = i32(c3) + ${a.padding[1]} - i32(kj * ${a.dilation[1]}u);
      if (tx < 0 || tx % ${a.stride[1]} != 0 || tx / ${a.stride[1]} >= ${g.ow}) { continue; }
      let r = (c1 * ${g.kh}u + ki) * ${g.kw}u + kj;
      s += dcols[(c0 * ${CKK}u + r) * ${P}u + u32(ty / ${a.stride[0]}) * ${g.ow}u + u32(tx / ${a.stride[1]})];
    }
  }
  dx[i] = s;`;
  return kernel1d("col2im", g.n * g.c * g.h * g.w, declare([{ name: "dcols", type: "f32" }, { name: "dx", type: "f32", write: true }]), body, [dcols, dx]);
}
