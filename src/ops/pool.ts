/**
 * @file Max and average pooling over NCHW windows (kernel, stride, padding; floor mode).
 * maxPool2d returns the pooled values and, as a second output, the argmax of each window
 * (index y·W + x within its [H, W] plane), so the backward pass scatters dy through the
 * saved indices instead of searching again. Padding counts as −∞ for max; for average,
 * `countIncludePad` (PyTorch's default true) divides by kh·kw, else by the in-image count.
 */
import { requireFloat } from "../dtype.ts";
import { ShapeError, fmtShape } from "../errors.ts";
import { apply, apply1 } from "../graph/ir.ts";
import type { Tensor } from "../tensor.ts";
import type { OpDef, ValueInfo } from "./types.ts";
import { pair, windowOut } from "./conv2d.ts";
import { IS_NAN, declare, kernel1d } from "./wgsl.ts";

export interface PoolAttrs {
  kernel: [number, number];
  stride: [number, number];
  padding: [number, number];
}

export interface AvgPoolAttrs extends PoolAttrs {
  countIncludePad: boolean;
}

interface PoolGeometry {
  n: number; c: number; h: number; w: number; oh: number; ow: number;
}

function poolGeometry(op: string, shape: readonly number[], a: PoolAttrs): PoolGeometry {
  if (shape.length !== 4) throw new ShapeError(`${op}: input must be 4-D NCHW, got ${fmtShape(shape)}`);
  const [n, c, h, w] = shape;
  const oh = windowOut(h, a.kernel[0], a.stride[0], a.padding[0]);
  const ow = windowOut(w, a.kernel[1], a.stride[1], a.padding[1]);
  if (oh < 1 || ow < 1) throw new ShapeError(`${op}: window ${a.kernel.join("×")} does not fit input ${fmtShape(shape)} with padding ${a.padding.join(",")}`);
  return { n, c, h, w, oh, ow };
}

function poolInfer(op: string, x: ValueInfo, a: PoolAttrs): PoolGeometry {
  requireFloat(op, "input", x.dtype);
  return poolGeometry(op, x.shape, a);
}

/** Visits each output window: f(plane, outIndex, y0, x0) with the window's top-left corner. */
function eachWindow(g: PoolGeometry, a: PoolAttrs, f: (plane: number, o: number, y0: number, x0: number) => void): void {
  for (let plane = 0; plane < g.n * g.c; plane++) {
    for (let oy = 0; oy < g.oh; oy++) {
      for (let ox = 0; ox < g.ow; ox++) {
        f(plane, (plane * g.oh + oy) * g.ow + ox, oy * a.stride[0] - a.padding[0], ox * a.stride[1] - a.padding[1]);
      }
    }
  }
}

export const maxPool2dDef: OpDef<PoolAttrs> = {
  name: "maxPool2d",
  infer: ([x], a) => {
    const g = poolInfer("maxPool2d", x, a);
    const shape = [g.n, g.c, g.oh, g.ow];
    return [{ shape, dtype: x.dtype }, { shape, dtype: "int32" }];
  },
  // strict > keeps the first maximum; a NaN wins over any number (as PyTorch)
  cpu: ({ inputs: [x], outputs: [y, arg], inShapes: [xs], attrs: a }) => {
    const g = poolGeometry("maxPool2d", xs, a);
    eachWindow(g, a, (plane, o, y0, x0) => {
      let best = -Infinity;
      let at = -1;
      for (let yy = Math.max(0, y0); yy < Math.min(g.h, y0 + a.kernel[0]); yy++) {
        for (let xx = Math.max(0, x0); xx < Math.min(g.w, x0 + a.kernel[1]); xx++) {
          const v = x[(plane * g.h + yy) * g.w + xx];
          if (at < 0 || v > best || (v !== v && best === best)) {
            best = v;
            at = yy * g.w + xx;
          }
        }
      }
      y[o] = best;
      arg[o] = at;
    });
  },
  grad: ({ inputs: [x], outputs: [, arg], dys: [dy], attrs }) => [maxPool2dBackward(dy, arg, x.shape, attrs)],
  webgpu: ({ inShapes: [xs], attrs: a }) => {
    const g = poolGeometry("maxPool2d", xs, a);
    const body = `  var best = 0.0;
  var at = -1;
${windowVisit(g, a, "if (at < 0 || v > best || (is_nan(v) && !is_nan(best))) { best = v; at = pos; }")}
  y[i] = best;
  arg[i] = at;`;
    const decls = declare([{ name: "x", type: "f32" }, { name: "y", type: "f32", write: true }, { name: "arg", type: "i32", write: true }]);
    return { calls: [kernel1d("maxPool2d", g.n * g.c * g.oh * g.ow, decls, body, [{ in: 0 }, { out: 0 }, { out: 1 }], IS_NAN)] };
  },
};

