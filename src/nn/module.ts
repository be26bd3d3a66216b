/**
 * @file Module: the base of every layer. Parameters and buffers are registered by name (so
 * `namedParameters()` yields PyTorch's dotted names, e.g. `conv1.weight`) and are ordinary
 * tensors holding data; optimizers update them in place with `assign`, so a compiled step
 * captures them once and reads their new values on every call.
 */
import type { Tensor } from "../tensor.ts";
import { ShapeError } from "../errors.ts";

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
