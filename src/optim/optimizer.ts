/**
 * @file The optimizer base. `step(loss)` differentiates the loss with respect to the
 * parameters and assigns every updated parameter and state tensor at once, written with ops,
 * so inside `compile` the whole update joins the step's plan. The learning rate is a scalar
 * tensor: schedules change it between calls without re-tracing.
 *
 * Every step is guarded (ops/guard.ts): the loss and every gradient are checked for NaN and
 * ±Inf on the device, together with the faults of the step's kernels (a label out of range),
 * and the update kernels skip the whole update when the check fails. Adam's step count does
 * not advance on a skipped step. Reading the step's loss then throws the typed error.
 */
import { scalar } from "../creation.ts";
import { allFinite } from "../ops/guard.ts";
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
   * What errors call each parameter ("conv1.weight"); `compileTrainStep` sets them from the
   * model, the default is its position and shape.
   */
  paramNames: string[] | null = null;

  /**
   * One update. Pass the loss (gradients are taken w.r.t. `params`) or the gradients
   * themselves, one per parameter (e.g. after clipGradNorm), with the loss in `opts.loss` so
   * that the guard checks it too.
   */
  step(lossOrGrads: Tensor | readonly Tensor[], opts: { loss?: Tensor } = {}): void {
    const given = Array.isArray(lossOrGrads);
    const grads = given ? (lossOrGrads as Tensor[]) : gradients(lossOrGrads as Tensor, this.params);
    if (grads.length !== this.params.length) {
      throw new GraphError(`${this.constructor.name}.step: got ${grads.length} gradients for ${this.params.length} parameters`);
    }
    const loss = given ? opts.loss : (lossOrGrads as Tensor);
    const names = this.params.map((p, i) => `the gradient of ${this.paramNames?.[i] ?? `parameter ${i} (${p.describe()})`}`);
    const checked = loss ? [loss, ...grads] : grads;
    const ok = allFinite(checked.map((t) => (t.size === 1 ? t.reshape([1]) : t)), loss ? ["the loss", ...names] : names);
    assignAll(this.updates(grads, ok));
  }

  /**
   * The new value of every parameter and state tensor, computed from the old ones; `ok` is
   * the step's guard ([1]: 1 to update, 0 to leave everything as it is).
   */
  protected abstract updates(grads: readonly Tensor[], ok: Tensor): Update[];
}
