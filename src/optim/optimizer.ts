/**
 * @file The optimizer base. `step(loss)` differentiates the loss with respect to the
 * parameters and assigns every updated parameter and state tensor at once, written with ops,
 * so inside `compile` the whole update joins the step's plan. The learning rate is a scalar
 * tensor: schedules change it between calls without re-tracing.
 *
 * All parameters live in one packed buffer (optim/flat_params.ts) and so does each state
 * tensor (Adam's moments, SGD's momentum): the gradients are packed too (ops/pack.ts; inside a
 * compiled step the planner has each gradient's kernel write its window directly), and one
 * kernel updates every parameter. Checkpoints still see one tensor per parameter and state.
 *
 * Every step is guarded (ops/guard.ts): the loss and every gradient are checked for NaN and
 * ±Inf on the device, together with the faults of the step's kernels (a label out of range),
 * and the update kernel skips the whole update when the check fails. Adam's step count does
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
import { recordBeforeRun } from "../graph/trace.ts";
import { pack } from "../ops/pack.ts";
import { FlatParams } from "./flat_params.ts";

export type Update = readonly [target: Tensor, value: Tensor];

export abstract class Optimizer {
  protected readonly lrTensor: Tensor;
  private lrValue: number;
  /** The parameters as one packed buffer, which the update kernel writes. */
  protected readonly packed: FlatParams;
  private readonly sync = () => this.packed.sync();

  /** The parameters it updates: those it was given, less any frozen (`requiresGrad` false). */
  readonly params: readonly Tensor[];

  constructor(params: readonly Tensor[], lr: number) {
    if (params.length === 0) throw new GraphError(`${new.target.name}: got no parameters to optimise`);
    this.params = params.filter((p) => p.requiresGrad);
    if (this.params.length === 0) throw new GraphError(`${new.target.name}: all ${params.length} parameters are frozen; unfreeze some (Module.unfreeze) before making the optimizer`);
    this.packed = new FlatParams(this.params, new.target.name);
    if (!(lr >= 0) || !Number.isFinite(lr)) throw new GraphError(`${new.target.name}: the learning rate must be a finite number ≥ 0, got ${lr}`);
    this.lrValue = lr;
    this.lrTensor = scalar(lr, this.params[0].dtype);
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
    const frozen = this.params.findIndex((p) => !p.requiresGrad);
    if (frozen >= 0) {
      throw new GraphError(`${this.constructor.name}.step: ${this.paramNames?.[frozen] ?? `parameter ${frozen}`} was frozen after the optimizer was made; make the optimizer after freezing (its state is per parameter)`);
    }
    const given = Array.isArray(lossOrGrads);
    const grads = given ? (lossOrGrads as Tensor[]) : gradients(lossOrGrads as Tensor, this.params);
    if (grads.length !== this.params.length) {
      throw new GraphError(`${this.constructor.name}.step: got ${grads.length} gradients for ${this.params.length} parameters`);
    }
    grads.forEach((g, i) => {
      if (g.dtype !== this.params[i].dtype || g.shape.join() !== this.params[i].shape.join()) {
        throw new GraphError(`${this.constructor.name}.step: gradient ${i} is ${g.describe()}, its parameter ${this.params[i].describe()}`);
      }
    });
    // the packed parameters must hold the model's current values when the update runs
    if (isTracing()) recordBeforeRun(this.sync);
    else this.sync();
    const loss = given ? opts.loss : (lossOrGrads as Tensor);
    const grad = pack(grads);
    const names = this.params.map((p, i) => `the gradient of ${this.paramNames?.[i] ?? `parameter ${i} (${p.describe()})`}`);
    const parts = { name: "the gradients", offsets: this.packed.offsets, names, shapes: this.params.map((p) => [...p.shape]) };
    const ok = loss ? allFinite([loss.reshape([1]), grad], ["the loss", parts]) : allFinite([grad], [parts]);
    assignAll(this.updates(this.packed.flat, grad, ok));
    return ok;
  }

  /**
   * Everything the optimizer carries between steps, by name, for checkpoints: `lr` and each
   * parameter's state under PyTorch's names (`conv1.weight.exp_avg`, `….momentum_buffer`,
   * Adam's `step`). Loading these with `loadStateDict` continues the run exactly.
   */
  stateDict(): Map<string, Tensor> {
    const out = new Map<string, Tensor>([["lr", this.lrTensor]]);
    for (const [k, t] of this.scalarState()) out.set(k, t);
    const packed = this.packedState();
    this.params.forEach((_, i) => {
      for (const [suffix, t] of packed) out.set(`${this.paramName(i)}.${suffix}`, this.packed.part(t, i));
    });
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
    for (const [name, t] of own) {
      const a = arrays.get(name)!;
      if (a.dtype !== t.dtype || a.shape.join() !== t.shape.join()) {
        throw new FormatError(`${file}: ${name} is ${a.dtype}[${a.shape.join(",")}] in the file, the optimizer has ${t.describe()}`);
      }
    }
    const lr = arrays.get("lr")!.data[0];
    if (!(lr >= 0)) throw new FormatError(`${file}: learning rate ${lr} is not a number ≥ 0`);
    const host = (name: string, t: Tensor): [Tensor, Tensor] => [t, fromArray(arrays.get(name)!.data, [...t.shape], t.dtype)];
    const pairs: [Tensor, Tensor][] = [host("lr", this.lrTensor), ...this.scalarState().map(([k, t]) => host(k, t))];
    // each packed state from its per-parameter arrays
    for (const [suffix, t] of this.packedState()) {
      const parts = this.params.map((_, i) => arrays.get(`${this.paramName(i)}.${suffix}`)!.data);
      pairs.push([t, fromArray(this.packed.packHost(parts), [this.packed.total], t.dtype)]);
    }
    assignAll(pairs);
    this.lrValue = lr;
  }

  /** The name errors and checkpoints give parameter i. */
  protected paramName(i: number): string {
    return this.paramNames?.[i] ?? `param${i}`;
  }

  /** State tensors other than lr that are not per parameter (Adam's `step`), by name. */
  protected abstract scalarState(): [string, Tensor][];

  /**
   * Per-parameter state, each as one tensor packed like the parameters, by the suffix of its
   * per-parameter names (`exp_avg` → `conv1.weight.exp_avg`).
   */
  protected abstract packedState(): [string, Tensor][];

  /**
   * The new value of the packed parameters and of every state tensor, computed from the old
   * ones: `params` and `grad` are packed alike; `ok` is the step's guard ([1]: 1 to update,
   * 0 to leave everything as it is).
   */
  protected abstract updates(params: Tensor, grad: Tensor, ok: Tensor): Update[];
}
