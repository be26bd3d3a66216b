/**
 * @file Messages between the demo page and its training worker. The worker owns the model,
 * the data and the backend; the page only draws what it is told.
 */
import type { LeNetVariant } from "../src/index.ts";

export interface TrainConfig {
  backend: "webgpu" | "cpu";
  variant: LeNetVariant;
  optimizer: "adam" | "sgd";
  /** The rate over the run: "onecycle" (npm run train's LeNet-5 default: up to `lr`, then annealed over all the run's steps) or "constant". */
  schedule: "onecycle" | "constant";
  /** The rate (the peak with onecycle). */
  lr: number;
  batch: number;
  epochs: number;
  /** How many training images to use (from the start of the 60 000). */
  limit: number;
  /** Tests only (URL parameter readDelay): hold each read of the meter this long, so that a Reset lands during one. */
  readDelayMs?: number;
}

/** Page → worker. */
export type Request =
  | { type: "load"; base: string; testLimit: number }
  | { type: "start"; config: TrainConfig }
  /** The learning-rate range test with these settings, from a copy of the model (or a fresh one). */
  | { type: "findLr"; config: TrainConfig }
  | { type: "pause" }
  | { type: "resume" }
  | { type: "reset" }
  | { type: "predict"; pixels: Float32Array }
  | { type: "inspect"; index: number }
  | { type: "save" }
  | { type: "loadWeights"; bytes: Uint8Array; name: string; backend: TrainConfig["backend"] };

export interface Sample {
  /** 784 raw pixels 0…255 */
  pixels: Uint8Array;
  label: number;
  pred: number;
}

/** Worker → page. */
export type Reply =
  | { type: "loading"; fraction: number }
  | { type: "loaded"; train: number; test: number }
  | { type: "backend"; name: string; note: string }
  /** At a read of the meter: `window` steps done since the last one, their mean loss. */
  | { type: "step"; epoch: number; step: number; steps: number; window: number; loss: number; trainAcc: number; imagesPerSec: number; msPerStep: number; lr: number }
  | { type: "evaluated"; epoch: number; testAcc: number; confusion: Int32Array; samples: Sample[] }
  | { type: "state"; state: "idle" | "training" | "paused" | "done" }
  | { type: "prediction"; probs: Float32Array }
  | { type: "inspection"; index: number; filters: Float32Array; maps: Float32Array; pixels: Uint8Array; label: number }
  | { type: "saved"; bytes: Uint8Array }
  | { type: "lrProgress"; step: number; steps: number; lr: number }
  /** The range test's curve (the SVG `npm run train -- --find-lr` writes) and its suggestion. */
  | { type: "lrFound"; svg: string; suggestion: number; rule: string; stopped: string }
  | { type: "weightsLoaded"; name: string; testAcc: number }
  | { type: "error"; context: string; message: string };
