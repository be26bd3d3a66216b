/**
 * @file 2-D convolution, NCHW, weight [O, C, kh, kw], as im2col + matmul (cross-correlation,
 * as PyTorch). Three primitives so every backend has a kernel for each pass:
 *   conv2d(x, w)                   y[n] = W · im2col(x[n])            W viewed as [O, C·kh·kw]
 *   conv2dBackwardInput(dy, w)     dx[n] = col2im(Wᵀ · dy[n])         (transposed convolution)
 *   conv2dBackwardFilter(x, dy)    dW = Σₙ dy[n] · im2col(x[n])ᵀ
 * Each is linear in each argument, so each gradient is one of the other two.
 * im2col row r = (c·kh + i)·kw + j, column p = oy·OW + ox holds
 *   x[n, c, oy·sh − ph + i·dh, ox·sw − pw + j·dw]   (0 outside the image: zero padding).
 */
import { requireFloat } from "../dtype.ts";
import { DTypeError, ShapeError, fmtShape } from "../errors.ts";
import { apply1 } from "../graph/ir.ts";
import type { Tensor } from "../tensor.ts";
import type { OpDef, ValueInfo } from "./types.ts";
import { conv2dBackwardFilterPlan, conv2dBackwardInputPlan, conv2dForwardPlan } from "./conv_kernels.ts";

export interface Conv2dAttrs {
  stride: [number, number];
  padding: [number, number];
  dilation: [number, number];
}

/** Output length of a sliding window: ⌊(n + 2p − d(k−1) − 1) / s⌋ + 1. */
export function windowOut(n: number, k: number, s: number, p: number, d = 1): number {
  return Math.floor((n + 2 * p - d * (k - 1) - 1) / s) + 1;
}

interface Geometry {
  n: number; c: number; h: number; w: number;
  o: number; kh: number; kw: number;
  oh: number; ow: number;
}

function geometry(op: string, xShape: readonly number[], wShape: readonly number[], { stride, padding, dilation }: Conv2dAttrs): Geometry {
  const shapes = `(input ${fmtShape(xShape)}, weight ${fmtShape(wShape)})`;
  if (xShape.length !== 4) throw new ShapeError(`${op}: input must be 4-D NCHW, got ${fmtShape(xShape)}`);
  if (wShape.length !== 4) throw new ShapeError(`${op}: weight must be 4-D [out, in, kh, kw], got ${fmtShape(wShape)}`);
  const [n, c, h, w] = xShape;
  const [o, wc, kh, kw] = wShape;
  if (c !== wc) throw new ShapeError(`${op}: input has ${c} channels, weight expects ${wc} ${shapes}`);
  const oh = windowOut(h, kh, stride[0], padding[0], dilation[0]);
  const ow = windowOut(w, kw, stride[1], padding[1], dilation[1]);
  if (oh < 1 || ow < 1) throw new ShapeError(`${op}: kernel ${kh}×${kw} does not fit the padded ${h}×${w} input ${shapes}`);
  return { n, c, h, w, o, kh, kw, oh, ow };
}

function checkFloat(op: string, a: ValueInfo, b: ValueInfo): void {
  requireFloat(op, "input", a.dtype);
  if (a.dtype !== b.dtype) throw new DTypeError(`${op}: dtypes differ (${a.dtype} and ${b.dtype})`);
}

/** A backward op's dy must have the forward output's shape [N, O, OH, OW]. */
function checkDy(op: string, dy: ValueInfo, xShape: readonly number[], wShape: readonly number[], attrs: Conv2dAttrs): void {
  const g = geometry(op, xShape, wShape, attrs);
  const want = [g.n, g.o, g.oh, g.ow];
  if (dy.shape.join() !== want.join()) {
    throw new ShapeError(`${op}: dy is ${fmtShape(dy.shape)}, expected ${fmtShape(want)} for input ${fmtShape(xShape)}`);
  }
}

/** Fills cols [C·kh·kw, OH·OW] from image `img` (offset into x) of shape [C, H, W]. */
function im2col(x: ArrayLike<number>, img: number, g: Geometry, a: Conv2dAttrs, cols: Float64Array): void {
  const P = g.oh * g.ow;
  for (let c = 0; c < g.c; c++) {
    for (let i = 0; i < g.kh; i++) {
      for (let j = 0; j < g.kw; j++) {
        const r = ((c * g.kh + i) * g.kw + j) * P;
        for (let oy = 0; oy < g.oh; oy++) {
          const y = oy * a.stride[0] - a.padding[0] + i * a.dilation[0];
          const inside = y >= 0 && y < g.h;
          const rowBase = img + (c * g.h + y) * g.w;
          for (let ox = 0; ox < g.ow; ox++) {
            const xx = ox * a.stride[1] - a.padding[1] + j * a.dilation[1];
            cols[r + oy * g.ow + ox] = inside && xx >= 0 && xx < g.w ? x[rowBase + xx] : 0;
          }
        }
      }
    }
  }
}

