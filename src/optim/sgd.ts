/**
 * @file SGD as torch.optim.SGD: g ← g + λ·p; with momentum μ: b ← μ·b + (1 − dampening)·g and
 * g ← b (or g + μ·b, Nesterov); p ← p − lr·g. The buffer starts at zero, which matches
 * PyTorch's first step (b = g) when dampening is 0.
 */
import { zeros } from "../creation.ts";
import { GraphError } from "../errors.ts";
import { sgdHyper, sgdUpdate } from "../ops/optimizer_updates.ts";
import type { Tensor } from "../tensor.ts";
import { Optimizer, type Update } from "./optimizer.ts";

export interface SGDOptions {
  lr: number;
  momentum?: number;
  dampening?: number;
  nesterov?: boolean;
  weightDecay?: number;
}

export class SGD extends Optimizer {
  /** The momentum buffer, packed like the parameters (null without momentum). */
  private readonly buffer: Tensor | null;
  constructor(params: readonly Tensor[], readonly opts: SGDOptions) {
    super(params, opts.lr);
    if (opts.nesterov && !(opts.momentum && !opts.dampening)) throw new GraphError("SGD: Nesterov momentum needs momentum > 0 and dampening 0");
    this.buffer = opts.momentum ? zeros([this.packed.total], this.params[0].dtype) : null;
  }

  protected scalarState(): [string, Tensor][] {
    return [];
  }

  protected packedState(): [string, Tensor][] {
    return this.buffer ? [["momentum_buffer", this.buffer]] : [];
  }

  protected updates(params: Tensor, grad: Tensor, ok: Tensor): Update[] {
    const { momentum = 0, dampening = 0, nesterov = false, weightDecay = 0 } = this.opts;
    const hyper = sgdHyper(this.lrTensor, ok);
    // one fused kernel for every parameter (ops/optimizer_updates.ts)
    const [np, b] = sgdUpdate(params, grad, this.buffer, hyper, { momentum, dampening, nesterov, weightDecay });
    return b ? [[params, np], [this.buffer!, b]] : [[params, np]];
  }
}
