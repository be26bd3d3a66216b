/**
 * @file softmax and logSoftmax as compositions (no kernel of their own): shift by the
 * detached max so exp never overflows — softmax is shift-invariant, so the shift carries
 * no gradient — then the log-sum-exp.
 */
import type { Tensor } from "../tensor.ts";
import { normAxis } from "../shape.ts";
import { detach, div, exp, log, sub } from "./elementwise.ts";
import { max, sum } from "./reduce.ts";

/** exp(x − max) / Σ exp(x − max) along `axis` (default last). */
export function softmax(x: Tensor, axis = -1): Tensor {
  const a = normAxis("softmax", axis, x.rank);
  if (x.shape[a] === 0) return x; // nothing to normalise: the empty result (as PyTorch)
  const e = exp(sub(x, detach(max(x, a, true))));
  return div(e, sum(e, a, true));
}

/** x − max − log Σ exp(x − max) along `axis` (default last). */
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  const a = normAxis("logSoftmax", axis, x.rank);
  if (x.shape[a] === 0) return x;
  const shifted = sub(x, detach(max(x, a, true)));
  return sub(shifted, log(sum(exp(shifted), a, true)));
}
