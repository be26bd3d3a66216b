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
import { detach } from "./ops/elementwise.ts";
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
  /** With the `carry` option: sets the carried state back to zeros (at the start of an epoch). */
  resetState(): void;
}

/**
 * A recurrent state carried from step to step (truncated backprop through time): each step
 * runs `forward(x, state)` and keeps the new state, detached, on the device for the next
 * step, so the gradient flows back through one batch's steps only.
 */
export interface CarriedState {
  /** The state tensors (e.g. an LSTM's [h, c]), zeros at the start; updated by every step. */
  state: Tensor[];
  /** The outputs and the next state, given a batch and the current state. */
  forward: (x: Tensor, state: Tensor[]) => [Tensor, Tensor[]];
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
  /** Carry a recurrent state across steps (truncated BPTT; the batches must be contiguous streams). */
  carry?: CarriedState;
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
  const carry = opts.carry;
  const step = compile((x: Tensor, y: Tensor) => {
    let logits: Tensor;
    if (carry) {
      const [out, next] = carry.forward(x, carry.state);
      logits = out;
      // the next batch starts where this one ended, but its gradient stops here
      next.forEach((s, i) => carry.state[i].assign(detach(s)));
    } else logits = model.forward(x);
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
    resetState: () => carry?.state.forEach((s) => s.assign(zeros(s.shape, s.dtype))),
  });
}
