/**
 * @file `F`: the torch.nn.functional of webgpu-dl. Layer-level functions composed from the
 * primitives (linear = matmul + bias, conv2d + bias, an LSTM/GRU step = two gate matmuls +
 * the fused cell), plus re-exports of the activations, pooling and losses.
 */
import { ShapeError, fmtShape } from "./errors.ts";
import type { Tensor } from "./tensor.ts";
import { scalar } from "./creation.ts";
import { nextSeed } from "./random.ts";
import { isTracing } from "./graph/ir.ts";
import { add } from "./ops/elementwise.ts";
import { avgPool2d as avgPool2dOp, maxPool2d as maxPool2dOp, maxPool2dWith, type Pool2dOptions, type PoolAttrs } from "./ops/pool.ts";
import { pad as padOp, reshape } from "./ops/movement.ts";
import { resolvePadding, symmetric, type Padding2d } from "./ops/padding.ts";
import { matmul } from "./ops/matmul.ts";
import { conv2d as conv2dOp, conv2dBackwardInput, pair, type Conv2dOptions } from "./ops/conv2d.ts";
import { dropout as dropoutOp } from "./ops/dropout.ts";
import { gather } from "./ops/gather.ts";
import { lstmCell as lstmPointwise } from "./ops/lstm_cell.ts";
import { gruCell as gruPointwise } from "./ops/gru_cell.ts";

export { relu, tanh, sigmoid, softplus } from "./ops/elementwise.ts";
export { softmax, logSoftmax } from "./ops/softmax.ts";
/**
 * Pads a tensor with `value`. `pads` in PyTorch's order, a flat list from the last axis
 * backwards (`F.pad(x, [left, right, top, bottom])` pads W, then H), or one [before, after]
 * pair per axis, first axis first.
 */
export function pad(x: Tensor, pads: readonly number[] | readonly (readonly [number, number])[], value = 0): Tensor {
  if (pads.length > 0 && typeof pads[0] === "number") {
    const flat = pads as readonly number[];
    if (flat.length % 2 !== 0 || flat.length / 2 > x.rank) throw new ShapeError(`pad: PyTorch-order pads come in pairs, at most one per axis of ${x.describe()}, got ${JSON.stringify(flat)}`);
    const perAxis: [number, number][] = x.shape.map(() => [0, 0]);
    for (let k = 0; k < flat.length / 2; k++) perAxis[x.rank - 1 - k] = [flat[2 * k], flat[2 * k + 1]];
    return padOp(x, perAxis, value);
  }
  return padOp(x, pads as readonly (readonly [number, number])[], value);
}

/**
 * Pooling options: padding as PyTorch and TensorFlow write it (ops/padding.ts), `dilation`
 * (window elements d apart, as PyTorch's MaxPool2d and TensorFlow's pool) and `ceilMode`
 * (PyTorch's: the output size rounds up, so a last partial window is kept, but never one that
 * starts in the bottom or right padding).
 */
export type Pool2dPaddedOptions = Omit<Pool2dOptions, "padding"> & { padding?: Padding2d; dilation?: number | [number, number]; ceilMode?: boolean };

/**
 * The window of a pool that its op's plain options (symmetric padding of at most half the
 * kernel, no dilation, floor mode) cannot express, as the op's attributes; null when they can.
 * Ceil mode becomes `extra`: the rows and columns past the bottom/right padding that make the
 * op's floor-mode size rule give ceil mode's size.
 */
function poolWindow(op: string, x: Tensor, opts: Pool2dPaddedOptions): PoolAttrs | null {
  // no options at all: the op's own check says what to pass
  if (!opts || typeof opts !== "object") return null;
  const explicit = opts.padding !== undefined && (typeof opts.padding === "string" || (Array.isArray(opts.padding) && opts.padding.length !== 2));
  if (!explicit && !opts.ceilMode && (opts.dilation ?? 1) === 1) return null;
  if (x.rank !== 4) throw new ShapeError(`${op}: expected input [N, C, H, W], got ${x.describe()}`);
  const kernel = pair(op, "kernelSize", opts.kernelSize, 1), stride = pair(op, "stride", opts.stride ?? kernel, 1), dilation = pair(op, "dilation", opts.dilation ?? 1, 1);
  const pads = resolvePadding(op, opts.padding ?? 0, [x.shape[2], x.shape[3]], kernel, stride, dilation);
  const extra: [number, number] = [0, 0];
  for (const i of [0, 1]) {
    const [before, after] = [pads[2 * i], pads[2 * i + 1]], n = x.shape[2 + i], span = dilation[i] * (kernel[i] - 1) + 1;
    const room = n + before + after - span;
    if (room < 0) throw new ShapeError(`${op}: window ${kernel.join("×")} (dilation ${dilation.join("×")}) does not fit input ${fmtShape(x.shape)} with padding ${pads.join(",")}`);
    if (!opts.ceilMode) continue;
    let out = Math.ceil(room / stride[i]) + 1;
    // PyTorch's rule: the last window must start inside the image or the top/left padding
    if ((out - 1) * stride[i] >= n + before) out--;
    // (out − 1)·stride + span rows in all: past the padding (> 0), or short of its end (≤ 0)
    extra[i] = (out - 1) * stride[i] + span - (n + before + after);
  }
  return { kernel, stride, padding: [pads[0], pads[2]], padEnd: [pads[1], pads[3]], dilation, extra };
}

