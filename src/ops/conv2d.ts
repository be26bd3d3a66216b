/**
 * @file 2-D convolution, NCHW, weight [O, C, kh, kw], as im2col + matmul (cross-correlation,
 * as PyTorch). Two primitives, im2col and its adjoint col2im; the rest is matmul, so the
 * backward pass is ordinary autodiff and the forward pass's columns are reused by the weight
 * gradient instead of being built again:
 *   conv2d(x, w)                   y[n] = W · cols[n],  cols = im2col(x)     W viewed as [O, C·kh·kw]
 *   conv2dBackwardInput(dy, w)     dx = col2im(Wᵀ · dy[n])                  (transposed convolution)
 *   conv2dBackwardFilter(x, dy)    dW = Σₙ dy[n] · cols[n]ᵀ
 * im2col row r = (c·kh + i)·kw + j, column p = oy·OW + ox of image n holds
 *   x[n, c, oy·sh − ph + i·dh, ox·sw − pw + j·dw]   (0 outside the image: zero padding).
 */
import { requireFloat, type DType, type TypedArray } from "../dtype.ts";
import { DTypeError, ShapeError, fmtShape } from "../errors.ts";
import { apply1 } from "../graph/ir.ts";
import type { Tensor } from "../tensor.ts";
import type { CpuCaps, OpDef } from "./types.ts";
import { fastKernels, type FastKernels } from "./cpu_fast.ts";
import { col2imCall, im2colCall } from "./conv_kernels.ts";
import { matmul } from "./matmul.ts";
import { reshape } from "./movement.ts";
import { sum } from "./reduce.ts";

export interface Conv2dAttrs {
  stride: [number, number];
  padding: [number, number];
  dilation: [number, number];
}

/** Output length of a sliding window: ⌊(n + 2p − d(k−1) − 1) / s⌋ + 1. */
export function windowOut(n: number, k: number, s: number, p: number, d = 1): number {
  return Math.floor((n + 2 * p - d * (k - 1) - 1) / s) + 1;
}

/** Sizes of a sliding window over x [N, C, H, W]: the image, the window and its output grid. */
export interface WindowGeometry {
  n: number; c: number; h: number; w: number;
  kh: number; kw: number;
  oh: number; ow: number;
}

interface Geometry extends WindowGeometry {
  o: number;
}

/** `shapes` names the operands in the error (a convolution adds its weight). */
export function windowGeometry(op: string, xShape: readonly number[], [kh, kw]: readonly number[], { stride, padding, dilation }: Conv2dAttrs, shapes = `(input ${fmtShape(xShape)})`): WindowGeometry {
  if (xShape.length !== 4) throw new ShapeError(`${op}: input must be 4-D NCHW, got ${fmtShape(xShape)}`);
  const [n, c, h, w] = xShape;
  const oh = windowOut(h, kh, stride[0], padding[0], dilation[0]);
  const ow = windowOut(w, kw, stride[1], padding[1], dilation[1]);
  if (oh < 1 || ow < 1) throw new ShapeError(`${op}: kernel ${kh}×${kw} does not fit the padded ${h}×${w} input ${shapes}`);
  return { n, c, h, w, kh, kw, oh, ow };
}

function geometry(op: string, xShape: readonly number[], wShape: readonly number[], attrs: Conv2dAttrs): Geometry {
  const shapes = `(input ${fmtShape(xShape)}, weight ${fmtShape(wShape)})`;
  if (wShape.length !== 4) throw new ShapeError(`${op}: weight must be 4-D [out, in, kh, kw], got ${fmtShape(wShape)}`);
  const [o, wc, kh, kw] = wShape;
  const g = windowGeometry(op, xShape, [kh, kw], attrs, shapes);
  if (g.c !== wc) throw new ShapeError(`${op}: input has ${g.c} channels, weight expects ${wc} ${shapes}`);
  return { ...g, o };
}

function checkFloat(op: string, a: { dtype: DType }, b: { dtype: DType }): void {
  requireFloat(op, "input", a.dtype);
  if (a.dtype !== b.dtype) throw new DTypeError(`${op}: dtypes differ (${a.dtype} and ${b.dtype})`);
}

/** A backward op's dy must have the forward output's shape [N, O, OH, OW]. */
function checkDy(op: string, dy: { shape: readonly number[] }, xShape: readonly number[], wShape: readonly number[], attrs: Conv2dAttrs): void {
  const g = geometry(op, xShape, wShape, attrs);
  const want = [g.n, g.o, g.oh, g.ow];
  if (dy.shape.join() !== want.join()) {
    throw new ShapeError(`${op}: dy is ${fmtShape(dy.shape)}, expected ${fmtShape(want)} for input ${fmtShape(xShape)}`);
  }
}

