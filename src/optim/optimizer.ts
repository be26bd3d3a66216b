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
 * A parameter with `sparseGrad` (an embedding table, `Embedding({ sparse: true })`) is kept out
 * of the packed buffer: its gradient, gather's adjoint scatterAdd(rows, idx), is taken apart
 * into the rows and their indices, and the subclass updates only those rows, in place
 * (ops/sparse_updates.ts): SGD exactly as the dense step would, Adam lazily (the moments of
 * unused rows stay as they are).
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
import { scatterAddDef } from "../ops/gather.ts";
import { concat, reshape } from "../ops/movement.ts";
import { FlatParams } from "./flat_params.ts";

export type Update = readonly [target: Tensor, value: Tensor];

/** A sparse parameter's gradient taken apart: the rows [n, D] and their int32 indices [n]. */
export interface SparseGrad {
  /** The parameter, and its position in its group's `sparse` list. */
  param: Tensor;
  index: number;
  idx: Tensor;
  rows: Tensor;
}

/** A parameter group (torch.optim's param_groups): its own rate and weight decay. */
export interface ParamGroup {
  params: readonly Tensor[];
  /** Default: the optimizer's rate. */
  lr?: number;
  /** Default: the optimizer's weight decay. */
  weightDecay?: number;
}

/** One group as the optimizer keeps it: its parameters packed, its rate a scalar tensor. */
export interface Group {
  readonly params: readonly Tensor[];
  /** The index of its first parameter in `optimizer.params`. */
  readonly first: number;
  /** Its parameters with `sparseGrad` (updated by rows, not packed), in order. */
  readonly sparse: readonly Tensor[];
  /** The others, packed; null when every parameter of the group is sparse. */
  readonly packed: FlatParams | null;
  readonly lrTensor: Tensor;
  lrValue: number;
  /** Its rate at construction: `optimizer.lr = x` sets each group to x × base / group 0's base. */
  readonly base: number;
  readonly weightDecay?: number;
}

const checkLr = (what: string, lr: number) => {
  if (!(lr >= 0) || !Number.isFinite(lr)) throw new GraphError(`${what}: the learning rate must be a finite number ≥ 0, got ${lr}`);
};

export abstract class Optimizer {
  /** The groups (one unless parameter groups were given), each packed into one buffer that one update kernel writes. */
  protected readonly groups: Group[];
  private readonly sync = () => this.groups.forEach((g) => g.packed?.sync());

  /** The parameters it updates, group after group: those it was given, less any frozen (`requiresGrad` false). */
  readonly params: readonly Tensor[];

  /**
   * `params`: the parameters, or parameter groups (`[{ params: body, lr: 1e-4 }, { params:
   * head }]`) whose rate and weight decay default to the optimizer's.
   */
  constructor(params: readonly Tensor[] | readonly ParamGroup[], lr: number) {
    const name = new.target.name;
    checkLr(name, lr);
    const given: ParamGroup[] = params.length > 0 && !("params" in (params[0] as object)) ? [{ params: params as readonly Tensor[] }] : [...(params as readonly ParamGroup[])];
    const total = given.reduce((n, g) => n + g.params.length, 0);
    if (total === 0) throw new GraphError(`${name}: got no parameters to optimise`);
    const trainable = given.map((g) => ({ ...g, params: g.params.filter((p) => p.requiresGrad) })).filter((g) => g.params.length > 0);
    if (trainable.length === 0) throw new GraphError(`${name}: all ${total} parameters are frozen; unfreeze some (Module.unfreeze) before making the optimizer`);
    const seen = new Set<Tensor>();
    let first = 0;
    this.groups = trainable.map((g, i) => {
      // twice within a group: FlatParams says which two positions
      for (const p of g.params) if (seen.has(p)) throw new GraphError(`${name}: a parameter (${p.describe()}) is in two parameter groups`);
      for (const p of g.params) seen.add(p);
      const rate = g.lr ?? lr;
      checkLr(`${name} group ${i}`, rate);
      const sparse = g.params.filter((p) => p.sparseGrad);
      for (const p of sparse) {
        if (p.node.op !== null || p.rank !== 2) throw new GraphError(`${name}: a parameter with sparse gradients must be a 2-D table holding data (an Embedding's weight), got ${p.describe()}`);
      }
      const dense = g.params.filter((p) => !p.sparseGrad);
      const packed = dense.length > 0 ? new FlatParams(dense, name) : null;
      const group: Group = { params: g.params, first, sparse, packed, lrTensor: scalar(rate, g.params[0].dtype), lrValue: rate, base: rate, weightDecay: g.weightDecay };
      first += g.params.length;
      return group;
    });
    this.params = this.groups.flatMap((g) => g.params);
  }