/** Adds cols [C·kh·kw, OH·OW] back into image `img` of dx: the adjoint of im2col. */
function col2im(cols: Float64Array, dx: Float64Array, img: number, g: Geometry, a: Conv2dAttrs): void {
  const P = g.oh * g.ow;
  for (let c = 0; c < g.c; c++) {
    for (let i = 0; i < g.kh; i++) {
      for (let j = 0; j < g.kw; j++) {
        const r = ((c * g.kh + i) * g.kw + j) * P;
        for (let oy = 0; oy < g.oh; oy++) {
          const y = oy * a.stride[0] - a.padding[0] + i * a.dilation[0];
          if (y < 0 || y >= g.h) continue;
          for (let ox = 0; ox < g.ow; ox++) {
            const xx = ox * a.stride[1] - a.padding[1] + j * a.dilation[1];
            if (xx >= 0 && xx < g.w) dx[img + (c * g.h + y) * g.w + xx] += cols[r + oy * g.ow + ox];
          }
        }
      }
    }
  }
}

export const conv2dDef: OpDef<Conv2dAttrs> = {
  name: "conv2d",
  infer: ([x, w], attrs) => {
    checkFloat("conv2d", x, w);
    const g = geometry("conv2d", x.shape, w.shape, attrs);
    return [{ shape: [g.n, g.o, g.oh, g.ow], dtype: x.dtype }];
  },
  cpu: ({ inputs: [x, w], outputs: [y], inShapes: [xs, ws], attrs }) => {
    const g = geometry("conv2d", xs, ws, attrs);
    const K = g.c * g.kh * g.kw;
    const P = g.oh * g.ow;
    const cols = new Float64Array(K * P);
    // four output channels at a time share each read of cols; each output still sums over r
    // in ascending order, so the result is the same as one channel at a time
    const acc = [0, 1, 2, 3].map(() => new Float64Array(P));
    const [a0, a1, a2, a3] = acc;
    for (let n = 0; n < g.n; n++) {
      im2col(x, n * g.c * g.h * g.w, g, attrs, cols);
      for (let o = 0; o < g.o; o += 4) {
        const m = Math.min(4, g.o - o);
        acc.forEach((a) => a.fill(0));
        for (let r = 0; r < K; r++) {
          const w0 = w[o * K + r], w1 = m > 1 ? w[(o + 1) * K + r] : 0, w2 = m > 2 ? w[(o + 2) * K + r] : 0, w3 = m > 3 ? w[(o + 3) * K + r] : 0;
          for (let p = 0, q = r * P; p < P; p++, q++) {
            const c = cols[q];
            a0[p] += w0 * c;
            a1[p] += w1 * c;
            a2[p] += w2 * c;
            a3[p] += w3 * c;
          }
        }
        for (let k = 0; k < m; k++) y.set(acc[k], (n * g.o + o + k) * P);
      }
    }
  },
  grad: ({ inputs: [x, w], dys: [dy], attrs }) => [
    conv2dBackwardInput(dy, w, x.shape, attrs),
    conv2dBackwardFilter(x, dy, w.shape, attrs),
  ],
  webgpu: ({ inShapes: [xs, ws], attrs }) => conv2dForwardPlan(geometry("conv2d", xs, ws, attrs), attrs),
};

export const conv2dBackwardInputDef: OpDef<Conv2dAttrs & { inputShape: number[] }> = {
  name: "conv2dBackwardInput",
  infer: ([dy, w], attrs) => {
    checkFloat("conv2dBackwardInput", dy, w);
    checkDy("conv2dBackwardInput", dy, attrs.inputShape, w.shape, attrs);
    return [{ shape: attrs.inputShape, dtype: dy.dtype }];
  },
  cpu: ({ inputs: [dy, w], outputs: [dx], inShapes: [, ws], attrs }) => {
    const g = geometry("conv2dBackwardInput", attrs.inputShape, ws, attrs);
    const K = g.c * g.kh * g.kw;
    const P = g.oh * g.ow;
    const cols = new Float64Array(K * P);
    const acc = new Float64Array(dx.length);
    for (let n = 0; n < g.n; n++) {
      // cols = Wᵀ · dy[n]: row r gathers Σₒ W[o, r] · dy[n, o, :], four o at a time, added
      // left to right so every element sums over o in ascending order as one at a time would
      cols.fill(0);
      for (let o = 0; o < g.o; o += 4) {
        const m = Math.min(4, g.o - o);
        const d0 = (n * g.o + o) * P, d1 = m > 1 ? d0 + P : d0, d2 = m > 2 ? d0 + 2 * P : d0, d3 = m > 3 ? d0 + 3 * P : d0;
        for (let r = 0; r < K; r++) {
          const w0 = w[o * K + r], w1 = m > 1 ? w[(o + 1) * K + r] : 0, w2 = m > 2 ? w[(o + 2) * K + r] : 0, w3 = m > 3 ? w[(o + 3) * K + r] : 0;
          for (let p = 0, q = r * P; p < P; p++, q++) cols[q] = cols[q] + w0 * dy[d0 + p] + w1 * dy[d1 + p] + w2 * dy[d2 + p] + w3 * dy[d3 + p];
        }
      }
      col2im(cols, acc, n * g.c * g.h * g.w, g, attrs);
    }
    dx.set(acc);
  },
  // linear in dy and in w: the adjoints are conv2d and conv2dBackwardFilter
  grad: ({ inputs: [dy, w], dys: [g], attrs }) => [conv2d(g, w, attrs), conv2dBackwardFilter(g, dy, w.shape, attrs)],
  webgpu: ({ inShapes: [, ws], attrs }) => conv2dBackwardInputPlan(geometry("conv2dBackwardInput", attrs.inputShape, ws, attrs), attrs),
};

