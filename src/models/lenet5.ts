/**
 * @file LeNet-5 for 28×28 MNIST digits (the first convolution pads by 2, giving the 32×32 of
 * the 1998 paper). Two variants:
 * - `modern`: ReLU and max pooling, the usual choice today;
 * - `classic`: tanh and average pooling (subsampling), as in LeCun et al. 1998, without the
 *   paper's partial C3 connection table and RBF output layer.
 * Parameter names follow the common PyTorch port: conv1, conv2, fc1, fc2, fc3.
 */
import type { Tensor } from "../tensor.ts";
import { ShapeError } from "../errors.ts";
import * as F from "../functional.ts";
import { flatten } from "../ops/movement.ts";
import { Module } from "../nn/module.ts";
import { Conv2d, Linear } from "../nn/layers.ts";
import type { LayerInit } from "../nn/init.ts";

export type LeNetVariant = "modern" | "classic";

export class LeNet5 extends Module {
  readonly conv1: Conv2d;
  readonly conv2: Conv2d;
  readonly fc1: Linear;
  readonly fc2: Linear;
  // replaceable (`model.replace("fc3", …)`: a new head)
  fc3: Linear;

  /** `classes`: the outputs of fc3 (default 10, the digits). */
  constructor(readonly variant: LeNetVariant = "modern", opts: { init?: LayerInit; classes?: number } = {}) {
    super();
    const init = opts.init ?? "default";
    this.conv1 = this.module("conv1", new Conv2d(1, 6, 5, { padding: 2, init }));
    this.conv2 = this.module("conv2", new Conv2d(6, 16, 5, { init }));
    this.fc1 = this.module("fc1", new Linear(16 * 5 * 5, 120, { init }));
    this.fc2 = this.module("fc2", new Linear(120, 84, { init }));
    this.fc3 = this.module("fc3", new Linear(84, opts.classes ?? 10, { init }));
  }

  /** x [N, 1, 28, 28] → logits [N, classes]. */
  forward(x: Tensor): Tensor {
    if (x.rank !== 4 || x.shape[1] !== 1 || x.shape[2] !== 28 || x.shape[3] !== 28) {
      throw new ShapeError(`LeNet5: expected images [N, 1, 28, 28], got ${x.describe()}`);
    }
    const act = this.variant === "modern" ? F.relu : F.tanh;
    const pool = (h: Tensor) => (this.variant === "modern" ? F.maxPool2d(h, { kernelSize: 2 }) : F.avgPool2d(h, { kernelSize: 2 }));
    let h = pool(act(this.conv1.forward(x))); // [N, 6, 14, 14]
    h = pool(act(this.conv2.forward(h))); // [N, 16, 5, 5]
    h = act(this.fc1.forward(flatten(h, 1)));
    h = act(this.fc2.forward(h));
    return this.fc3.forward(h);
  }
}
