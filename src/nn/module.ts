/**
 * @file Module: the base of every layer. Parameters and buffers are registered by name (so
 * `namedParameters()` yields PyTorch's dotted names, e.g. `conv1.weight`) and are ordinary
 * tensors holding data; optimizers update them in place with `assign`, so a compiled step
 * captures them once and reads their new values on every call.
 */
import type { Tensor } from "../tensor.ts";
import { FormatError, ShapeError } from "../errors.ts";
import { fmtShape } from "../errors.ts";
import { fromArray } from "../creation.ts";
import { assignAll } from "../graph/executor.ts";
import type { DType, TypedArray } from "../dtype.ts";

/** A host array as checkpoints hold them (safetensors entries, an optimizer's state). */
export interface HostArray {
  dtype: DType | string;
  shape: readonly number[];
  data: TypedArray;
}

/**
 * `O` is what forward returns and `S` its extra arguments: a Linear is Module<Tensor>, an LSTM
 * Module<[Tensor, [Tensor, Tensor]], [state?: [Tensor, Tensor]]> (output and final states).
 */
export abstract class Module<O = Tensor, S extends unknown[] = []> {
  /** True in training mode (dropout active); `eval()` turns it off for the whole tree. */
  training = true;
  private readonly params = new Map<string, Tensor>();
  private readonly buffers = new Map<string, Tensor>();
  private readonly children = new Map<string, Module<unknown, never[]>>();

  abstract forward(x: Tensor, ...rest: S): O;

  /** Registers a learnable tensor under `name` and returns it. */
  protected parameter(name: string, t: Tensor): Tensor {
    this.params.set(name, t);
    return t;
  }

  /** Registers non-learnable state (saved in the state dict, not optimised). */
  protected buffer(name: string, t: Tensor): Tensor {
    this.buffers.set(name, t);
    return t;
  }

  /** Registers a submodule under `name` and returns it. */
  protected module<M extends Module<unknown, never[]>>(name: string, m: M): M {
    this.children.set(name, m);
    return m;
  }

  /** [dotted name, tensor] for every parameter of this module and its descendants. */
  namedParameters(prefix = ""): [string, Tensor][] {
    const own = [...this.params].map(([n, t]): [string, Tensor] => [prefix + n, t]);
    return own.concat(...[...this.children].map(([n, m]) => m.namedParameters(`${prefix}${n}.`)));
  }

  parameters(): Tensor[] {
    return this.namedParameters().map(([, t]) => t);
  }

  /** Parameters and buffers by dotted name: what a checkpoint stores. */
  stateDict(prefix = ""): Map<string, Tensor> {
    const out = new Map<string, Tensor>();
    for (const [n, t] of this.params) out.set(prefix + n, t);
    for (const [n, t] of this.buffers) out.set(prefix + n, t);
    for (const [n, m] of this.children) for (const [k, t] of m.stateDict(`${prefix}${n}.`)) out.set(k, t);
    return out;
  }

  /** The parameters an optimizer should get: those not frozen. */
  trainableParameters(): Tensor[] {
    return this.parameters().filter((p) => p.requiresGrad);
  }

  /**
   * Freezes parameters (all of them, or those under the given dotted names: "conv1" is
   * conv1.weight and conv1.bias): optimizers made afterwards leave them out, so training
   * leaves them bit-identical and spends no gradient work on them. Returns the frozen names.
   */
  freeze(...names: string[]): string[] {
    return this.setTrainable(false, names);
  }

  /** Undoes `freeze` for the given names (or all); make the optimizer afterwards. */
  unfreeze(...names: string[]): string[] {
    return this.setTrainable(true, names);
  }