/** Fills cols [C·kh·kw, OH·OW] at `at` from image `img` (offset into x) of shape [C, H, W]. */
function im2colImage(x: ArrayLike<number>, img: number, g: WindowGeometry, a: Conv2dAttrs, cols: TypedArray, at: number): void {
  const P = g.oh * g.ow;
  for (let c = 0; c < g.c; c++) {
    for (let i = 0; i < g.kh; i++) {
      for (let j = 0; j < g.kw; j++) {
        const r = at + ((c * g.kh + i) * g.kw + j) * P;
        // the output columns whose input column ox·s + off lies inside the row: [lo, hi)
        const s = a.stride[1], off = j * a.dilation[1] - a.padding[1];
        const lo = Math.min(g.ow, Math.max(0, Math.ceil(-off / s))), hi = Math.max(lo, Math.min(g.ow, Math.ceil((g.w - off) / s)));
        for (let oy = 0; oy < g.oh; oy++) {
          const y = oy * a.stride[0] - a.padding[0] + i * a.dilation[0];
          const dst = r + oy * g.ow;
          if (y < 0 || y >= g.h) {
            cols.fill(0, dst, dst + g.ow);
            continue;
          }
          const src = img + (c * g.h + y) * g.w + off;
          for (let ox = 0; ox < lo; ox++) cols[dst + ox] = 0;
          for (let ox = lo; ox < hi; ox++) cols[dst + ox] = x[src + ox * s];
          for (let ox = hi; ox < g.ow; ox++) cols[dst + ox] = 0;
        }
      }
    }
  }
}

/**
 * For one image, the element of x [C, H, W] that each element of its columns
 * [C·kh·kw, OH·OW] copies (−1: padding), in im2colImage's order: the fast mode's im2col
 * gathers by it and its col2im scatters by it.
 */
export function im2colIndex(g: WindowGeometry, a: Conv2dAttrs): Int32Array {
  const t = new Int32Array(g.c * g.kh * g.kw * g.oh * g.ow);
  let e = 0;
  for (let c = 0; c < g.c; c++) {
    for (let i = 0; i < g.kh; i++) {
      for (let j = 0; j < g.kw; j++) {
        for (let oy = 0; oy < g.oh; oy++) {
          const y = oy * a.stride[0] - a.padding[0] + i * a.dilation[0];
          for (let ox = 0; ox < g.ow; ox++, e++) {
            const xx = ox * a.stride[1] - a.padding[1] + j * a.dilation[1];
            t[e] = y < 0 || y >= g.h || xx < 0 || xx >= g.w ? -1 : (c * g.h + y) * g.w + xx;
          }
        }
      }
    }
  }
  return t;
}

export function windowKey(g: WindowGeometry, a: Conv2dAttrs): string {
  return `im2col ${g.c} ${g.h} ${g.w} ${g.kh} ${g.kw} ${a.stride} ${a.padding} ${a.dilation}`;
}

/** The fast kernels when the fast mode applies to these float32 arrays, else null. */
function fastWindows(cpu: CpuCaps, x: TypedArray, y: TypedArray): FastKernels | null {
  return x instanceof Float32Array && y instanceof Float32Array ? fastKernels(cpu.threads) : null;
}

/** Adds cols [C·kh·kw, OH·OW] at `at` back into image `img` of dx: the adjoint of im2colImage. */
function col2imImage(cols: ArrayLike<number>, at: number, dx: Float64Array, img: number, g: WindowGeometry, a: Conv2dAttrs): void {
  const P = g.oh * g.ow;
  for (let c = 0; c < g.c; c++) {
    for (let i = 0; i < g.kh; i++) {
      for (let j = 0; j < g.kw; j++) {
        const r = at + ((c * g.kh + i) * g.kw + j) * P;
        const s = a.stride[1], off = j * a.dilation[1] - a.padding[1];
        const lo = Math.min(g.ow, Math.max(0, Math.ceil(-off / s))), hi = Math.max(lo, Math.min(g.ow, Math.ceil((g.w - off) / s)));
        for (let oy = 0; oy < g.oh; oy++) {
          const y = oy * a.stride[0] - a.padding[0] + i * a.dilation[0];
          if (y < 0 || y >= g.h) continue;
          const dst = img + (c * g.h + y) * g.w + off, src = r + oy * g.ow;
          for (let ox = lo; ox < hi; ox++) dx[dst + ox * s] += cols[src + ox];
        }
      }
    }
  }
}

