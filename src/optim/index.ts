/** @file `optim`: optimizers, clipping and LR schedules, as torch.optim. */
export { Optimizer, type Update } from "./optimizer.ts";
export { SGD, type SGDOptions } from "./sgd.ts";
export { Adam, AdamW, type AdamOptions } from "./adam.ts";
export { clipGradNorm, clipGradValue, globalNorm } from "./clip.ts";
export { StepLR, CosineAnnealingLR } from "./schedule.ts";
