/**
 * @file Training checkpoints that resume a run exactly. Two files:
 * - `ckpt.safetensors`: the model's weights under PyTorch's names, nothing else, so PyTorch
 *   loads it with `load_state_dict(strict=True)`; its metadata says which step it is.
 * - `ckpt.train.safetensors` beside it: the optimizer's state (`lr`, Adam's `step` and each
 *   parameter's `exp_avg` / `exp_avg_sq`, or SGD's `momentum_buffer`) and, in its metadata,
 *   where the run is: epoch, batches done in it, global step, and the data order's seed.
 * Both are written atomically (the state first, then the weights); each records the step, so
 * a resume refuses a pair from two different saves instead of continuing from a mix.
 */
import { FormatError } from "../errors.ts";
import type { Module } from "../nn/module.ts";
import type { Optimizer } from "../optim/optimizer.ts";
import { parseSafetensors, serializeSafetensors, stateDictBytes, writeFileAtomic, type NamedArray } from "./safetensors.ts";

/** Where a run is. `position` batches of epoch `epoch` (1-based) are done; 0 at an epoch's start. */
export interface TrainingProgress {
  epoch: number;
  position: number;
  /** Optimizer steps taken in the whole run. */
  step: number;
  /** The data order's seed (the loader's shuffle seed). */
  seed: number;
}

const FORMAT = "webgpu-dl training state 1";

/** The training-state file that goes with a weights file. */
export function trainStatePath(path: string): string {
  return `${path.replace(/\.safetensors$/, "")}.train.safetensors`;
}

/** Node: saves the weights (with `metadata`) and the training state, each atomically. */
export async function saveTrainingCheckpoint(model: Module, optimizer: Optimizer, path: string, metadata: Record<string, string>, progress: TrainingProgress): Promise<void> {
  const arrays = new Map<string, NamedArray>();
  for (const [name, t] of optimizer.stateDict()) arrays.set(name, { dtype: t.dtype, shape: [...t.shape], data: await t.data() });
  const state = serializeSafetensors(arrays, {
    format: FORMAT,
    optimizer: optimizer.constructor.name,
    epoch: String(progress.epoch),
    position: String(progress.position),
    step: String(progress.step),
    seed: String(progress.seed),
  });
  const weights = await stateDictBytes(model, { ...metadata, step: String(progress.step) });
  await writeFileAtomic(trainStatePath(path), state);
  await writeFileAtomic(path, weights);
}

/**
 * Node: restores the optimizer from the training state beside `path` and returns where the run
 * was, or null when there is no such file (a weights-only checkpoint). `weightsMetadata` is
 * the weights file's, to check that both files come from the same save. The optimizer is
 * unchanged on any error.
 */
export async function loadTrainingState(optimizer: Optimizer, path: string, weightsMetadata: Record<string, string>): Promise<TrainingProgress | null> {
  const { readFile } = await import("node:fs/promises");
  const file = trainStatePath(path);
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(file));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw new FormatError(`${file}: cannot read the training state (${(e as Error).message})`);
  }
  const { tensors, metadata: m } = parseSafetensors(bytes, file);
  if (m.format !== FORMAT) throw new FormatError(`${file}: not a webgpu-dl training state (format ${JSON.stringify(m.format)}, expected "${FORMAT}")`);
  if (m.optimizer !== optimizer.constructor.name) throw new FormatError(`${file}: holds ${m.optimizer} state, this run uses ${optimizer.constructor.name}; pass the same --optimizer`);
  const num = (key: string, min: number): number => {
    const v = Number(m[key]);
    if (!Number.isSafeInteger(v) || v < min) throw new FormatError(`${file}: metadata ${key} is ${JSON.stringify(m[key])}, expected an integer ≥ ${min}`);
    return v;
  };
  const progress = { epoch: num("epoch", 1), position: num("position", 0), step: num("step", 0), seed: num("seed", -(2 ** 31)) };
  if (weightsMetadata.step !== m.step) {
    throw new FormatError(`${file}: training state of step ${m.step}, but ${path} holds the weights of step ${weightsMetadata.step ?? "(none)"}: the two files come from different saves`);
  }
  optimizer.loadStateDict(tensors, file);
  return progress;
}
