/** @file `optim`: optimizers, clipping and LR schedules, as torch.optim. */
export { Optimizer, type Update, type ParamGroup } from "./optimizer.ts";
export { SGD, type SGDOptions } from "./sgd.ts";
export { Adam, AdamW, type AdamOptions } from "./adam.ts";
export { clipGradNorm, clipGradValue, globalNorm } from "./clip.ts";
export { StepLR, CosineAnnealingLR, OneCycleLR, LinearLR, type OneCycleOptions } from "./schedule.ts";
export { findLr, lrFinderSvg, type FindLrOptions, type LrFinderResult } from "./lr_finder.ts";
