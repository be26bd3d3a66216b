/**
 * @file Padding as PyTorch and TensorFlow write it, for convolution and pooling: a number
 * (every side), [ph, pw] (top = bottom, left = right), [top, bottom, left, right], "valid"
 * (none) or "same" (TensorFlow's rule, which is PyTorch's at stride 1: the output is
 * ⌈in / stride⌉, the total padding max((out − 1)·stride + (k − 1)·dilation + 1 − in, 0), its
 * smaller half before, the larger after). Symmetric padding is the window op's own; any other
 * is an explicit `pad` in front of it (zeros for convolution and average pooling, the lowest
 * float32 for max pooling), so it has the same gradient and kernels as the ops it is made of.
 */
import { ShapeError } from "../errors.ts";

export type Padding2d = number | readonly [number, number] | readonly [number, number, number, number] | "same" | "valid";

/** [top, bottom, left, right] of `padding` for a window op over [H, W]. */
export function resolvePadding(op: string, padding: Padding2d, inHW: readonly [number, number], kernel: readonly [number, number], stride: readonly [number, number], dilation: readonly [number, number] = [1, 1]): [number, number, number, number] {
  if (padding === "valid") return [0, 0, 0, 0];
  if (padding === "same") {
    const side = (d: 0 | 1): [number, number] => {
      const out = Math.ceil(inHW[d] / stride[d]);
      const total = Math.max((out - 1) * stride[d] + (kernel[d] - 1) * dilation[d] + 1 - inHW[d], 0);
      return [Math.floor(total / 2), total - Math.floor(total / 2)];
    };
    return [...side(0), ...side(1)];
  }
  const p = typeof padding === "number" ? [padding, padding, padding, padding] : padding.length === 2 ? [padding[0], padding[0], padding[1], padding[1]] : padding.length === 4 ? [...padding] : null;
  if (!p || !p.every((v) => Number.isInteger(v) && v >= 0)) {
    throw new ShapeError(`${op}: padding must be an integer ≥ 0, [ph, pw], [top, bottom, left, right], "same" or "valid", got ${JSON.stringify(padding)}`);
  }
  return p as [number, number, number, number];
}

/** Whether [top, bottom, left, right] is the window op's own symmetric padding. */
export function symmetric(p: readonly number[]): boolean {
  return p[0] === p[1] && p[2] === p[3];
}
