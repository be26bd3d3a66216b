/**
 * @file Learning-rate schedules, stepped once per epoch as in PyTorch: StepLR multiplies by
 * γ every `stepSize` epochs; CosineAnnealingLR follows half a cosine from the initial rate
 * down to `etaMin` over `tMax` epochs.
 */
import type { Optimizer } from "./optimizer.ts";

export class StepLR {
  private epoch = 0;
  private readonly base: number;
  constructor(readonly optimizer: Optimizer, readonly stepSize: number, readonly gamma = 0.1) {
    this.base = optimizer.lr;
  }
  step(): void {
    this.epoch++;
    this.optimizer.lr = this.base * this.gamma ** Math.floor(this.epoch / this.stepSize);
  }
}

export class CosineAnnealingLR {
  private epoch = 0;
  private readonly base: number;
  constructor(readonly optimizer: Optimizer, readonly tMax: number, readonly etaMin = 0) {
    this.base = optimizer.lr;
  }
  step(): void {
    this.epoch = Math.min(this.epoch + 1, this.tMax);
    this.optimizer.lr = this.etaMin + ((this.base - this.etaMin) * (1 + Math.cos((Math.PI * this.epoch) / this.tMax))) / 2;
  }
}
