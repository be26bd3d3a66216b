/**
 * @file Losses, composed from ops: cross-entropy over the fused softmax-xent primitive, and
 * mean squared error.
 */
import { ShapeError, fmtShape } from "./errors.ts";
import type { Tensor } from "./tensor.ts";
import { cast, div, maximum, mul, notEqual, softplus, sub, where } from "./ops/elementwise.ts";
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
 * With `ignoreIndex` (PyTorch's `ignore_index`), labels equal to it (padding) add nothing:
 * "none" gives 0 there, "sum" leaves them out and "mean" divides by the labels that count
 * (a batch of padding alone gives 0, where PyTorch gives NaN).
 * @returns a scalar for "mean" (default) and "sum", [N] (or [...]) for "none"
 */
export function crossEntropy(logits: Tensor, labels: Tensor, opts: { reduction?: Reduction; ignoreIndex?: number } = {}): Tensor {
  const reduction = opts.reduction ?? "mean";
  if (opts.ignoreIndex !== undefined) {
    const counts = notEqual(labels, opts.ignoreIndex);
    const each = mul(crossEntropy(logits, where(counts, labels, 0), { reduction: "none" }), cast(counts, logits.dtype));
    return reduction === "none" ? each : reduction === "sum" ? sum(each) : div(sum(each), maximum(sum(cast(counts, logits.dtype)), 1));
  }
  // the mean and the sum are the fused op's own (one kernel each way)
  if (logits.rank > 2 && labels.shape.join() === logits.shape.slice(0, -1).join()) {
    const c = logits.shape[logits.rank - 1];
    const flat = softmaxCrossEntropy(reshape(logits, [-1, c]), reshape(labels, [-1]), reduction);
    return reduction === "none" ? reshape(flat, labels.shape) : flat;
  }
  return softmaxCrossEntropy(logits, labels, reduction);
}

/**
 * Binary cross-entropy of logits s against targets t in [0, 1] of the same shape (PyTorch's
 * `binary_cross_entropy_with_logits`): softplus(s) − t·s = −[t·log σ(s) + (1 − t)·log σ(−s)],
 * stable for any s. Targets may be int32 (0 / 1).
 */
export function binaryCrossEntropyWithLogits(logits: Tensor, targets: Tensor, opts: { reduction?: Reduction } = {}): Tensor {
  if (logits.shape.join() !== targets.shape.join()) {
    throw new ShapeError(`binaryCrossEntropyWithLogits: logits ${fmtShape(logits.shape)} and targets ${fmtShape(targets.shape)} differ`);
  }
  const t = targets.dtype === logits.dtype ? targets : cast(targets, logits.dtype);
  return reduce(sub(softplus(logits), mul(t, logits)), opts.reduction ?? "mean");
}

/** Mean squared error between same-shaped tensors. */
export function mseLoss(input: Tensor, target: Tensor, opts: { reduction?: Reduction } = {}): Tensor {
  if (input.shape.join() !== target.shape.join()) {
    throw new ShapeError(`mseLoss: input ${fmtShape(input.shape)} and target ${fmtShape(target.shape)} differ`);
  }
  const d = sub(input, target);
  return reduce(mul(d, d), opts.reduction ?? "mean");
}
