/**
 * @file A VGG-style network for 28×28 digits (Simonyan & Zisserman's recipe at MNIST's size):
 * blocks of two 3×3 convolutions with padding "same" and ReLU, then a 2×2 max pool, so each
 * block halves the image and (by default) doubles the channels; then a classifier of two
 * fully connected layers with dropout between them. Default: blocks of 32 and 64 channels
 * (28 → 14 → 7), a hidden layer of 256, dropout 0.5: 870 634 parameters, ~44× LeNet-5's
 * arithmetic per image. Parameter names: conv{block}_{k}, fc1, fc2 (the head).
 */
import type { Tensor } from "../tensor.ts";
import { ShapeError } from "../errors.ts";
import * as F from "../functional.ts";
import { flatten } from "../ops/movement.ts";
import { Module } from "../nn/module.ts";
import { Conv2d, Dropout, Linear } from "../nn/layers.ts";
import type { LayerInit } from "../nn/init.ts";

export interface VGGOptions {
  /** Channels of each block (two convolutions and a pool per block; default [32, 64]). */
  widths?: number[];
  /** The classifier's hidden layer (default 256). */
  hidden?: number;
  /** Dropout before the head (default 0.5). */
  dropout?: number;
  classes?: number;
  init?: LayerInit;
}

export class VGG extends Module {
  readonly convs: Conv2d[][];
  readonly fc1: Linear;
  readonly drop: Dropout;
  // replaceable (`model.replace("fc2", …)`: a new head)
  fc2: Linear;
  readonly widths: number[];

  constructor(opts: VGGOptions = {}) {
    super();
    this.widths = opts.widths ?? [32, 64];
    const init = opts.init ?? "default";
    if (this.widths.length < 1 || this.widths.length > 4 || !this.widths.every((w) => Number.isInteger(w) && w >= 1)) {
      throw new ShapeError(`VGG: widths must list 1 to 4 positive channel counts (28 → 14 → 7 → 3 → 1), got ${JSON.stringify(this.widths)}`);
    }
    let c = 1;
    this.convs = this.widths.map((w, b) => {
      const block = [this.module(`conv${b + 1}_1`, new Conv2d(c, w, 3, { padding: "same", init })), this.module(`conv${b + 1}_2`, new Conv2d(w, w, 3, { padding: "same", init }))];
      c = w;
      return block;
    });
    const side = this.widths.reduce((s) => Math.floor(s / 2), 28);
    this.fc1 = this.module("fc1", new Linear(c * side * side, opts.hidden ?? 256, { init }));
    this.drop = this.module("drop", new Dropout(opts.dropout ?? 0.5));
    this.fc2 = this.module("fc2", new Linear(opts.hidden ?? 256, opts.classes ?? 10, { init }));
  }

  forward(x: Tensor): Tensor {
    if (x.rank !== 4 || x.shape[1] !== 1 || x.shape[2] !== 28 || x.shape[3] !== 28) throw new ShapeError(`VGG: expected images [N, 1, 28, 28], got ${x.describe()}`);
    let h = x;
    for (const block of this.convs) {
      for (const conv of block) h = F.relu(conv.forward(h));
      h = F.maxPool2d(h, { kernelSize: 2 });
    }
    return this.fc2.forward(this.drop.forward(F.relu(this.fc1.forward(flatten(h, 1)))));
  }
}
