/**
 * @file The optimizer base. `step(loss)` differentiates the loss with respect to the
 * parameters and assigns every updated parameter and state tensor at once, written with ops,
 * so inside `compile` the whole update joins the step's plan. The learning rate is a scalar
 * tensor: schedules change it between calls without re-tracing.
 */
import { scalar } from "../creation.ts";
import { GraphError } from "../errors.ts";
import { gradients } from "../graph/autodiff.ts";
import { assignAll, type Tensor } from "../tensor.ts";
import { isTracing } from "../graph/ir.ts";

export type Update = readonly [target: Tensor, value: Tensor];

export abstract class Optimizer {
  protected readonly lrTensor: Tensor;
  private lrValue: number;

  constructor(readonly params: readonly Tensor[], lr: number) {
    if (params.length === 0) throw new GraphError(`${new.target.name}: got no parameters to optimise`);
    if (!(lr >= 0)) throw new GraphError(`${new.target.name}: learning rate must be ≥ 0, got ${lr}`);
    this.lrValue = lr;
    this.lrTensor = scalar(lr, params[0].dtype);
  }

  get lr(): number {
    return this.lrValue;
  }

  /** Sets the learning rate for the following steps (outside a compiled function). */
  set lr(value: number) {
    if (isTracing()) throw new GraphError("optimizer.lr: set the learning rate outside compile()d functions");
    this.lrValue = value;
    this.lrTensor.assign(scalar(value, this.lrTensor.dtype));
  }

  /**
   * One update. Pass the loss (gradients are taken w.r.t. `params`) or the gradients
   * themselves, one per parameter (e.g. after clipGradNorm).
   */
  step(lossOrGrads: Tensor | readonly Tensor[]): void {
    const grads = Array.isArray(lossOrGrads) ? (lossOrGrads as Tensor[]) : gradients(lossOrGrads as Tensor, this.params);
    if (grads.length !== this.params.length) {
      throw new GraphError(`${this.constructor.name}.step: got ${grads.length} gradients for ${this.params.length} parameters`);
    }
    assignAll(this.updates(grads));
  }

  /** The new value of every parameter and state tensor, computed from the old ones. */
  protected abstract updates(grads: readonly Tensor[]): Update[];
}
