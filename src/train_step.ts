/**
 * @file `compileTrainStep`: the usual supervised step — forward, loss, optional gradient
 * clipping, optimizer update — compiled into one plan. Returns the loss and the model's
 * outputs (for accuracy) each call.
 */
import type { Tensor } from "./tensor.ts";
import { compile } from "./graph/compile.ts";
import type { Plan } from "./graph/plan.ts";
import { gradients } from "./graph/autodiff.ts";
import { crossEntropy } from "./losses.ts";
import type { Module } from "./nn/module.ts";
import type { Optimizer } from "./optim/optimizer.ts";
import { clipGradNorm } from "./optim/clip.ts";

export interface TrainStepResult {
  /** Scalar loss of the batch (before the update). */
  loss: Tensor;
  /** The model's outputs for the batch (before the update). */
  logits: Tensor;
}

/** A compiled training step; `plan(x, y)` is the plan a batch of these shapes runs (nothing runs). */
export interface TrainStep {
  (x: Tensor, y: Tensor): TrainStepResult;
  plan(x: Tensor, y: Tensor): Plan;
}

export interface TrainStepOptions {
  /** loss(outputs, y) → scalar; default cross-entropy. */
  loss?: (logits: Tensor, y: Tensor) => Tensor;
  /** Rescale the gradients to this global L2 norm when they exceed it (for recurrent nets). */
  clipGradNorm?: number;
}

/**
 * A compiled training step: `step(x, y)` runs forward, the loss, backward, clipping and
 * `optimizer.step` as one plan, updating the weights in place. The third argument is the
 * loss function, or options.
 * @example const step = compileTrainStep(model, new optim.Adam(model.parameters()));
 *          const { loss } = step(images, labels); console.log(await loss.item());
 */
export function compileTrainStep(
  model: Module,
  optimizer: Optimizer,
  lossOrOptions: TrainStepOptions["loss"] | TrainStepOptions = {},
): TrainStep {
  const opts = typeof lossOrOptions === "function" ? { loss: lossOrOptions } : lossOrOptions;
  const loss = opts.loss ?? crossEntropy;
  const names = new Map(model.namedParameters().map(([n, t]) => [t, n]));
  optimizer.paramNames ??= optimizer.params.map((p, i) => names.get(p) ?? `parameter ${i}`);
  const step = compile((x: Tensor, y: Tensor) => {
    const logits = model.forward(x);
    const l = loss(logits, y);
    if (opts.clipGradNorm === undefined) optimizer.step(l);
    else optimizer.step(clipGradNorm(gradients(l, optimizer.params), opts.clipGradNorm), { loss: l });
    return { loss: l, logits };
  });
  return Object.assign((x: Tensor, y: Tensor) => step(x, y) as TrainStepResult, { plan: (x: Tensor, y: Tensor) => step.plan(x, y) });
}