export const maxPool2dBackwardDef: OpDef<PoolAttrs & { inputShape: number[] }> = {
  name: "maxPool2dBackward",
  infer: ([dy, arg], a) => {
    requireFloat("maxPool2dBackward", "dy", dy.dtype);
    const want = poolGeometry("maxPool2dBackward", a.inputShape, a);
    if (dy.shape.join() !== [want.n, want.c, want.oh, want.ow].join() || arg.shape.join() !== dy.shape.join()) {
      throw new ShapeError(`maxPool2dBackward: dy ${fmtShape(dy.shape)} / argmax ${fmtShape(arg.shape)} do not match input ${fmtShape(a.inputShape)}`);
    }
    return [{ shape: a.inputShape, dtype: dy.dtype }];
  },
  // dx[argmax of window] += dy[window]: overlapping windows may share an argmax
  cpu: ({ inputs: [dy, arg], outputs: [dx], attrs: a }) => {
    const [, , h, w] = a.inputShape;
    const g = poolGeometry("maxPool2dBackward", a.inputShape, a);
    const acc = new Float64Array(dx.length);
    const per = g.oh * g.ow;
    for (let o = 0; o < dy.length; o++) {
      if (arg[o] >= 0) acc[Math.floor(o / per) * h * w + arg[o]] += dy[o];
    }
    dx.set(acc);
  },
  // gather form: each input pixel sums dy over the windows that contain it and chose it;
  // windows that tile the plane exactly (LeNet's 2×2 on 28×28 and 10×10) scatter instead
  webgpu: ({ attrs: a }) => {
    const g = poolGeometry("maxPool2dBackward", a.inputShape, a);
    const decls = declare([{ name: "dy", type: "f32" }, { name: "arg", type: "i32" }, { name: "dx", type: "f32", write: true }]);
    const bindings = [{ in: 0 }, { in: 1 }, { out: 0 }];
    if (tiles(g, a)) return { calls: [kernel1d("maxPool2dBackward", g.n * g.c * g.oh * g.ow, decls, tileScatter(g, a), bindings)] };
    const body = pixelBody(g, a, `let o = plane * ${g.oh * g.ow}u + u32(oy * ${g.ow} + ox);
      if (arg[o] == pos) { s += dy[o]; }`);
    return { calls: [kernel1d("maxPool2dBackward", g.n * g.c * g.h * g.w, decls, body, bindings)] };
  },
};