export interface WindowAttrs extends Conv2dAttrs {
  kernel: [number, number];
}

export const im2colDef: OpDef<WindowAttrs> = {
  name: "im2col",
  infer: ([x], a) => {
    requireFloat("im2col", "input", x.dtype);
    const g = windowGeometry("im2col", x.shape, a.kernel, a);
    return [{ shape: [g.n, g.c * g.kh * g.kw, g.oh * g.ow], dtype: x.dtype }];
  },
  cpu: ({ inputs: [x], outputs: [cols], inShapes: [xs], attrs }) => {
    const g = windowGeometry("im2col", xs, attrs.kernel, attrs);
    const per = g.c * g.kh * g.kw * g.oh * g.ow;
    for (let n = 0; n < g.n; n++) im2colImage(x, n * g.c * g.h * g.w, g, attrs, cols, n * per);
  },
  // the fast mode: a gather by an index table of one image (exact)
  cpuFast: ({ inputs: [x], outputs: [cols], inShapes: [xs], attrs, cpu }) => {
    const fast = fastWindows(cpu, x, cols);
    if (!fast) return false;
    const g = windowGeometry("im2col", xs, attrs.kernel, attrs);
    fast.gatherImages(x as Float32Array, cols as Float32Array, g.n, windowKey(g, attrs), () => im2colIndex(g, attrs));
    return true;
  },
  // a gather of x: its adjoint scatters back
  grad: ({ inputs: [x], dys: [dcols], attrs }) => [col2imOf(dcols, x.shape, attrs)],
  // a GPU's kernels (the tiled family) take one thread per column element: coalesced writes
  webgpu: ({ inShapes: [xs], attrs, device }) => ({ calls: [im2colCall(windowGeometry("im2col", xs, attrs.kernel, attrs), attrs, { in: 0 }, { out: 0 }, device.matmul === "tiled")] }),
};

export const col2imDef: OpDef<WindowAttrs & { inputShape: number[] }> = {
  name: "col2im",
  infer: ([cols], a) => {
    requireFloat("col2im", "columns", cols.dtype);
    const g = windowGeometry("col2im", a.inputShape, a.kernel, a);
    const want = [g.n, g.c * g.kh * g.kw, g.oh * g.ow];
    if (cols.shape.join() !== want.join()) {
      throw new ShapeError(`col2im: columns ${fmtShape(cols.shape)} should be ${fmtShape(want)} for image ${fmtShape(a.inputShape)} and window ${a.kernel.join("×")}`);
    }
    return [{ shape: a.inputShape, dtype: cols.dtype }];
  },
  cpu: ({ inputs: [cols], outputs: [dx], attrs }) => {
    const g = windowGeometry("col2im", attrs.inputShape, attrs.kernel, attrs);
    const per = g.c * g.kh * g.kw * g.oh * g.ow;
    const acc = new Float64Array(dx.length);
    for (let n = 0; n < g.n; n++) col2imImage(cols, n * per, acc, n * g.c * g.h * g.w, g, attrs);
    dx.set(acc);
  },
  // the fast mode: the same index table's scatter, float32 sums in the reference's order
  cpuFast: ({ inputs: [cols], outputs: [dx], attrs, cpu }) => {
    const fast = fastWindows(cpu, cols, dx);
    if (!fast) return false;
    const g = windowGeometry("col2im", attrs.inputShape, attrs.kernel, attrs);
    fast.scatterImages(cols as Float32Array, dx as Float32Array, g.n, windowKey(g, attrs), () => im2colIndex(g, attrs));
    return true;
  },
  // linear; its adjoint is im2col
  grad: ({ dys: [dx], attrs }) => [im2colOf(dx, attrs)],
  webgpu: ({ attrs }) => ({ calls: [col2imCall(windowGeometry("col2im", attrs.inputShape, attrs.kernel, attrs), attrs, { in: 0 }, { out: 0 })] }),
};

function im2colOf(x: Tensor, a: WindowAttrs): Tensor {
  return apply1(im2colDef, [x], { kernel: a.kernel, stride: a.stride, padding: a.padding, dilation: a.dilation });
}

function col2imOf(cols: Tensor, inputShape: readonly number[], a: WindowAttrs): Tensor {
  return apply1(col2imDef, [cols], { kernel: a.kernel, stride: a.stride, padding: a.padding, dilation: a.dilation, inputShape: [...inputShape] });
}

export interface Conv2dOptions {
  stride?: number | [number, number];
  padding?: number | [number, number];
  dilation?: number | [number, number];
}