  private setTrainable(on: boolean, names: string[]): string[] {
    const all = this.namedParameters();
    const hit = (n: string) => names.length === 0 || names.some((w) => n === w || n.startsWith(`${w}.`));
    for (const w of names) {
      if (!all.some(([n]) => n === w || n.startsWith(`${w}.`))) {
        const tops = [...new Set(all.map(([n]) => n.split(".")[0]))];
        throw new ShapeError(`${this.constructor.name}.${on ? "unfreeze" : "freeze"}: no parameter is called "${w}" or lies under it; the model has ${tops.join(", ")}`);
      }
    }
    const done = all.filter(([n]) => hit(n));
    for (const [, t] of done) t.requiresGrad = on;
    return done.map(([n]) => n);
  }

  /**
   * Replaces the submodule at a dotted path (a new head: `model.replace("fc3", new
   * nn.Linear(84, 5))`), as assigning `model.fc3 = …` does in PyTorch; the field that held the
   * old one now holds the new one. Returns the old module.
   */
  replace(path: string, m: Module<unknown, never[]>): Module<unknown, never[]> {
    const parts = path.split(".");
    let parent: Module<unknown, never[]> = this as unknown as Module<unknown, never[]>;
    for (const p of parts.slice(0, -1)) {
      const next = parent.children.get(p);
      if (!next) throw new ShapeError(`${this.constructor.name}.replace: no submodule "${p}" in "${path}"`);
      parent = next;
    }
    const key = parts[parts.length - 1];
    const old = parent.children.get(key);
    if (!old) throw new ShapeError(`${this.constructor.name}.replace: no submodule "${path}"; it has ${[...parent.children.keys()].join(", ") || "none"}`);
    parent.children.set(key, m);
    for (const [k, v] of Object.entries(parent)) if (v === old) (parent as unknown as Record<string, unknown>)[k] = m;
    return old;
  }

  /**
   * Loads host arrays by name (a safetensors file's tensors). Every name, shape and dtype is
   * checked first; on any mismatch a FormatError names `file` and the module stays as it was.
   * With `strict: false` (PyTorch's `strict=False`) names on one side only are allowed and
   * returned; a name on both sides with another shape is still an error.
   */
  loadStateDict(arrays: ReadonlyMap<string, HostArray>, opts: { strict?: boolean; file?: string } = {}): { missing: string[]; unexpected: string[] } {
    const file = opts.file ?? "state dict";
    const own = this.stateDict();
    const missing = [...own.keys()].filter((k) => !arrays.has(k));
    const unexpected = [...arrays.keys()].filter((k) => !own.has(k));
    if ((opts.strict ?? true) && (missing.length || unexpected.length)) {
      throw new FormatError(`${file}: keys do not match the model (missing: ${missing.join(", ") || "none"}; unexpected: ${unexpected.join(", ") || "none"})`);
    }
    const pairs: [Tensor, Tensor][] = [];
    for (const [name, target] of own) {
      const a = arrays.get(name);
      if (!a) continue;
      if (a.dtype !== target.dtype || a.shape.join() !== target.shape.join()) {
        throw new FormatError(`${file}: ${name} is ${a.dtype}${fmtShape(a.shape)} in the file, the model has ${target.describe()}`);
      }
      pairs.push([target, fromArray(a.data, [...a.shape], target.dtype)]);
    }
    assignAll(pairs);
    return { missing, unexpected };
  }

  /** Sets training mode for this module and every descendant. */
  train(on = true): this {
    this.training = on;
    for (const m of this.children.values()) m.train(on);
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /** Number of learnable scalars. */
  parameterCount(): number {
    return this.parameters().reduce((a, t) => a + t.size, 0);
  }
}

/** Applies modules in order. */
export class Sequential extends Module {
  readonly layers: Module[];
  constructor(...layers: Module[]) {
    super();
    if (layers.length === 0) throw new ShapeError("Sequential: needs at least one layer");
    this.layers = layers.map((m, i) => this.module(String(i), m));
  }
  forward(x: Tensor): Tensor {
    return this.layers.reduce((h, m) => m.forward(h), x);
  }
}
