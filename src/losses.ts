/**
 * @file Losses, composed from ops: cross-entropy over the fused softmax-xent primitive, and
 * mean squared error.
 */
import { ShapeError, fmtShape } from "./errors.ts";
import type { Tensor } from "./tensor.ts";
import { mul, sub } from "./ops/elementwise.ts";
import { mean, sum } from "./ops/reduce.ts";
import { softmaxCrossEntropy } from "./ops/softmax_xent.ts";
import { reshape } from "./ops/movement.ts";

export type Reduction = "mean" | "sum" | "none";

function reduce(x: Tensor, reduction: Reduction): Tensor {
  return reduction === "none" ? x : reduction === "sum" ? sum(x) : mean(x);
}

/**
 * Cross-entropy of logits [N, C] against int32 class labels [N] (log-softmax fused in).
 * Logits [..., C] with labels [...] (e.g. a next-token model's [B, T, V] and [B, T]) are
 * flattened to [N, C] and [N] first.
 * @returns a scalar for "mean" (default) and "sum", [N] (or [...]) for "none"
 */
export function crossEntropy(logits: Tensor, labels: Tensor, opts: { reduction?: Reduction } = {}): Tensor {
  const reduction = opts.reduction ?? "mean";
  // the mean and the sum are the fused op's own (one kernel each way)
  if (logits.rank > 2 && labels.shape.join() === logits.shape.slice(0, -1).join()) {
    const c = logits.shape[logits.rank - 1];
    const flat = softmaxCrossEntropy(reshape(logits, [-1, c]), reshape(labels, [-1]), reduction);
    return reduction === "none" ? reshape(flat, labels.shape) : flat;
  }
  return softmaxCrossEntropy(logits, labels, reduction);
}

/** Mean squared error between same-shaped tensors. */
export function mseLoss(input: Tensor, target: Tensor, opts: { reduction?: Reduction } = {}): Tensor {
  if (input.shape.join() !== target.shape.join()) {
    throw new ShapeError(`mseLoss: input ${fmtShape(input.shape)} and target ${fmtShape(target.shape)} differ`);
  }
  const d = sub(input, target);
  return reduce(mul(d, d), opts.reduction ?? "mean");
}
