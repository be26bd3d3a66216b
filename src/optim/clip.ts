/**
 * @file Gradient clipping, written with ops so it runs inside a compiled step:
 * by global norm (all gradients scaled by min(1, maxNorm / (‖g‖ + 1e-6)), as
 * torch.nn.utils.clip_grad_norm_) and by value (each element clamped to [−c, c]).
 */
import { add, div, maximum, minimum, mul, sqrt } from "../ops/elementwise.ts";
import { sum } from "../ops/reduce.ts";
import type { Tensor } from "../tensor.ts";

/** The L2 norm of all gradients together, as a scalar tensor. */
export function globalNorm(grads: readonly Tensor[]): Tensor {
  return sqrt(grads.map((g) => sum(mul(g, g))).reduce((a, b) => add(a, b)));
}

/** Scales every gradient so their global L2 norm is at most `maxNorm`. */
export function clipGradNorm(grads: readonly Tensor[], maxNorm: number): Tensor[] {
  const scale = minimum(div(maxNorm, add(globalNorm(grads), 1e-6)), 1);
  return grads.map((g) => mul(g, scale));
}

/** Clamps every gradient element to [−clip, clip]. */
export function clipGradValue(grads: readonly Tensor[], clip: number): Tensor[] {
  return grads.map((g) => maximum(minimum(g, clip), -clip));
}
