/**
 * @file Max and average pooling over NCHW windows: kernel, stride, padding (top/left, and
 * bottom/right where they differ: TensorFlow's "same"), dilation (the window's elements d
 * apart), and the rows and columns PyTorch's ceil mode adds past the padding (`extra`).
 * Window (oy, ox) reads rows oy·SH − PT + ky·DH and columns ox·SW − PL + kx·DW, ky < KH,
 * kx < KW, of those the ones inside the image. maxPool2d returns the pooled values and, as a
 * second output, the argmax of each window (index y·W + x within its [H, W] plane), so the
 * backward pass scatters dy through the saved indices instead of searching again. Padding
 * counts as −∞ for max; for average, `countIncludePad` (PyTorch's default true) divides by the
 * window's elements inside the image and its padding (kh·kw but where ceil mode's extra rows
 * cut it), else by those inside the image.
 */
import { requireFloat, type TypedArray } from "../dtype.ts";
import { ShapeError, fmtShape } from "../errors.ts";
import { apply, apply1 } from "../graph/ir.ts";
import type { Tensor } from "../tensor.ts";
import type { OpDef, ValueInfo } from "./types.ts";
import { col2imDef, pair, windowGeometry, type WindowAttrs } from "./conv2d.ts";
import { col2imConstants } from "./conv_kernels.ts";
import { allocArray } from "../dtype.ts";
import { shaderCall } from "./shaders.ts";
import { fastKernels, runCpu } from "./cpu_fast.ts";

export interface PoolAttrs {
  kernel: [number, number];
  stride: [number, number];
  /** Top and left padding (and bottom and right, unless `padEnd` says otherwise). */
  padding: [number, number];
  /** Bottom and right padding, where it differs from `padding`. */
  padEnd?: [number, number];
  /** Distance between the window's elements (default 1). */
  dilation?: [number, number];
  /** Rows and columns past the bottom/right padding that ceil mode's last windows reach (never counted). */
  extra?: [number, number];
}

/** The window's full attributes, defaults filled in. */
interface Window {
  k: [number, number]; s: [number, number]; p0: [number, number]; p1: [number, number]; d: [number, number]; e: [number, number];
}
const windowOf = (a: PoolAttrs): Window => ({ k: a.kernel, s: a.stride, p0: a.padding, p1: a.padEnd ?? a.padding, d: a.dilation ?? [1, 1], e: a.extra ?? [0, 0] });
/** The rows (i = 0) or columns (1) a window spans, first to last element. */
const spanOf = (w: Window, i: 0 | 1) => w.d[i] * (w.k[i] - 1) + 1;

export interface AvgPoolAttrs extends PoolAttrs {
  countIncludePad: boolean;
}

interface PoolGeometry {
  n: number; c: number; h: number; w: number; oh: number; ow: number;
}

export function poolGeometry(op: string, shape: readonly number[], a: PoolAttrs): PoolGeometry {
  if (shape.length !== 4) throw new ShapeError(`${op}: input must be 4-D NCHW, got ${fmtShape(shape)}`);
  const [n, c, h, w] = shape;
  const win = windowOf(a);
  const out = (i: 0 | 1) => Math.floor((shape[2 + i] + win.p0[i] + win.p1[i] + win.e[i] - spanOf(win, i)) / win.s[i]) + 1;
  const [oh, ow] = [out(0), out(1)];
  if (oh < 1 || ow < 1) throw new ShapeError(`${op}: window ${a.kernel.join("×")}${a.dilation ? ` (dilation ${a.dilation.join("×")})` : ""} does not fit input ${fmtShape(shape)} with padding ${[win.p0[0], win.p1[0], win.p0[1], win.p1[1]].join(",")}`);
  return { n, c, h, w, oh, ow };
}

function poolInfer(op: string, x: ValueInfo, a: PoolAttrs): PoolGeometry {
  requireFloat(op, "input", x.dtype);
  return poolGeometry(op, x.shape, a);
}

/**
 * Visits each output window: f(plane, outIndex, rows, cols) with the window's rows and columns
 * inside the image (in order), and `padded`: how many of its elements lie inside the image or
 * its padding (what countIncludePad divides by).
 */
