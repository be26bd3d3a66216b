/**
 * @file Learning-rate schedules as torch.optim.lr_scheduler: StepLR multiplies by γ every
 * `stepSize` epochs; CosineAnnealingLR follows half a cosine from the initial rate down to
 * `etaMin` over `tMax` steps (epochs, or batches when stepped per batch); OneCycleLR and
 * LinearLR (a warmup) are stepped once per batch.
 */
import type { Optimizer } from "./optimizer.ts";
import { GraphError } from "../errors.ts";

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

export interface OneCycleOptions {
  /** The peak rate. */
  maxLr: number;
  /** Steps (batches) in the whole run. */
  totalSteps: number;
  /** Share of the run spent rising to maxLr (default 0.3). */
  pctStart?: number;
  /** "cos" (default) or "linear" interpolation within a phase. */
  annealStrategy?: "cos" | "linear";
  /** The start rate is maxLr / divFactor (default 25). */
  divFactor?: number;
  /** The final rate is the start rate / finalDivFactor (default 1e4). */
  finalDivFactor?: number;
  /** Rise, fall back to the start rate, then anneal to the final one (default false: rise, then anneal). */
  threePhase?: boolean;
}

/**
 * The one-cycle policy (Smith & Topin 2018) with torch.optim.lr_scheduler.OneCycleLR's
 * semantics, stepped once per batch: from maxLr/divFactor up to maxLr over the first
 * pctStart of the steps, then down to the start rate / finalDivFactor (each phase a half
 * cosine, or linear). Construction sets the start rate; `step()` after each batch. PyTorch's
 * momentum cycling (`cycle_momentum`) is not done: β₁ stays fixed, as with
 * `cycle_momentum=False`.
 */
type Phase = { end: number; from: number; to: number };

/** OneCycleLR's phases (PyTorch's `_schedule_phases`), after checking the options. */
function oneCyclePhases(opts: OneCycleOptions): Phase[] {
  const { maxLr, totalSteps, pctStart = 0.3, divFactor = 25, finalDivFactor = 1e4 } = opts;
  if (!(Number.isInteger(totalSteps) && totalSteps >= 1)) throw new GraphError(`OneCycleLR: totalSteps must be an integer ≥ 1, got ${totalSteps}`);
  if (!(pctStart > 0 && pctStart < 1)) throw new GraphError(`OneCycleLR: pctStart must be in (0, 1), got ${pctStart}`);
  if (!(maxLr > 0)) throw new GraphError(`OneCycleLR: maxLr must be > 0, got ${maxLr}`);
  const initial = maxLr / divFactor, min = initial / finalDivFactor;
  return opts.threePhase
    ? [{ end: pctStart * totalSteps - 1, from: initial, to: maxLr }, { end: 2 * pctStart * totalSteps - 2, from: maxLr, to: initial }, { end: totalSteps - 1, from: initial, to: min }]
    : [{ end: pctStart * totalSteps - 1, from: initial, to: maxLr }, { end: totalSteps - 1, from: maxLr, to: min }];
}

function phaseRate(phases: readonly Phase[], step: number, anneal: "cos" | "linear"): number {
  let start = 0;
  for (const [i, p] of phases.entries()) {
    if (step <= p.end || i === phases.length - 1) {
      // at step totalSteps (after the last batch, a rate never used) PyTorch extrapolates past
      // the phase's end (a negative rate for "linear"); it stops at the final rate here
      const pct = Math.min(1, (step - start) / (p.end - start));
      return anneal === "linear" ? (p.to - p.from) * pct + p.from : p.to + ((p.from - p.to) / 2) * (Math.cos(Math.PI * pct) + 1);
    }
    start = p.end;
  }
  throw new GraphError("OneCycleLR: no phase"); // unreachable: the last phase takes every step
}

/** OneCycleLR's rate at `step` without an optimizer (for a loop that sets the rate itself). */
export function oneCycleRate(opts: OneCycleOptions, step: number): number {
  return phaseRate(oneCyclePhases(opts), Math.min(step, opts.totalSteps), opts.annealStrategy ?? "cos");
}

export class OneCycleLR {
  private stepCount = 0;
  private readonly phases: Phase[];

  constructor(readonly optimizer: Optimizer, readonly opts: OneCycleOptions) {
    this.phases = oneCyclePhases(opts);
    optimizer.lr = this.rateAt(0);
  }

  /** The rate at step `step` (0 = before the first batch), as PyTorch's get_lr. */
  rateAt(step: number): number {
    if (step > this.opts.totalSteps) throw new GraphError(`OneCycleLR: stepped ${step} times, more than totalSteps = ${this.opts.totalSteps}`);
    return phaseRate(this.phases, step, this.opts.annealStrategy ?? "cos");
  }

  /** After a batch: the next step's rate. */
  step(): void {
    this.optimizer.lr = this.rateAt(++this.stepCount);
  }
}

/**
 * torch.optim.lr_scheduler.LinearLR, stepped once per batch: the rate is the base rate times a
 * factor going linearly from `startFactor` to `endFactor` over `totalIters` steps, then
 * `endFactor` (a warmup: `new LinearLR(opt, 1 / 100, 1, 100)`).
 */
export class LinearLR {
  private stepCount = 0;
  private readonly base: number;
  constructor(readonly optimizer: Optimizer, readonly startFactor = 1 / 3, readonly endFactor = 1, readonly totalIters = 5) {
    this.base = optimizer.lr;
    optimizer.lr = this.rateAt(0);
  }
  rateAt(step: number): number {
    const f = this.startFactor + ((this.endFactor - this.startFactor) * Math.min(step, this.totalIters)) / this.totalIters;
    return this.base * f;
  }
  step(): void {
    this.optimizer.lr = this.rateAt(++this.stepCount);
  }
}
