/**
 * @file SGD as torch.optim.SGD: g ← g + λ·p; with momentum μ: b ← μ·b + (1 − dampening)·g and
 * g ← b (or g + μ·b, Nesterov); p ← p − lr·g. The buffer starts at zero, which matches
 * PyTorch's first step (b = g) when dampening is 0. A parameter with sparse gradients
 * (`Embedding({ sparse: true })`) gets exactly the same step on the rows it used, and no work
 * on the others; it takes neither momentum nor weight decay (as in PyTorch).
 */
import { zeros } from "../creation.ts";
import { GraphError } from "../errors.ts";
import { sgdHyper, sgdUpdate } from "../ops/optimizer_updates.ts";
import { sparseSgdUpdate } from "../ops/sparse_updates.ts";
import type { Tensor } from "../tensor.ts";
import { Optimizer, type Group, type ParamGroup, type SparseGrad, type Update } from "./optimizer.ts";

export interface SGDOptions {
  lr: number;
  momentum?: number;
  dampening?: number;
  nesterov?: boolean;
  weightDecay?: number;
}

export class SGD extends Optimizer {
  /** Each group's momentum buffer, packed like its parameters (empty without momentum). */
  private readonly buffers: (Tensor | null)[];
  constructor(params: readonly Tensor[] | readonly ParamGroup[], readonly opts: SGDOptions) {
    super(params, opts.lr);
    if (opts.nesterov && !(opts.momentum && !opts.dampening)) throw new GraphError("SGD: Nesterov momentum needs momentum > 0 and dampening 0");
    this.buffers = opts.momentum ? this.groups.map((g) => (g.packed ? zeros([g.packed.total], g.params[0].dtype) : null)) : [];
    this.refuseSparse((g) => (opts.momentum ? `momentum (${opts.momentum}) would move every row` : (g.weightDecay ?? opts.weightDecay ?? 0) !== 0 ? `weight decay would shrink every row` : null));
  }

  protected scalarState(): [string, Tensor][] {
    return [];
  }

  protected packedState(g: number): [string, Tensor][] {
    return this.buffers[g] ? [["momentum_buffer", this.buffers[g]]] : [];
  }

  protected updates(group: Group, g: number, grad: Tensor | null, ok: Tensor, sparse: readonly SparseGrad[]): Update[] {
    const { momentum = 0, dampening = 0, nesterov = false } = this.opts;
    const weightDecay = group.weightDecay ?? this.opts.weightDecay ?? 0;
    const hyper = sgdHyper(group.lrTensor, ok);
    const out: Update[] = [];
    // one fused kernel for every dense parameter of the group (ops/optimizer_updates.ts)
    if (group.packed && grad) {
      const params = group.packed.flat;
      const buffer = this.buffers[g] ?? null;
      const [np, b] = sgdUpdate(params, grad, buffer, hyper, { momentum, dampening, nesterov, weightDecay });
      out.push([params, np], ...(b ? [[buffer!, b] as const] : []));
    }
    // the rows each sparse parameter's step used, in place (ops/sparse_updates.ts)
    for (const s of sparse) out.push([s.param, sparseSgdUpdate(s.param, s.idx, s.rows, hyper)]);
    return out;
  }
}