export const conv2dBackwardFilterDef: OpDef<Conv2dAttrs & { weightShape: number[] }> = {
  name: "conv2dBackwardFilter",
  infer: ([x, dy], attrs) => {
    checkFloat("conv2dBackwardFilter", x, dy);
    checkDy("conv2dBackwardFilter", dy, x.shape, attrs.weightShape, attrs);
    return [{ shape: attrs.weightShape, dtype: x.dtype }];
  },
  cpu: ({ inputs: [x, dy], outputs: [dw], inShapes: [xs], attrs }) => {
    const g = geometry("conv2dBackwardFilter", xs, attrs.weightShape, attrs);
    const K = g.c * g.kh * g.kw;
    const P = g.oh * g.ow;
    const cols = new Float64Array(K * P);
    const acc = new Float64Array(dw.length);
    for (let n = 0; n < g.n; n++) {
      im2col(x, n * g.c * g.h * g.w, g, attrs, cols);
      // dW[o, r] += dy[n, o, :] · cols[r, :]  (both rows contiguous), two rows of cols at a
      // time so each read of dy serves two sums (each sum keeps its order over p)
      for (let o = 0; o < g.o; o++) {
        const d = (n * g.o + o) * P;
        for (let r = 0; r < K; r += 2) {
          const q0 = r * P, q1 = r + 1 < K ? q0 + P : q0;
          let s0 = 0, s1 = 0;
          for (let p = 0; p < P; p++) {
            const v = dy[d + p];
            s0 += v * cols[q0 + p];
            s1 += v * cols[q1 + p];
          }
          acc[o * K + r] += s0;
          if (r + 1 < K) acc[o * K + r + 1] += s1;
        }
      }
    }
    dw.set(acc);
  },
  grad: ({ inputs: [x, dy], dys: [g], attrs }) => [conv2dBackwardInput(dy, g, x.shape, attrs), conv2d(x, g, attrs)],
  webgpu: ({ inShapes: [xs], attrs }) => conv2dBackwardFilterPlan(geometry("conv2dBackwardFilter", xs, attrs.weightShape, attrs), attrs),
};

export interface Conv2dOptions {
  stride?: number | [number, number];
  padding?: number | [number, number];
  dilation?: number | [number, number];
}

/** Expands a number-or-pair option and checks it is a positive (or non-negative) integer. */
export function pair(op: string, name: string, v: number | [number, number], min: number): [number, number] {
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

/**
 * Cross-correlation of x [N, C, H, W] with w [O, C, kh, kw] → [N, O, OH, OW] (no bias; see
 * F.conv2d for the bias add).
 */
export function conv2d(x: Tensor, w: Tensor, opts: Conv2dOptions = {}): Tensor {
  return apply1(conv2dDef, [x, w], convAttrs("conv2d", opts));
}

/** dx of conv2d given dy [N, O, OH, OW] and w: a transposed convolution to `inputShape`. */
export function conv2dBackwardInput(dy: Tensor, w: Tensor, inputShape: readonly number[], opts: Conv2dOptions = {}): Tensor {
  return apply1(conv2dBackwardInputDef, [dy, w], { ...convAttrs("conv2dBackwardInput", opts), inputShape: [...inputShape] });
}

/** dW of conv2d given its input x and dy. */
export function conv2dBackwardFilter(x: Tensor, dy: Tensor, weightShape: readonly number[], opts: Conv2dOptions = {}): Tensor {
  return apply1(conv2dBackwardFilterDef, [x, dy], { ...convAttrs("conv2dBackwardFilter", opts), weightShape: [...weightShape] });
}