/** 2-D max pooling; `padding` also [top, bottom, left, right], "same" or "valid"; `dilation`, `ceilMode`. */
export function maxPool2d(x: Tensor, opts: Pool2dPaddedOptions): Tensor {
  const w = poolWindow("maxPool2d", x, opts);
  return w ? maxPool2dWith(x, w) : maxPool2dOp(x, opts as Pool2dOptions);
}

/**
 * 2-D average pooling; `padding` also [top, bottom, left, right], "same" or "valid";
 * `dilation`, `ceilMode`. The divisor, as PyTorch: the window's elements inside the image and
 * its padding (`countIncludePad`, the default), or inside the image only; never the rows and
 * columns ceil mode adds.
 */
export function avgPool2d(x: Tensor, opts: Pool2dPaddedOptions & { countIncludePad?: boolean }): Tensor {
  const w = poolWindow("avgPool2d", x, opts);
  return w ? avgPool2dOp(x, { ...w, countIncludePad: opts.countIncludePad ?? true }) : avgPool2dOp(x, opts as Pool2dOptions & { countIncludePad?: boolean });
}
export { crossEntropy, binaryCrossEntropyWithLogits, mseLoss } from "./losses.ts";

function checkBias(op: string, b: Tensor, n: number): void {
  if (b.rank !== 1 || b.shape[0] !== n) throw new ShapeError(`${op}: bias ${fmtShape(b.shape)} should be [${n}]`);
}

/**
 * y = x·Wᵀ + b, PyTorch layout.
 * @param x [..., in] (rank ≥ 2)   @param weight [out, in]   @param bias [out]
 */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  const y = matmul(x, weight, { transposeB: true });
  if (!bias) return y;
  checkBias("linear", bias, weight.shape[0]);
  return add(y, bias);
}

/** conv2d's options, with padding as PyTorch and TensorFlow write it (ops/padding.ts). */
export type Conv2dPaddedOptions = Omit<Conv2dOptions, "padding"> & { padding?: Padding2d };

/**
 * 2-D convolution with optional bias. `padding`: a number, [ph, pw], [top, bottom, left,
 * right], "same" or "valid" (ops/padding.ts).
 * @param x [N, C, H, W]   @param weight [O, C, kh, kw]   @param bias [O]
 */
export function conv2d(x: Tensor, weight: Tensor, bias?: Tensor | null, opts: Conv2dPaddedOptions = {}): Tensor {
  let input = x;
  let o: Conv2dOptions = opts as Conv2dOptions;
  if (opts.padding !== undefined && (typeof opts.padding === "string" || (Array.isArray(opts.padding) && opts.padding.length !== 2))) {
    if (x.rank !== 4 || weight.rank !== 4) throw new ShapeError(`conv2d: expected input [N, C, H, W] and weight [O, C, kh, kw], got ${x.describe()} and ${weight.describe()}`);
    const stride = pair("conv2d", "stride", opts.stride ?? 1, 1), dilation = pair("conv2d", "dilation", opts.dilation ?? 1, 1);
    const p = resolvePadding("conv2d", opts.padding, [x.shape[2], x.shape[3]], [weight.shape[2], weight.shape[3]], stride, dilation);
    if (symmetric(p)) o = { ...opts, padding: [p[0], p[2]] };
    else {
      input = padOp(x, [[0, 0], [0, 0], [p[0], p[1]], [p[2], p[3]]]);
      o = { ...opts, padding: 0 };
    }
  }
  const y = conv2dOp(input, weight, o);
  if (!bias) return y;
  checkBias("conv2d", bias, weight.shape[0]);
  return add(y, reshape(bias, [1, bias.shape[0], 1, 1]));
}

export interface ConvTranspose2dOptions {
  stride?: number | [number, number];
  padding?: number | [number, number];
  /** Extra rows and columns on the bottom and right of the output (each below the stride), to pick among the sizes a strided convolution maps to the same input size. */
  outputPadding?: number | [number, number];
  dilation?: number | [number, number];
}

