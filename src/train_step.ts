/**
 * @file `compileTrainStep`: the usual supervised step — forward, loss, optimizer update —
 * compiled into one plan. Returns the loss and the model's outputs (for accuracy) each call.
 */
import type { Tensor } from "./tensor.ts";
import { compile } from "./graph/compile.ts";
import { crossEntropy } from "./losses.ts";
import type { Module } from "./nn/module.ts";
import type { Optimizer } from "./optim/optimizer.ts";

export interface TrainStepResult {
  /** Scalar loss of the batch (before the update). */
  loss: Tensor;
  /** The model's outputs for the batch (before the update). */
  logits: Tensor;
}

/**
 * A compiled training step: `step(x, y)` runs forward, `loss(logits, y)` (default
 * cross-entropy), backward and `optimizer.step` as one plan, updating the weights in place.
 * @example const step = compileTrainStep(model, new optim.Adam(model.parameters()));
 *          const { loss } = step(images, labels); console.log(await loss.item());
 */
export function compileTrainStep(
  model: Module,
  optimizer: Optimizer,
  loss: (logits: Tensor, y: Tensor) => Tensor = crossEntropy,
): (x: Tensor, y: Tensor) => TrainStepResult {
  const step = compile((x: Tensor, y: Tensor) => {
    const logits = model.forward(x);
    const l = loss(logits, y);
    optimizer.step(l);
    return { loss: l, logits };
  });
  return (x, y) => step(x, y) as TrainStepResult;
}