export const avgPool2dDef: OpDef<AvgPoolAttrs> = {
  name: "avgPool2d",
  infer: ([x], a) => {
    const g = poolInfer("avgPool2d", x, a);
    return [{ shape: [g.n, g.c, g.oh, g.ow], dtype: x.dtype }];
  },
  cpu: ({ inputs: [x], outputs: [y], inShapes: [xs], attrs: a }) => {
    const g = poolGeometry("avgPool2d", xs, a);
    eachWindow(g, a, (plane, o, y0, x0) => {
      let s = 0;
      let count = 0;
      for (let yy = Math.max(0, y0); yy < Math.min(g.h, y0 + a.kernel[0]); yy++) {
        for (let xx = Math.max(0, x0); xx < Math.min(g.w, x0 + a.kernel[1]); xx++) {
          s += x[(plane * g.h + yy) * g.w + xx];
          count++;
        }
      }
      y[o] = s / (a.countIncludePad ? a.kernel[0] * a.kernel[1] : count);
    });
  },
  grad: ({ inputs: [x], dys: [dy], attrs }) => [avgPool2dBackward(dy, x.shape, attrs)],
  webgpu: ({ inShapes: [xs], attrs: a }) => {
    const g = poolGeometry("avgPool2d", xs, a);
    const body = `  var s = 0.0;
${windowVisit(g, a, "s += v;")}
  y[i] = s / ${a.countIncludePad || inside(a) ? `${a.kernel[0] * a.kernel[1]}.0` : "f32((y1 - y0) * (x1 - x0))"};`;
    const decls = declare([{ name: "x", type: "f32" }, { name: "y", type: "f32", write: true }]);
    return { calls: [kernel1d("avgPool2d", g.n * g.c * g.oh * g.ow, decls, body, [{ in: 0 }, { out: 0 }])] };
  },
};

export const avgPool2dBackwardDef: OpDef<AvgPoolAttrs & { inputShape: number[] }> = {
  name: "avgPool2dBackward",
  infer: ([dy], a) => {
    requireFloat("avgPool2dBackward", "dy", dy.dtype);
    const g = poolGeometry("avgPool2dBackward", a.inputShape, a);
    if (dy.shape.join() !== [g.n, g.c, g.oh, g.ow].join()) {
      throw new ShapeError(`avgPool2dBackward: dy ${fmtShape(dy.shape)} does not match input ${fmtShape(a.inputShape)}`);
    }
    return [{ shape: a.inputShape, dtype: dy.dtype }];
  },
  // each window spreads dy / divisor over its in-image elements
  cpu: ({ inputs: [dy], outputs: [dx], attrs: a }) => {
    const g = poolGeometry("avgPool2dBackward", a.inputShape, a);
    const acc = new Float64Array(dx.length);
    eachWindow(g, a, (plane, o, y0, x0) => {
      const y1 = Math.min(g.h, y0 + a.kernel[0]);
      const x1 = Math.min(g.w, x0 + a.kernel[1]);
      const count = (y1 - Math.max(0, y0)) * (x1 - Math.max(0, x0));
      const share = dy[o] / (a.countIncludePad ? a.kernel[0] * a.kernel[1] : count);
      for (let yy = Math.max(0, y0); yy < y1; yy++) {
        for (let xx = Math.max(0, x0); xx < x1; xx++) acc[(plane * g.h + yy) * g.w + xx] += share;
      }
    });
    dx.set(acc);
  },
  // linear in dy; its adjoint is the forward average pool
  grad: ({ dys: [g], attrs }) => [avgPool2d(g, attrs)],
  webgpu: ({ attrs: a }) => {
    const g = poolGeometry("avgPool2dBackward", a.inputShape, a);
    const div = a.countIncludePad
      ? `${a.kernel[0] * a.kernel[1]}.0`
      : `f32((min(oy * ${a.stride[0]} - ${a.padding[0]} + ${a.kernel[0]}, ${g.h}) - max(oy * ${a.stride[0]} - ${a.padding[0]}, 0)) * (min(ox * ${a.stride[1]} - ${a.padding[1]} + ${a.kernel[1]}, ${g.w}) - max(ox * ${a.stride[1]} - ${a.padding[1]}, 0)))`;
    const body = pixelBody(g, a, `s += dy[plane * ${g.oh * g.ow}u + u32(oy * ${g.ow} + ox)] / ${div};`);
    const decls = declare([{ name: "dy", type: "f32" }, { name: "dx", type: "f32", write: true }]);
    return { calls: [kernel1d("avgPool2dBackward", g.n * g.c * g.h * g.w, decls, body, [{ in: 0 }, { out: 0 }])] };
  },
};

/** Without padding every window lies inside the image (floor mode). */
const inside = (a: PoolAttrs) => a.padding[0] === 0 && a.padding[1] === 0;

