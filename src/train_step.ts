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
import { zeros } from "./creation.ts";
import { METER_FIELDS, trainMeter } from "./ops/meter.ts";

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
  /**
   * With the `meter` option: the running sums on the device, [loss sum, correct, examples,
   * steps, skipped steps] (ops/meter.ts), updated by every step; read it every few steps
   * instead of reading each step's loss. Null without the option.
   */
  readonly meter: Tensor | null;
  /** Sets the meter back to zeros (at the start of an epoch). */
  resetMeter(): void;
}

export interface TrainStepOptions {
  /** loss(outputs, y) → scalar; default cross-entropy. */
  loss?: (logits: Tensor, y: Tensor) => Tensor;
  /** Rescale the gradients to this global L2 norm when they exceed it (for recurrent nets). */
  clipGradNorm?: number;
  /**
   * Keep running sums on the device (`step.meter`): "accuracy" counts correct rows of the
   * outputs too (classifiers), "loss" only the loss (language models).
   */
  meter?: "accuracy" | "loss";
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
  const meter = opts.meter ? zeros([METER_FIELDS.length], optimizer.params[0].dtype) : null;
  const step = compile((x: Tensor, y: Tensor) => {
    const logits = model.forward(x);
    const l = loss(logits, y);
    const ok = opts.clipGradNorm === undefined
      ? optimizer.step(l)
      : optimizer.step(clipGradNorm(gradients(l, optimizer.params), opts.clipGradNorm), { loss: l });
    if (meter) meter.assign(trainMeter(meter, l, logits, y, ok, { accuracy: opts.meter === "accuracy" }));
    return { loss: l, logits };
  });
  return Object.assign((x: Tensor, y: Tensor) => step(x, y) as TrainStepResult, {
    plan: (x: Tensor, y: Tensor) => step.plan(x, y),
    meter,
    resetMeter: () => meter?.assign(zeros([METER_FIELDS.length], meter.dtype)),
  });
}
