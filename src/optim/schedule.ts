/**
 * @file Learning-rate schedules, stepped once per epoch as in PyTorch: StepLR multiplies by
 * γ every `stepSize` epochs; CosineAnnealingLR follows half a cosine from the initial rate
 * down to `etaMin` over `tMax` epochs.
 */
import type { Optimizer } from "./optimizer.ts";

/** Sets the optimizer's rate from the epoch count each `step()`, starting from its initial rate. */
abstract class LRScheduler {
  protected epoch = 0;
  protected readonly base: number;
  constructor(readonly optimizer: Optimizer) {
    this.base = optimizer.lr;
  }
  step(): void {
    this.epoch++;
    this.optimizer.lr = this.rateAt(this.epoch);
  }
  protected abstract rateAt(epoch: number): number;
}

export class StepLR extends LRScheduler {
  constructor(optimizer: Optimizer, readonly stepSize: number, readonly gamma = 0.1) {
    super(optimizer);
  }
  protected rateAt(epoch: number): number {
    return this.base * this.gamma ** Math.floor(epoch / this.stepSize);
  }
}

export class CosineAnnealingLR extends LRScheduler {
  constructor(optimizer: Optimizer, readonly tMax: number, readonly etaMin = 0) {
    super(optimizer);
  }
  protected rateAt(epoch: number): number {
    const e = Math.min(epoch, this.tMax);
    return this.etaMin + ((this.base - this.etaMin) * (1 + Math.cos((Math.PI * e) / this.tMax))) / 2;
  }
}