/**
 * WGSL: output element i → its window's in-image elements, running `visit` on each (row-major
 * order) with `v` its value and `pos` its index y·W + x in the plane. Windows inside the
 * image are unrolled with constant offsets and no bounds (LeNet's 2×2 max pool: about 4×
 * faster on SwiftShader than the loop); others loop over the window clipped to the image,
 * leaving `y0`, `y1`, `x0`, `x1` defined.
 */
function windowVisit(g: PoolGeometry, a: PoolAttrs, visit: string): string {
  const [kh, kw] = a.kernel;
  const head = windowHead(g, a);
  if (inside(a) && kh * kw <= 25) {
    const cells = Array.from({ length: kh * kw }, (_, e) => {
      const [dy, dx] = [Math.floor(e / kw), e % kw];
      return `  {
    let pos = corner + ${dy * g.w + dx};
    let v = x[plane * ${g.h * g.w}u + u32(pos)];
    ${visit}
  }`;
    });
    return `${head}
${cells.join("\n")}`;
  }
  return `${head}
  let y0 = max(oy * ${a.stride[0]} - ${a.padding[0]}, 0);
  let y1 = min(oy * ${a.stride[0]} - ${a.padding[0]} + ${kh}, ${g.h});
  let x0 = max(ox * ${a.stride[1]} - ${a.padding[1]}, 0);
  let x1 = min(ox * ${a.stride[1]} - ${a.padding[1]} + ${kw}, ${g.w});
  for (var yy = y0; yy < y1; yy++) {
    for (var xx = x0; xx < x1; xx++) {
      let pos = yy * ${g.w} + xx;
      let v = x[plane * ${g.h * g.w}u + u32(pos)];
      ${visit}
    }
  }`;
}

/**
 * WGSL: output element i → its `plane`, window (`oy`, `ox`) and the window's unpadded top-left
 * pixel `corner` = y·W + x (outside the image when the window starts in the padding).
 */
function windowHead(g: PoolGeometry, a: PoolAttrs): string {
  return `  let plane = i / ${g.oh * g.ow}u;
  let oy = i32((i / ${g.ow}u) % ${g.oh}u);
  let ox = i32(i % ${g.ow}u);
  let corner = oy * ${a.stride[0] * g.w} + ox * ${a.stride[1]};`;
}

/** Windows that tile the plane exactly: kernel = stride, no padding, nothing left over. */
const tiles = (g: PoolGeometry, a: PoolAttrs) =>
  inside(a) && a.kernel[0] === a.stride[0] && a.kernel[1] === a.stride[1] && g.oh * a.kernel[0] === g.h && g.ow * a.kernel[1] === g.w;

/**
 * WGSL for max-pool backward over tiling windows: each output window i writes all of its own
 * pixels, dy[i] at the saved argmax and 0 elsewhere. Every dx element is written exactly once,
 * so no thread searches for its window: a quarter of the threads of the gather form, and no
 * division per pixel (LeNet's two: about 2× faster on SwiftShader).
 */
function tileScatter(g: PoolGeometry, a: PoolAttrs): string {
  const [kh, kw] = a.kernel;
  const cells = Array.from({ length: kh * kw }, (_, e) => {
    const off = Math.floor(e / kw) * g.w + (e % kw);
    return `  dx[base + ${off}u] = select(0.0, d, at == corner + ${off});`;
  });
  return `${windowHead(g, a)}
  let base = plane * ${g.h * g.w}u + u32(corner);
  let at = arg[i];
  let d = dy[i];
${cells.join("\n")}`;
}

/**
 * WGSL: input pixel i → runs `add` for each output window (oy, ox) that contains it, then
 * writes dx[i] = s; `add` sees `plane`, `pos` (y·W + x) and the sum `s`. Windows that do
 * not overlap need no loop: the pixel's one candidate window is found by division.
 */
