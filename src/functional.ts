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
import { reshape } from "./ops/movement.ts";
import { matmul } from "./ops/matmul.ts";
import { conv2d as conv2dOp, type Conv2dOptions } from "./ops/conv2d.ts";
import { dropout as dropoutOp } from "./ops/dropout.ts";
import { gather } from "./ops/gather.ts";
import { lstmCell as lstmPointwise } from "./ops/lstm_cell.ts";
import { gruCell as gruPointwise } from "./ops/gru_cell.ts";

export { relu, tanh, sigmoid, softplus } from "./ops/elementwise.ts";
export { softmax, logSoftmax } from "./ops/softmax.ts";
export { maxPool2d, avgPool2d } from "./ops/pool.ts";
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

/**
 * 2-D convolution with optional bias.
 * @param x [N, C, H, W]   @param weight [O, C, kh, kw]   @param bias [O]
 */
export function conv2d(x: Tensor, weight: Tensor, bias?: Tensor | null, opts: Conv2dOptions = {}): Tensor {
  const y = conv2dOp(x, weight, opts);
  if (!bias) return y;
  checkBias("conv2d", bias, weight.shape[0]);
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
