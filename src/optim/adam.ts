/**
 * @file Adam and AdamW as torch.optim: with step count t,
 *   m ← β₁m + (1 − β₁)g    v ← β₂v + (1 − β₂)g²
 *   p ← p − lr · (m / (1 − β₁ᵗ)) / (√(v / (1 − β₂ᵗ)) + ε)
 * Adam's weight decay adds λp to g (L2); AdamW's shrinks p by lr·λ first (decoupled). t is a
 * scalar tensor, so the bias corrections are computed inside the compiled step.
 *
 * A parameter with sparse gradients (`Embedding({ sparse: true })`) is updated lazily: the
 * same rule on the rows a step uses, the others (moments included) left as they are, as
 * TensorFlow's LazyAdam and PyTorch's SparseAdam do; no weight decay for those.
 */
import { scalar, zeros } from "../creation.ts";
import { adamHyper, adamUpdate } from "../ops/optimizer_updates.ts";
import { sparseAdamUpdate } from "../ops/sparse_updates.ts";
import type { Tensor } from "../tensor.ts";
import { Optimizer, type Group, type ParamGroup, type SparseGrad, type Update } from "./optimizer.ts";

export interface AdamOptions {
  lr?: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
}

export class Adam extends Optimizer {
  /** The moments of each group, packed like its parameters. */
  protected readonly m: (Tensor | null)[];
  protected readonly v: (Tensor | null)[];
  /** Each group's sparse parameters' moments, [m, v] shaped like each. */
  protected readonly sparseMoments: [Tensor, Tensor][][];
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
    this.m = this.groups.map((g) => (g.packed ? zeros([g.packed.total], g.params[0].dtype) : null));
    this.v = this.groups.map((g) => (g.packed ? zeros([g.packed.total], g.params[0].dtype) : null));
    this.sparseMoments = this.groups.map((g) => g.sparse.map((p) => [zeros(p.shape, p.dtype), zeros(p.shape, p.dtype)]));
    this.t = scalar(0, this.params[0].dtype);
    this.refuseSparse((g) => ((g.weightDecay ?? this.weightDecay) !== 0 ? `a lazy update cannot decay (weight decay ${g.weightDecay ?? this.weightDecay})` : null));
  }

  protected scalarState(): [string, Tensor][] {
    return [["step", this.t]];
  }

  protected packedState(g: number): [string, Tensor][] {
    return this.m[g] ? [["exp_avg", this.m[g]!], ["exp_avg_sq", this.v[g]!]] : [];
  }

  protected override sparseState(g: number, k: number): [string, Tensor][] {
    const [m, v] = this.sparseMoments[g][k];
    return [["exp_avg", m], ["exp_avg_sq", v]];
  }

  protected updates(group: Group, g: number, grad: Tensor | null, ok: Tensor, sparse: readonly SparseGrad[]): Update[] {
    const [b1, b2] = this.betas;
    // t ← t + ok (a skipped step does not count), lr / (1 − β₁ᵗ) and 1 / (1 − β₂ᵗ): one kernel
    // per group (its own rate); the step count is shared, advanced once
    const [hyper, t] = adamHyper(group.lrTensor, this.t, ok, { b1, b2 });
    const attrs = { b1, b2, eps: this.eps, weightDecay: group.weightDecay ?? this.weightDecay, decoupled: this.decoupled };
    const out: Update[] = g === 0 ? [[this.t, t]] : [];
    // one fused kernel for every dense parameter of the group (ops/optimizer_updates.ts); zero gaps stay zero
    if (group.packed && grad) {
      const params = group.packed.flat;
      const [np, m, v] = adamUpdate(params, grad, this.m[g]!, this.v[g]!, hyper, attrs);
      out.push([this.m[g]!, m], [this.v[g]!, v], [params, np]);
    }
    // the rows each sparse parameter's step used, in place (ops/sparse_updates.ts)
    for (const s of sparse) {
      const [m0, v0] = this.sparseMoments[g][s.index];
      const [np, m, v] = sparseAdamUpdate(s.param, m0, v0, s.idx, s.rows, hyper, { b1, b2, eps: this.eps });
      out.push([m0, m], [v0, v], [s.param, np]);
    }
    return out;
  }
}

/** Adam with decoupled weight decay (default 0.01, as PyTorch). */
export class AdamW extends Adam {
  protected override readonly decoupled = true;
  constructor(params: readonly Tensor[] | readonly ParamGroup[], opts: AdamOptions = {}) {
    super(params, opts, 0.01);
  }
}