function pixelBody(g: PoolGeometry, a: PoolAttrs, add: string): string {
  const [kh, kw] = a.kernel;
  const [sh, sw] = a.stride;
  const [ph, pw] = a.padding;
  const head = `  let plane = i / ${g.h * g.w}u;
  let py = i32((i / ${g.w}u) % ${g.h}u);
  let px = i32(i % ${g.w}u);
  let pos = py * ${g.w} + px;
  var s = 0.0;`;
  if (kh <= sh && kw <= sw) {
    // windows do not overlap (LeNet's 2×2): the pixel is in window ⌊(y + ph)/sh⌋ or in none
    return `${head}
  let oy = (py + ${ph}) / ${sh};
  let ox = (px + ${pw}) / ${sw};
  if (oy < ${g.oh} && ox < ${g.ow} && py + ${ph} - oy * ${sh} < ${kh} && px + ${pw} - ox * ${sw} < ${kw}) {
      ${add}
  }
  dx[i] = s;`;
  }
  // window oy covers rows oy·sh − ph … oy·sh − ph + kh − 1, so oy ∈ [⌈(y + ph − kh + 1)/sh⌉, ⌊(y + ph)/sh⌋]
  return `${head}
  let oy0 = max(0, (py + ${ph} - ${kh} + ${sh}) / ${sh});
  let oy1 = min(${g.oh - 1}, (py + ${ph}) / ${sh});
  let ox0 = max(0, (px + ${pw} - ${kw} + ${sw}) / ${sw});
  let ox1 = min(${g.ow - 1}, (px + ${pw}) / ${sw});
  for (var oy = oy0; oy <= oy1; oy++) {
    for (var ox = ox0; ox <= ox1; ox++) {
      ${add}
    }
  }
  dx[i] = s;`;
}

export interface Pool2dOptions {
  kernelSize: number | [number, number];
  /** Defaults to kernelSize (non-overlapping windows), as PyTorch. */
  stride?: number | [number, number];
  padding?: number | [number, number];
}

function poolAttrs(op: string, opts: Pool2dOptions | undefined): PoolAttrs {
  if (!opts || typeof opts !== "object") throw new ShapeError(`${op}: pass the options, e.g. { kernelSize: 2 }`);
  const kernel = pair(op, "kernelSize", opts.kernelSize, 1);
  const padding = pair(op, "padding", opts.padding ?? 0, 0);
  if (padding[0] * 2 > kernel[0] || padding[1] * 2 > kernel[1]) {
    throw new ShapeError(`${op}: padding ${padding.join(",")} must be at most half the kernel ${kernel.join("×")}`);
  }
  return { kernel, stride: pair(op, "stride", opts.stride ?? kernel, 1), padding };
}

/** Max over each window of x [N, C, H, W] → [N, C, OH, OW]. */
export function maxPool2d(x: Tensor, opts: Pool2dOptions): Tensor {
  return maxPool2dWithIndices(x, opts)[0];
}

/** Max pooling that also returns each window's argmax (int32, index within its plane). */
export function maxPool2dWithIndices(x: Tensor, opts: Pool2dOptions): [Tensor, Tensor] {
  const [y, arg] = apply(maxPool2dDef, [x], poolAttrs("maxPool2d", opts));
  return [y, arg];
}

export function maxPool2dBackward(dy: Tensor, argmax: Tensor, inputShape: readonly number[], attrs: PoolAttrs): Tensor {
  return apply1(maxPool2dBackwardDef, [dy, argmax], { ...attrs, inputShape: [...inputShape] });
}

/** Mean over each window of x [N, C, H, W] → [N, C, OH, OW]. */
export function avgPool2d(x: Tensor, opts: Pool2dOptions & { countIncludePad?: boolean } | AvgPoolAttrs): Tensor {
  const attrs: AvgPoolAttrs = "kernel" in opts
    ? { kernel: opts.kernel, stride: opts.stride, padding: opts.padding, countIncludePad: opts.countIncludePad }
    : { ...poolAttrs("avgPool2d", opts), countIncludePad: opts.countIncludePad ?? true };
  return apply1(avgPool2dDef, [x], attrs);
}

export function avgPool2dBackward(dy: Tensor, inputShape: readonly number[], attrs: AvgPoolAttrs): Tensor {
  return apply1(avgPool2dBackwardDef, [dy], { ...attrs, inputShape: [...inputShape] });
}
