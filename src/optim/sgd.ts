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
  private readonly buffers: Tensor[];
  constructor(params: readonly Tensor[], readonly opts: SGDOptions) {
    super(params, opts.lr);
    if (opts.nesterov && !(opts.momentum && !opts.dampening)) throw new GraphError("SGD: Nesterov momentum needs momentum > 0 and dampening 0");
    this.buffers = opts.momentum ? params.map((p) => zeros(p.shape, p.dtype)) : [];
  }

  protected namedState(): [string, Tensor][] {
    return this.buffers.map((b, i): [string, Tensor] => [`${this.paramName(i)}.momentum_buffer`, b]);
  }

  protected updates(grads: readonly Tensor[], ok: Tensor): Update[] {
    const { momentum = 0, dampening = 0, nesterov = false, weightDecay = 0 } = this.opts;
    const out: Update[] = [];
    const hyper = sgdHyper(this.lrTensor, ok);
    this.params.forEach((p, i) => {
      // one fused kernel per parameter (ops/optimizer_updates.ts)
      const [np, b] = sgdUpdate(p, grads[i], momentum ? this.buffers[i] : null, hyper, { momentum, dampening, nesterov, weightDecay });
      out.push([p, np]);
      if (b) out.push([this.buffers[i], b]);
    });
    return out;
  }
}