  /** The rate of the first group (of every parameter, without groups). */
  get lr(): number {
    return this.groups[0].lrValue;
  }

  /**
   * Sets the learning rate for the following steps (outside a compiled function); with groups,
   * each group's rate keeps its ratio to the first group's (as a scheduler scales each group).
   */
  set lr(value: number) {
    if (isTracing()) throw new GraphError("optimizer.lr: set the learning rate outside compile()d functions");
    checkLr("optimizer.lr", value);
    const base0 = this.groups[0].base;
    this.groups.forEach((g, i) => this.setGroupLr(i, i === 0 || base0 === 0 ? value : (value * g.base) / base0));
  }

  /** Each group's current rate. */
  get groupLrs(): number[] {
    return this.groups.map((g) => g.lrValue);
  }

  /** Sets one group's rate. */
  setGroupLr(i: number, value: number): void {
    if (isTracing()) throw new GraphError("optimizer.setGroupLr: set the learning rate outside compile()d functions");
    checkLr(`optimizer group ${i}`, value);
    const g = this.groups[i];
    if (!g) throw new GraphError(`optimizer.setGroupLr: there is no group ${i} (${this.groups.length} groups)`);
    g.lrValue = value;
    g.lrTensor.assign(scalar(value, g.lrTensor.dtype));
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
    const gradOf = (p: Tensor) => grads[this.params.indexOf(p)];
    const label = (p: Tensor) => {
      const i = this.params.indexOf(p);
      return this.paramNames?.[i] ?? `parameter ${i} (${p.describe()})`;
    };
    const packedGrads = this.groups.map((g) => (g.packed ? pack(g.packed.params.map(gradOf)) : null));
    const sparseGrads = this.groups.map((g) => g.sparse.map((p, index): SparseGrad => ({ param: p, index, ...sparseRows(gradOf(p), label(p), this.constructor.name) })));
    const checked: Tensor[] = [];
    const parts: Parameters<typeof allFinite>[1][number][] = [];
    this.groups.forEach((g, i) => {
      if (!g.packed) return;
      checked.push(packedGrads[i]!);
      parts.push({ name: "the gradients", offsets: g.packed.offsets, shapes: g.packed.params.map((p) => [...p.shape]), names: g.packed.params.map((p) => `the gradient of ${label(p)}`) });
    });
    for (const s of sparseGrads.flat()) {
      checked.push(reshape(s.rows, [s.rows.size]));
      parts.push(`the gradient rows of ${label(s.param)}`);
    }
    const ok = loss ? allFinite([loss.reshape([1]), ...checked], ["the loss", ...parts]) : allFinite(checked, parts);
    assignAll(this.groups.flatMap((g, i) => this.updates(g, i, packedGrads[i], ok, sparseGrads[i])));
    return ok;
  }

