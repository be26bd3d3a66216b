/**
 * @file Adam and AdamW as torch.optim: with step count t,
 *   m ← β₁m + (1 − β₁)g    v ← β₂v + (1 − β₂)g²
 *   p ← p − lr · (m / (1 − β₁ᵗ)) / (√(v / (1 − β₂ᵗ)) + ε)
 * Adam's weight decay adds λp to g (L2); AdamW's shrinks p by lr·λ first (decoupled). t is a
 * scalar tensor, so the bias corrections are computed inside the compiled step.
 */
import { scalar, zeros } from "../creation.ts";
import { adamHyper, adamUpdate } from "../ops/optimizer_updates.ts";
import type { Tensor } from "../tensor.ts";
import { Optimizer, type Group, type ParamGroup, type Update } from "./optimizer.ts";

export interface AdamOptions {
  lr?: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
}

export class Adam extends Optimizer {
  /** The moments of each group, packed like its parameters. */
  protected readonly m: Tensor[];
  protected readonly v: Tensor[];
  protected readonly t: Tensor;
  readonly betas: [number, number];
  readonly eps: number;
  readonly weightDecay: number;
  protected readonly decoupled: boolean = false;

  constructor(params: readonly Tensor[] | readonly ParamGroup[], opts: AdamOptions = {}, defaultDecay = 0) {
    super(params, opts.lr ?? 1e-3);
    this.betas = opts.betas ?? [0.9, 0.999];
    this.eps = opts.eps ?? 1e-8;
    this.weightDecay = opts.weightDecay ?? defaultDecay;
    this.m = this.groups.map((g) => zeros([g.packed.total], g.params[0].dtype));
    this.v = this.groups.map((g) => zeros([g.packed.total], g.params[0].dtype));
    this.t = scalar(0, this.params[0].dtype);
  }

  protected scalarState(): [string, Tensor][] {
    return [["step", this.t]];
  }

  protected packedState(g: number): [string, Tensor][] {
    return [["exp_avg", this.m[g]], ["exp_avg_sq", this.v[g]]];
  }

  protected updates(group: Group, g: number, grad: Tensor, ok: Tensor): Update[] {
    const [b1, b2] = this.betas;
    // t ← t + ok (a skipped step does not count), lr / (1 − β₁ᵗ) and 1 / (1 − β₂ᵗ): one kernel
    // per group (its own rate); the step count is shared, advanced once
    const [hyper, t] = adamHyper(group.lrTensor, this.t, ok, { b1, b2 });
    const attrs = { b1, b2, eps: this.eps, weightDecay: group.weightDecay ?? this.weightDecay, decoupled: this.decoupled };
    // one fused kernel for every parameter of the group (ops/optimizer_updates.ts); zero gaps stay zero
    const params = group.packed.flat;
    const [np, m, v] = adamUpdate(params, grad, this.m[g], this.v[g], hyper, attrs);
    return [...(g === 0 ? [[this.t, t] as const] : []), [this.m[g], m], [this.v[g], v], [params, np]];
  }
}

/** Adam with decoupled weight decay (default 0.01, as PyTorch). */
export class AdamW extends Adam {
  protected override readonly decoupled = true;
  constructor(params: readonly Tensor[] | readonly ParamGroup[], opts: AdamOptions = {}) {
    super(params, opts, 0.01);
  }
}