/** Expands a number-or-pair option and checks it is a positive (or non-negative) integer. */
export function pair(op: string, name: string, v: number | [number, number], min: number): [number, number] {
  const isPair = Array.isArray(v) && v.length === 2;
  if (typeof v !== "number" && !isPair) throw new ShapeError(`${op}: ${name} must be an integer ≥ ${min} or a pair of them, got ${JSON.stringify(v) ?? "nothing"}`);
  const p: [number, number] = typeof v === "number" ? [v, v] : [v[0], v[1]];
  if (!p.every((x) => Number.isInteger(x) && x >= min)) {
    throw new ShapeError(`${op}: ${name} must be an integer ≥ ${min} or a pair of them, got ${JSON.stringify(v)}`);
  }
  return p;
}

export function convAttrs(op: string, opts: Conv2dOptions): Conv2dAttrs {
  return {
    stride: pair(op, "stride", opts.stride ?? 1, 1),
    padding: pair(op, "padding", opts.padding ?? 0, 0),
    dilation: pair(op, "dilation", opts.dilation ?? 1, 1),
  };
}

/** The checked geometry of a convolution and its attrs, for the three builders. */
function prepare(op: string, x: Tensor, w: Tensor, xShape: readonly number[], wShape: readonly number[], opts: Conv2dOptions) {
  checkFloat(op, x, w);
  const attrs = convAttrs(op, opts);
  const g = geometry(op, xShape, wShape, attrs);
  const win: WindowAttrs = { ...attrs, kernel: [g.kh, g.kw] };
  return { g, win, CKK: g.c * g.kh * g.kw, P: g.oh * g.ow };
}

/**
 * Cross-correlation of x [N, C, H, W] with w [O, C, kh, kw] → [N, O, OH, OW] (no bias; see
 * F.conv2d for the bias add): y[n] = W [O, C·kh·kw] · im2col(x)[n].
 */
export function conv2d(x: Tensor, w: Tensor, opts: Conv2dOptions = {}): Tensor {
  const { g, win, CKK } = prepare("conv2d", x, w, x.shape, w.shape, opts);
  return reshape(matmul(reshape(w, [g.o, CKK]), im2colOf(x, win)), [g.n, g.o, g.oh, g.ow]);
}

/** dx of conv2d given dy [N, O, OH, OW] and w: a transposed convolution to `inputShape`. */
export function conv2dBackwardInput(dy: Tensor, w: Tensor, inputShape: readonly number[], opts: Conv2dOptions = {}): Tensor {
  const { g, win, CKK, P } = prepare("conv2dBackwardInput", dy, w, inputShape, w.shape, opts);
  checkDy("conv2dBackwardInput", dy, inputShape, w.shape, win);
  return col2imOf(matmul(reshape(w, [g.o, CKK]), reshape(dy, [g.n, g.o, P]), { transposeA: true }), inputShape, win);
}

/** dW of conv2d given its input x and dy: Σₙ dy[n] · im2col(x)[n]ᵀ. */
export function conv2dBackwardFilter(x: Tensor, dy: Tensor, weightShape: readonly number[], opts: Conv2dOptions = {}): Tensor {
  const { g, win, P } = prepare("conv2dBackwardFilter", x, dy, x.shape, weightShape, opts);
  checkDy("conv2dBackwardFilter", dy, x.shape, weightShape, win);
  return reshape(sum(matmul(reshape(dy, [g.n, g.o, P]), im2colOf(x, win), { transposeB: true }), 0), weightShape);
}

/**
 * The sliding windows of x [N, C, H, W] as columns [N, C·kh·kw, OH·OW] (torch's F.unfold):
 * column p = oy·OW + ox of image n holds its window, row r = (c·kh + i)·kw + j.
 */
export function im2col(x: Tensor, kernelSize: number | [number, number], opts: Conv2dOptions = {}): Tensor {
  const win: WindowAttrs = { ...convAttrs("im2col", opts), kernel: pair("im2col", "kernelSize", kernelSize, 1) };
  return im2colOf(x, win);
}

/** Sums columns [N, C·kh·kw, OH·OW] back into an image of `inputShape` (torch's F.fold): the adjoint of im2col. */
export function col2im(cols: Tensor, inputShape: readonly number[], kernelSize: number | [number, number], opts: Conv2dOptions = {}): Tensor {
  return col2imOf(cols, inputShape, { ...convAttrs("col2im", opts), kernel: pair("col2im", "kernelSize", kernelSize, 1) });
}
