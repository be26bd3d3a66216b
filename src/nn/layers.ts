/**
 * @file The feed-forward layers, PyTorch's names and layouts: Linear (weight [out, in]),
 * Conv2d (weight [out, in, kh, kw]), pooling, Flatten, Dropout and activations.
 */
import type { Tensor } from "../tensor.ts";
import { ShapeError } from "../errors.ts";
import * as F from "../functional.ts";
import { flatten } from "../ops/movement.ts";
import type { Padding2d } from "../ops/padding.ts";
import type { Pool2dPaddedOptions as Pool2dOptions } from "../functional.ts";
import { Module } from "./module.ts";
import { initLayer, type LayerInit } from "./init.ts";

export class Linear extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  constructor(readonly inFeatures: number, readonly outFeatures: number, opts: { bias?: boolean; init?: LayerInit } = {}) {
    super();
    const init = initLayer(opts.init ?? "default", [outFeatures, inFeatures], inFeatures, outFeatures, opts.bias !== false);
    this.weight = this.parameter("weight", init.weight);
    this.bias = init.bias && this.parameter("bias", init.bias);
  }
  forward(x: Tensor): Tensor {
    if (x.shape[x.rank - 1] !== this.inFeatures) {
      throw new ShapeError(`Linear(${this.inFeatures}, ${this.outFeatures}): input ${x.describe()} has ${x.shape[x.rank - 1]} features, expected ${this.inFeatures}`);
    }
    return F.linear(x, this.weight, this.bias);
  }
}

export interface Conv2dLayerOptions {
  stride?: number | [number, number];
  /** A number, [ph, pw], [top, bottom, left, right], "same" or "valid". */
  padding?: Padding2d;
  dilation?: number | [number, number];
  bias?: boolean;
  /** How weight and bias are drawn (default: PyTorch's default; see LayerInit). */
  init?: LayerInit;
}

export class Conv2d extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  constructor(readonly inChannels: number, readonly outChannels: number, kernelSize: number | [number, number], readonly opts: Conv2dLayerOptions = {}) {
    super();
    const [kh, kw] = typeof kernelSize === "number" ? [kernelSize, kernelSize] : kernelSize;
    const init = initLayer(opts.init ?? "default", [outChannels, inChannels, kh, kw], inChannels * kh * kw, outChannels * kh * kw, opts.bias !== false);
    this.weight = this.parameter("weight", init.weight);
    this.bias = init.bias && this.parameter("bias", init.bias);
  }
  forward(x: Tensor): Tensor {
    return F.conv2d(x, this.weight, this.bias, this.opts);
  }
}

/** PyTorch's ConvTranspose2d: weight [in, out, kh, kw], bias [out], initialised as PyTorch does (its fan-in is out·kh·kw). */
export class ConvTranspose2d extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  constructor(readonly inChannels: number, readonly outChannels: number, kernelSize: number | [number, number], readonly opts: F.ConvTranspose2dOptions & { bias?: boolean; init?: LayerInit } = {}) {
    super();
    const [kh, kw] = typeof kernelSize === "number" ? [kernelSize, kernelSize] : kernelSize;
    const init = initLayer(opts.init ?? "default", [inChannels, outChannels, kh, kw], outChannels * kh * kw, inChannels * kh * kw, opts.bias !== false, outChannels);
    this.weight = this.parameter("weight", init.weight);
    this.bias = init.bias && this.parameter("bias", init.bias);
  }
  forward(x: Tensor): Tensor {
    return F.convTranspose2d(x, this.weight, this.bias, this.opts);
  }
}

export class MaxPool2d extends Module {
  constructor(readonly opts: Pool2dOptions) {
    super();
  }
  forward(x: Tensor): Tensor {
    return F.maxPool2d(x, this.opts);
  }
}

export class AvgPool2d extends Module {
  constructor(readonly opts: Pool2dOptions & { countIncludePad?: boolean }) {
    super();
  }
  forward(x: Tensor): Tensor {
    return F.avgPool2d(x, this.opts);
  }
}

/** Flattens axes startDim… (default: everything but the batch axis). */
export class Flatten extends Module {
  constructor(readonly startDim = 1, readonly endDim = -1) {
    super();
  }
  forward(x: Tensor): Tensor {
    return flatten(x, this.startDim, this.endDim);
  }
}

/**
 * Inverted dropout in training mode, identity in eval mode: F.dropout, which draws a new mask
 * on every call, eagerly and inside `compile` alike.
 */
export class Dropout extends Module {
  constructor(readonly p = 0.5) {
    super();
    if (!(p >= 0 && p < 1)) throw new ShapeError(`Dropout: p must be in [0, 1), got ${p}`);
  }
  forward(x: Tensor): Tensor {
    return F.dropout(x, { p: this.p, training: this.training });
  }
}

export class ReLU extends Module {
  forward(x: Tensor): Tensor {
    return F.relu(x);
  }
}

export class Tanh extends Module {
  forward(x: Tensor): Tensor {
    return F.tanh(x);
  }
}

export class Sigmoid extends Module {
  forward(x: Tensor): Tensor {
    return F.sigmoid(x);
  }
}