function eachWindow(g: PoolGeometry, a: PoolAttrs, f: (plane: number, o: number, rows: number[], cols: number[], padded: number) => void): void {
  const w = windowOf(a);
  // per output row (i = 0) or column (1): the window's in-image positions and its count inside the padding
  const lines = (i: 0 | 1, n: number, out: number) => Array.from({ length: out }, (_, o) => {
    const start = o * w.s[i] - w.p0[i];
    const at = Array.from({ length: w.k[i] }, (_, k) => start + k * w.d[i]);
    return { inside: at.filter((v) => v >= 0 && v < n), padded: at.filter((v) => v < n + w.p1[i]).length };
  });
  const ys = lines(0, g.h, g.oh), xs = lines(1, g.w, g.ow);
  for (let plane = 0; plane < g.n * g.c; plane++) {
    for (let oy = 0; oy < g.oh; oy++) {
      for (let ox = 0; ox < g.ow; ox++) f(plane, (plane * g.oh + oy) * g.ow + ox, ys[oy].inside, xs[ox].inside, ys[oy].padded * xs[ox].padded);
    }
  }
}

/**
 * One plane's windows as the fast mode's index table: for each output, its taps' plane indices
 * in eachWindow's order (rows, then columns), −1 for the taps outside the image.
 */
