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
import { Optimizer, type Update } from "./optimizer.ts";

export interface AdamOptions {
  lr?: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
}

export class Adam extends Optimizer {
  /** The moments, packed like the parameters. */
  protected readonly m: Tensor;
  protected readonly v: Tensor;
  protected readonly t: Tensor;
  readonly betas: [number, number];
  readonly eps: number;
  readonly weightDecay: number;
  protected readonly decoupled: boolean = false;

  constructor(params: readonly Tensor[], opts: AdamOptions = {}, defaultDecay = 0) {
    super(params, opts.lr ?? 1e-3);
    this.betas = opts.betas ?? [0.9, 0.999];
    this.eps = opts.eps ?? 1e-8;
    this.weightDecay = opts.weightDecay ?? defaultDecay;
    this.m = zeros([this.packed.total], this.params[0].dtype);
    this.v = zeros([this.packed.total], this.params[0].dtype);
    this.t = scalar(0, this.params[0].dtype);
  }

  protected scalarState(): [string, Tensor][] {
    return [["step", this.t]];
  }

  protected packedState(): [string, Tensor][] {
    return [["exp_avg", this.m], ["exp_avg_sq", this.v]];
  }

  protected updates(params: Tensor, grad: Tensor, ok: Tensor): Update[] {
    const [b1, b2] = this.betas;
    // t ← t + ok (a skipped step does not count), lr / (1 − β₁ᵗ) and 1 / (1 − β₂ᵗ): one kernel
    const [hyper, t] = adamHyper(this.lrTensor, this.t, ok, { b1, b2 });
    const attrs = { b1, b2, eps: this.eps, weightDecay: this.weightDecay, decoupled: this.decoupled };
    // one fused kernel for every parameter (ops/optimizer_updates.ts); zero gaps stay zero
    const [np, m, v] = adamUpdate(params, grad, this.m, this.v, hyper, attrs);
    return [[this.t, t], [this.m, m], [this.v, v], [params, np]];
  }
}

/** Adam with decoupled weight decay (default 0.01, as PyTorch). */
export class AdamW extends Adam {
  protected override readonly decoupled = true;
  constructor(params: readonly Tensor[], opts: AdamOptions = {}) {
    super(params, opts, 0.01);
  }
}