/**
 * Transposed convolution (PyTorch's conv_transpose2d): the gradient of conv2d with respect to
 * its input, as a layer. Each input pixel scatters `weight` times its value into the output;
 * the output side is (H − 1)·s − 2p + d·(k − 1) + outputPadding + 1. Built as
 * conv2dBackwardInput (Wᵀ · x, then col2im), so it runs, and differentiates, as a
 * convolution's backward pass does.
 * @param x [N, Cin, H, W]   @param weight [Cin, Cout, kh, kw] (PyTorch's layout)   @param bias [Cout]
 */
export function convTranspose2d(x: Tensor, weight: Tensor, bias?: Tensor | null, opts: ConvTranspose2dOptions = {}): Tensor {
  const op = "convTranspose2d";
  if (x.rank !== 4 || weight.rank !== 4) throw new ShapeError(`${op}: expected input [N, Cin, H, W] and weight [Cin, Cout, kh, kw], got ${x.describe()} and ${weight.describe()}`);
  if (x.shape[1] !== weight.shape[0]) {
    throw new ShapeError(`${op}: input has ${x.shape[1]} channels, weight expects ${weight.shape[0]} (input ${fmtShape(x.shape)}, weight ${fmtShape(weight.shape)}; the weight is [in, out, kh, kw])`);
  }
  const stride = pair(op, "stride", opts.stride ?? 1, 1), padding = pair(op, "padding", opts.padding ?? 0, 0);
  const dilation = pair(op, "dilation", opts.dilation ?? 1, 1), extra = pair(op, "outputPadding", opts.outputPadding ?? 0, 0);
  const out = [0, 1].map((i) => {
    if (extra[i] >= stride[i]) throw new ShapeError(`${op}: outputPadding ${extra[i]} must be smaller than the stride ${stride[i]} (${i ? "width" : "height"})`);
    const n = (x.shape[2 + i] - 1) * stride[i] - 2 * padding[i] + dilation[i] * (weight.shape[2 + i] - 1) + extra[i] + 1;
    if (n < 1) throw new ShapeError(`${op}: the output ${i ? "width" : "height"} would be ${n} (input ${fmtShape(x.shape)}, kernel ${weight.shape[2 + i]}, stride ${stride[i]}, padding ${padding[i]}); use less padding`);
    return n;
  });
  const y = conv2dBackwardInput(x, weight, [x.shape[0], weight.shape[1], out[0], out[1]], { stride, padding, dilation });
  if (!bias) return y;
  checkBias(op, bias, weight.shape[1]);
  return add(y, reshape(bias, [1, bias.shape[0], 1, 1]));
}

export interface DropoutOptions {
  /** Probability of zeroing an element (default 0.5). */
  p?: number;
  /** When false dropout is the identity (default true, as torch.nn.functional). */
  training?: boolean;
  /** Mask seed; defaults to the next seed of the global stream (see manualSeed). */
  seed?: number;
}

/**
 * Inverted dropout. Eagerly each call without a seed draws the next seed of the global stream;
 * inside `compile` the seed becomes a tensor of the plan that advances after every call (an
 * `assign`), so a compiled step draws a new mask each time rather than the trace's one.
 */
export function dropout(x: Tensor, opts: DropoutOptions = {}): Tensor {
  const { p = 0.5, training = true } = opts;
  if (!training || p === 0) return x;
  const seed = scalar((opts.seed ?? nextSeed()) | 0, "int32");
  const y = dropoutOp(x, seed, p);
  if (isTracing() && opts.seed === undefined) seed.assign(add(seed, 1));
  return y;
}

/** Rows of `weight` [V, D] for int32 `indices` [...] → [..., D]. */
export function embedding(indices: Tensor, weight: Tensor): Tensor {
  return gather(weight, indices);
}

/**
 * One LSTM step, PyTorch's LSTMCell: weights [4H, I] and [4H, H], gate order i, f, g, o.
 * @returns [h', c'], each [B, H]
 */
export function lstmCell(
  x: Tensor, [h, c]: [Tensor, Tensor], wIh: Tensor, wHh: Tensor, bIh?: Tensor | null, bHh?: Tensor | null,
): [Tensor, Tensor] {
  return lstmPointwise(add(linear(x, wIh, bIh), linear(h, wHh, bHh)), c);
}

/** One GRU step, PyTorch's GRUCell: weights [3H, I] and [3H, H], gate order r, z, n. */
export function gruCell(x: Tensor, h: Tensor, wIh: Tensor, wHh: Tensor, bIh?: Tensor | null, bHh?: Tensor | null): Tensor {
  return gruPointwise(linear(x, wIh, bIh), linear(h, wHh, bHh), h);
}
