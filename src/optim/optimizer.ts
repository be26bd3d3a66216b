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
import { fromArray, scalar } from "../creation.ts";
import type { TypedArray } from "../dtype.ts";
import { allFinite } from "../ops/guard.ts";
import { FormatError, GraphError } from "../errors.ts";
import { gradients } from "../graph/autodiff.ts";
import type { Tensor } from "../tensor.ts";
import { assignAll } from "../graph/executor.ts";
import { isTracing } from "../graph/ir.ts";

export type Update = readonly [target: Tensor, value: Tensor];

export abstract class Optimizer {
  protected readonly lrTensor: Tensor;
  private lrValue: number;

  constructor(readonly params: readonly Tensor[], lr: number) {
    if (params.length === 0) throw new GraphError(`${new.target.name}: got no parameters to optimise`);
    if (!(lr >= 0) || !Number.isFinite(lr)) throw new GraphError(`${new.target.name}: the learning rate must be a finite number ≥ 0, got ${lr}`);
    this.lrValue = lr;
    this.lrTensor = scalar(lr, params[0].dtype);
  }

  get lr(): number {
    return this.lrValue;
  }

  /** Sets the learning rate for the following steps (outside a compiled function). */
  set lr(value: number) {
    if (isTracing()) throw new GraphError("optimizer.lr: set the learning rate outside compile()d functions");
    if (!(value >= 0) || !Number.isFinite(value)) throw new GraphError(`optimizer.lr: the learning rate must be a finite number ≥ 0, got ${value}`);
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
   * that the guard checks it too. Returns the step's guard `ok` ([1]: 1 when the update ran,
   * 0 when a non-finite loss or gradient or a fault made it skip), computed on the device.
   */
  step(lossOrGrads: Tensor | readonly Tensor[], opts: { loss?: Tensor } = {}): Tensor {
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
    return ok;
  }

  /**
   * Everything the optimizer carries between steps, by name, for checkpoints: `lr` and each
   * parameter's state under PyTorch's names (`conv1.weight.exp_avg`, `….momentum_buffer`,
   * Adam's `step`). Loading these with `loadStateDict` continues the run exactly.
   */
  stateDict(): Map<string, Tensor> {
    const out = new Map<string, Tensor>([["lr", this.lrTensor]]);
    for (const [k, t] of this.namedState()) out.set(k, t);
    return out;
  }

  /**
   * Restores what `stateDict` returned (as host arrays). Every name, shape and dtype is
   * checked first; on a mismatch a FormatError names `file` and the optimizer is unchanged.
   */
  loadStateDict(arrays: ReadonlyMap<string, { dtype: string; shape: readonly number[]; data: TypedArray }>, file = "optimizer state"): void {
    const own = this.stateDict();
    const missing = [...own.keys()].filter((k) => !arrays.has(k));
    const extra = [...arrays.keys()].filter((k) => !own.has(k));
    if (missing.length || extra.length) {
      throw new FormatError(`${file}: the ${this.constructor.name} state does not match (missing: ${missing.join(", ") || "none"}; unexpected: ${extra.join(", ") || "none"})`);
    }
    const pairs: [Tensor, Tensor][] = [];
    for (const [name, t] of own) {
      const a = arrays.get(name)!;
      if (a.dtype !== t.dtype || a.shape.join() !== t.shape.join()) {
        throw new FormatError(`${file}: ${name} is ${a.dtype}[${a.shape.join(",")}] in the file, the optimizer has ${t.describe()}`);
      }
      pairs.push([t, fromArray(a.data, [...a.shape], t.dtype)]);
    }
    const lr = arrays.get("lr")!.data[0];
    if (!(lr >= 0)) throw new FormatError(`${file}: learning rate ${lr} is not a number ≥ 0`);
    assignAll(pairs);
    this.lrValue = lr;
  }

  /** The name errors and checkpoints give parameter i. */
  protected paramName(i: number): string {
    return this.paramNames?.[i] ?? `param${i}`;
  }

  /** State tensors other than lr, by name. */
  protected abstract namedState(): [string, Tensor][];

  /**
   * The new value of every parameter and state tensor, computed from the old ones; `ok` is
   * the step's guard ([1]: 1 to update, 0 to leave everything as it is).
   */
  protected abstract updates(grads: readonly Tensor[], ok: Tensor): Update[];
}