function windowTable(g: PoolGeometry, a: PoolAttrs, taps: number): Int32Array {
  const t = new Int32Array(g.oh * g.ow * taps).fill(-1);
  eachWindow({ ...g, n: 1, c: 1 }, a, (_plane, o, rows, cols) => {
    let e = o * taps;
    for (const yy of rows) for (const xx of cols) t[e++] = yy * g.w + xx;
  });
  return t;
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
    if (inside(a)) return maxPoolInside(x, y, arg, g, a);
    eachWindow(g, a, (plane, o, rows, cols) => {
      let best = -Infinity;
      let at = -1;
      for (const yy of rows) {
        for (const xx of cols) {
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
  // the fast mode: by an index table of each plane's windows, the same rule (exact)
  cpuFast: ({ inputs: [x], outputs: [y, arg], inShapes: [xs], attrs: a, cpu }) => {
    const fast = x instanceof Float32Array && y instanceof Float32Array ? fastKernels(cpu.threads) : null;
    if (!fast) return false;
    const g = poolGeometry("maxPool2d", xs, a), taps = a.kernel[0] * a.kernel[1];
    fast.windowMax(x as Float32Array, y as Float32Array, arg as Int32Array, g.n * g.c, `maxpool ${g.h} ${g.w} ${JSON.stringify(a)}`, taps, () => windowTable(g, a, taps));
    return true;
  },
  grad: ({ inputs: [x], outputs: [, arg], dys: [dy], attrs }) => [maxPool2dBackward(dy, arg, x.shape, attrs)],
  webgpu: ({ inShapes: [xs], attrs: a }) => {
    const g = poolGeometry("maxPool2d", xs, a);
    const t = g.n * g.c * g.oh * g.ow;
    return { calls: [shaderCall("maxPool2d", "max_pool2d", [{ in: 0 }, { out: 0 }, { out: 1 }], { ...poolConstants(g, a, t), INSIDE: inside(a) ? 1 : 0 }, { threads: t })] };
  },
};

/**
 * maxPool2d's CPU loop for windows inside the image (no padding or dilation: LeNet's), with
 * the window's offsets computed directly: the same elements in the same order as the general
 * loop, so the same maxima and argmaxes.
 */
function maxPoolInside(x: ArrayLike<number>, y: TypedArray, arg: TypedArray, g: PoolGeometry, a: PoolAttrs): void {
  const [kh, kw] = a.kernel, [sh, sw] = a.stride;
  let o = 0;
  for (let plane = 0; plane < g.n * g.c; plane++) {
    const base = plane * g.h * g.w;
    for (let oy = 0; oy < g.oh; oy++) {
      for (let ox = 0; ox < g.ow; ox++, o++) {
        const corner = oy * sh * g.w + ox * sw;
        let best = -Infinity;
        let at = -1;
        for (let ky = 0; ky < kh; ky++) {
          for (let kx = 0, pos = corner + ky * g.w; kx < kw; kx++, pos++) {
            const v = x[base + pos];
            if (at < 0 || v > best || (v !== v && best === best)) {
              best = v;
              at = pos;
            }
          }
        }
        y[o] = best;
        arg[o] = at;
      }
    }
  }
}

export const maxPool2dBackwardDef: OpDef<PoolAttrs & { inputShape: number[] }> = {
  name: "maxPool2dBackward",
  infer: ([dy, arg, mask], a) => {
    if (mask && mask.shape.join() !== a.inputShape.join()) throw new ShapeError(`maxPool2dBackward: mask ${fmtShape(mask.shape)} should be the input's shape ${fmtShape(a.inputShape)}`);
    requireFloat("maxPool2dBackward", "dy", dy.dtype);
    const want = poolGeometry("maxPool2dBackward", a.inputShape, a);
    if (dy.shape.join() !== [want.n, want.c, want.oh, want.ow].join() || arg.shape.join() !== dy.shape.join()) {
      throw new ShapeError(`maxPool2dBackward: dy ${fmtShape(dy.shape)} / argmax ${fmtShape(arg.shape)} do not match input ${fmtShape(a.inputShape)}`);
    }
    return [{ shape: a.inputShape, dtype: dy.dtype }];
  },
  // dx[argmax of window] += dy[window]: overlapping windows may share an argmax
  cpu: ({ inputs: [dy, arg, mask], outputs: [dx], attrs: a }) => {
    const [, , h, w] = a.inputShape;
    const g = poolGeometry("maxPool2dBackward", a.inputShape, a);
    const per = g.oh * g.ow;
    // windows that do not overlap: a pixel takes one dy or none, so it is written directly
    // (0 + dy, as the float64 sum would give it: −0 becomes 0); else summed in float64
    const direct = nonOverlapping(a) === 1;
    const acc = direct ? dx : new Float64Array(dx.length);
    if (direct) dx.fill(0);
    for (let o = 0, plane = 0; o < dy.length; o++) {
      if (o - plane * per >= per) plane++;
      if (arg[o] >= 0) acc[plane * h * w + arg[o]] += dy[o];
    }
    // fused with the ReLU before the pooling (graph/fuse.ts): 0 where its output is not > 0
    if (mask) for (let i = 0; i < acc.length; i++) if (!(mask[i] > 0)) acc[i] = 0;
    if (!direct) dx.set(acc);
  },
  // the fast mode: per-plane scatters, float32 sums (exact where windows do not overlap)
  cpuFast: ({ inputs: [dy, arg, mask], outputs: [dx], attrs: a, cpu }) => {
    const fast = dy instanceof Float32Array && dx instanceof Float32Array && (!mask || mask instanceof Float32Array) ? fastKernels(cpu.threads) : null;
    if (!fast) return false;
    const g = poolGeometry("maxPool2dBackward", a.inputShape, a);
    fast.poolScatter(dy as Float32Array, arg as Int32Array, dx as Float32Array, g.n * g.c, mask as Float32Array | undefined);
    return true;
  },
  // gather form: each input pixel sums dy over the windows that contain it and chose it;
  // windows that tile the plane exactly (LeNet's 2×2 on 28×28 and 10×10) scatter instead
  webgpu: ({ attrs: a, inShapes }) => {
    const g = poolGeometry("maxPool2dBackward", a.inputShape, a);
    const t = tiles(g, a) ? g.n * g.c * g.oh * g.ow : g.n * g.c * g.h * g.w;
    const mask = inShapes.length === 3;
    const constants = { ...poolConstants(g, a, t), NONOVERLAP: nonOverlapping(a), TILES: tiles(g, a) ? 1 : 0, MASK: mask ? 1 : 0 };
    return { calls: [shaderCall("maxPool2dBackward", "max_pool2d_backward", [{ in: 0 }, { in: 1 }, { out: 0 }, { in: mask ? 2 : 0 }], constants, { threads: t }, { tokens: POOL_TILE_NAMES })] };
  },
};

/** What lib/pool_tile calls the pooled input and the gradient in the pooling shaders. */
const POOL_TILE_NAMES = { PX: "x", DX: "dx" };

export interface Col2imPoolAttrs {
  col2im: WindowAttrs & { inputShape: number[] };
  pool: PoolAttrs & { inputShape: number[] };
}

/**
 * col2im and the maxPool2dBackward that reads its result (dy) as one step: (dcols, arg[, x])
 * → dx, what maxPool2dBackward(col2im(dcols), arg[, x]) computes (with x: masked by the ReLU
 * before the pooling). Made only by the planner (graph/fuse.ts), for windows that tile the
 * plane; not differentiated.
 */
export const col2imMaxPool2dBackwardDef: OpDef<Col2imPoolAttrs> = {
  name: "col2imMaxPool2dBackward",
  infer: ([dcols, arg, mask], a) => {
    const [dy] = col2imDef.infer([dcols], a.col2im);
    if (!tiles(poolGeometry("col2imMaxPool2dBackward", a.pool.inputShape, a.pool), a.pool)) {
      throw new ShapeError(`col2imMaxPool2dBackward: fuses windows that tile the plane only (kernel = stride, no padding), got window ${a.pool.kernel.join("×")} stride ${a.pool.stride.join("×")} on ${fmtShape(a.pool.inputShape)}`);
    }
    return maxPool2dBackwardDef.infer(mask ? [dy, arg, mask] : [dy, arg], a.pool);
  },
  // the two reference loops, as they run unfused (col2im's result rounded to the dtype)
  cpu: (args) => {
    const [dcols, ...rest] = args.inputs;
    const dy = allocArray(args.outputs[0] instanceof Float64Array ? "float64" : "float32", args.attrs.col2im.inputShape.reduce((x, y) => x * y, 1));
    runCpu(col2imDef, { ...args, inputs: [dcols], outputs: [dy], attrs: args.attrs.col2im });
    runCpu(maxPool2dBackwardDef, { ...args, inputs: [dy, ...rest], attrs: args.attrs.pool });
  },
  webgpu: ({ attrs: a, inShapes }) => {
    const g = poolGeometry("col2imMaxPool2dBackward", a.pool.inputShape, a.pool);
    const t = g.n * g.c * g.oh * g.ow;
    const mask = inShapes.length === 3;
    const cg = windowGeometry("col2imMaxPool2dBackward", a.col2im.inputShape, a.col2im.kernel, a.col2im);
    const constants = { ...poolConstants(g, a.pool, t), ...col2imConstants(cg, a.col2im, "G"), MASK: mask ? 1 : 0 };
    const bindings = [{ in: 0 }, { in: 1 }, { out: 0 }, { in: mask ? 2 : 0 }];
    return { calls: [shaderCall("col2imMaxPool2dBackward", "col2im_max_pool2d_backward", bindings, constants, { threads: t }, { tokens: { Q: "G", ...POOL_TILE_NAMES } })] };
  },
};

/** Windows that tile the plane exactly (what col2imMaxPool2dBackward fuses). */
export function poolTiles(a: PoolAttrs & { inputShape: number[] }): boolean {
  return tiles(poolGeometry("maxPool2dBackward", a.inputShape, a), a);
}

export const avgPool2dDef: OpDef<AvgPoolAttrs> = {
  name: "avgPool2d",
  infer: ([x], a) => {
    const g = poolInfer("avgPool2d", x, a);
    return [{ shape: [g.n, g.c, g.oh, g.ow], dtype: x.dtype }];
  },
  cpu: ({ inputs: [x], outputs: [y], inShapes: [xs], attrs: a }) => {
    const g = poolGeometry("avgPool2d", xs, a);
    eachWindow(g, a, (plane, o, rows, cols, padded) => {
      let s = 0;
      for (const yy of rows) for (const xx of cols) s += x[(plane * g.h + yy) * g.w + xx];
      y[o] = s / (a.countIncludePad ? padded : rows.length * cols.length);
    });
  },
  grad: ({ inputs: [x], dys: [dy], attrs }) => [avgPool2dBackward(dy, x.shape, attrs)],
  webgpu: ({ inShapes: [xs], attrs: a }) => {
    const g = poolGeometry("avgPool2d", xs, a);
    const t = g.n * g.c * g.oh * g.ow;
    const constants = { ...poolConstants(g, a, t), INSIDE: inside(a) ? 1 : 0, COUNT_PAD: a.countIncludePad ? 1 : 0 };
    return { calls: [shaderCall("avgPool2d", "avg_pool2d", [{ in: 0 }, { out: 0 }], constants, { threads: t })] };
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
    eachWindow(g, a, (plane, o, rows, cols, padded) => {
      const share = dy[o] / (a.countIncludePad ? padded : rows.length * cols.length);
      for (const yy of rows) for (const xx of cols) acc[(plane * g.h + yy) * g.w + xx] += share;
    });
    dx.set(acc);
  },
  // linear in dy; its adjoint is the forward average pool
  grad: ({ dys: [g], attrs }) => [avgPool2d(g, attrs)],
  webgpu: ({ attrs: a }) => {
    const g = poolGeometry("avgPool2dBackward", a.inputShape, a);
    const t = g.n * g.c * g.h * g.w;
    const constants = { ...poolConstants(g, a, t), NONOVERLAP: nonOverlapping(a), COUNT_PAD: a.countIncludePad ? 1 : 0 };
    return { calls: [shaderCall("avgPool2dBackward", "avg_pool2d_backward", [{ in: 0 }, { out: 0 }], constants, { threads: t })] };
  },
};

/** Without padding (or ceil mode's extra) every window lies inside the image; without dilation its elements are contiguous. */
const inside = (a: PoolAttrs) => {
  const w = windowOf(a);
  return [...w.p0, ...w.p1, ...w.e].every((v) => v === 0) && w.d[0] === 1 && w.d[1] === 1;
};

/** The override constants every pooling shader takes (shaders/*pool2d*.wgsl, lib/pool_overrides). */
export function poolConstants(g: PoolGeometry, a: PoolAttrs, threads: number): Record<string, number> {
  const w = windowOf(a);
  const [KH, KW] = w.k, [SH, SW] = w.s, [PH, PW] = w.p0, [PB, PR] = w.p1, [DH, DW] = w.d;
  return { T: threads, H: g.h, W: g.w, OH: g.oh, OW: g.ow, KH, KW, SH, SW, PH, PW, PB, PR, DH, DW };
}

/** Windows that do not overlap (their spans at most the stride): a pixel is in one window or none. */
const nonOverlapping = (a: PoolAttrs) => {
  const w = windowOf(a);
  return spanOf(w, 0) <= w.s[0] && spanOf(w, 1) <= w.s[1] ? 1 : 0;
};

/** Windows that tile the plane exactly: kernel = stride, no padding, nothing left over. */
const tiles = (g: PoolGeometry, a: PoolAttrs) =>
  inside(a) && a.kernel[0] === a.stride[0] && a.kernel[1] === a.stride[1] && g.oh * a.kernel[0] === g.h && g.ow * a.kernel[1] === g.w;

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

/** Max pooling with the op's full attributes (asymmetric padding, dilation, ceil mode's extra: F.maxPool2d). */
export function maxPool2dWith(x: Tensor, attrs: PoolAttrs): Tensor {
  return apply(maxPool2dDef, [x], attrs)[0];
}

export function maxPool2dBackward(dy: Tensor, argmax: Tensor, inputShape: readonly number[], attrs: PoolAttrs): Tensor {
  return apply1(maxPool2dBackwardDef, [dy, argmax], { ...attrs, inputShape: [...inputShape] });
}

/** Mean over each window of x [N, C, H, W] → [N, C, OH, OW]. */
export function avgPool2d(x: Tensor, opts: Pool2dOptions & { countIncludePad?: boolean } | AvgPoolAttrs): Tensor {
  const attrs: AvgPoolAttrs = "kernel" in opts
    ? { kernel: opts.kernel, stride: opts.stride, padding: opts.padding, ...(opts.padEnd ? { padEnd: opts.padEnd } : {}), ...(opts.dilation ? { dilation: opts.dilation } : {}), ...(opts.extra ? { extra: opts.extra } : {}), countIncludePad: opts.countIncludePad }
    : { ...poolAttrs("avgPool2d", opts), countIncludePad: opts.countIncludePad ?? true };
  return apply1(avgPool2dDef, [x], attrs);
}

export function avgPool2dBackward(dy: Tensor, inputShape: readonly number[], attrs: AvgPoolAttrs): Tensor {
  return apply1(avgPool2dBackwardDef, [dy], { ...attrs, inputShape: [...inputShape] });
}