  /**
   * Everything the optimizer carries between steps, by name, for checkpoints: `lr` (and
   * `lr.1`, `lr.2` … for further groups) and each parameter's state under PyTorch's names
   * (`conv1.weight.exp_avg`, `….momentum_buffer`, Adam's `step`). Loading these with
   * `loadStateDict` continues the run exactly.
   */
  stateDict(): Map<string, Tensor> {
    const out = new Map<string, Tensor>(this.groups.map((g, i) => [i === 0 ? "lr" : `lr.${i}`, g.lrTensor]));
    for (const [k, t] of this.scalarState()) out.set(k, t);
    this.groups.forEach((g, gi) => {
      const packed = this.packedState(gi);
      g.packed?.params.forEach((p, k) => {
        for (const [suffix, t] of packed) out.set(`${this.paramName(this.params.indexOf(p))}.${suffix}`, g.packed!.part(t, k));
      });
      g.sparse.forEach((p, k) => {
        for (const [suffix, t] of this.sparseState(gi, k)) out.set(`${this.paramName(this.params.indexOf(p))}.${suffix}`, t);
      });
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
    const lrs = this.groups.map((_, i) => arrays.get(i === 0 ? "lr" : `lr.${i}`)!.data[0]);
    lrs.forEach((lr) => {
      if (!(lr >= 0)) throw new FormatError(`${file}: learning rate ${lr} is not a number ≥ 0`);
    });
    const host = (name: string, t: Tensor): [Tensor, Tensor] => [t, fromArray(arrays.get(name)!.data, [...t.shape], t.dtype)];
    const pairs: [Tensor, Tensor][] = [...this.groups.map((g, i) => host(i === 0 ? "lr" : `lr.${i}`, g.lrTensor)), ...this.scalarState().map(([k, t]) => host(k, t))];
    // each packed state from its per-parameter arrays
    this.groups.forEach((g, gi) => {
      const packed = g.packed;
      if (packed) {
        for (const [suffix, t] of this.packedState(gi)) {
          const parts = packed.params.map((p) => arrays.get(`${this.paramName(this.params.indexOf(p))}.${suffix}`)!.data);
          pairs.push([t, fromArray(packed.packHost(parts), [packed.total], t.dtype)]);
        }
      }
      g.sparse.forEach((p, k) => {
        for (const [suffix, t] of this.sparseState(gi, k)) pairs.push(host(`${this.paramName(this.params.indexOf(p))}.${suffix}`, t));
      });
    });
    assignAll(pairs);
    this.groups.forEach((g, i) => (g.lrValue = lrs[i]));
  }

  /** The name errors and checkpoints give parameter i. */
  protected paramName(i: number): string {
    return this.paramNames?.[i] ?? `param${i}`;
  }

  /** State tensors other than lr that are not per parameter (Adam's `step`), by name. */
  protected abstract scalarState(): [string, Tensor][];

  /**
   * Group g's per-parameter state, each as one tensor packed like its (dense) parameters, by
   * the suffix of its per-parameter names (`exp_avg` → `conv1.weight.exp_avg`).
   */
  protected abstract packedState(g: number): [string, Tensor][];

  /** The state of group g's k-th sparse parameter (shaped like it), by suffix. */
  protected sparseState(_g: number, _k: number): [string, Tensor][] {
    return [];
  }

  /**
   * The new value of group g's packed parameters (`group.packed.flat`, when it has dense ones:
   * `grad` is packed like them, else null) and of its sparse parameters (`sparse`: each one's
   * gradient rows) and their state, computed from the old ones; `ok` is the step's guard ([1]:
   * 1 to update, 0 to leave everything as it is). Group 0 also updates shared state.
   */
  protected abstract updates(group: Group, g: number, grad: Tensor | null, ok: Tensor, sparse: readonly SparseGrad[]): Update[];

  /** Throws unless group settings allow sparse parameters (`why` says which setting does not). */
  protected refuseSparse(why: (g: Group) => string | null): void {
    for (const g of this.groups) {
      const reason = g.sparse.length > 0 ? why(g) : null;
      if (reason) throw new GraphError(`${this.constructor.name}: ${g.sparse[0].describe()} has sparse gradients (Embedding sparse: true), which ${reason}; make the embedding with sparse: false, or drop that setting`);
    }
  }
}

/**
 * A sparse parameter's gradient as rows and indices: gather's adjoint scatterAdd(rows, idx),
 * or a sum of them (a table read by several gathers); anything else cannot be updated by rows.
 */
function sparseRows(g: Tensor, name: string, opt: string): { idx: Tensor; rows: Tensor } {
  const parts: { idx: Tensor; rows: Tensor }[] = [];
  const walk = (t: Tensor): boolean => {
    const { op, inputs } = t.node;
    if (op === scatterAddDef) {
      const [rows, idx] = inputs;
      parts.push({ idx: reshape(idx, [idx.size]), rows: reshape(rows, [idx.size, t.shape[1]]) });
      return true;
    }
    if (op?.name === "add" && inputs.length === 2 && inputs.every((x) => x.shape.join() === t.shape.join())) return walk(inputs[0]) && walk(inputs[1]);
    return false;
  };
  if (!walk(g)) {
    throw new GraphError(`${opt}.step: ${name} has sparse gradients (Embedding sparse: true), but its gradient is ${g.node.op ? `computed by ${g.node.op.name}` : "a given tensor"}, not only gather's: a parameter updated by rows may be read only through gather (Embedding.forward), and its gradient not clipped or changed; make it with sparse: false`);
  }
  return parts.length === 1 ? parts[0] : { idx: concat(parts.map((p) => p.idx)), rows: concat(parts.map((p) => p.rows)) };
}
