/**
 * @file The epoch loop every `npm run train` task shares: a progress bar with the running
 * loss, accuracy or perplexity and throughput; an evaluation line on stdout after each epoch;
 * a checkpoint after each epoch; Ctrl-C or SIGTERM finishes the current step, saves where the
 * run is (epoch and batch, so `--resume` continues exactly there) and ends (a second Ctrl-C
 * quits at once). Checkpoints are io/checkpoint.ts's pair: weights + training state.
 * No host sync per step: the loss sum, the correct count and the skipped steps add up on the
 * device (the step's meter, ops/meter.ts), read every READ_EVERY steps, and at most
 * two steps are in flight (the loop waits for step k − 1 to finish once step k is submitted).
 * A step whose guard fails (a non-finite loss or gradient, a label out of range) has already
 * been skipped on the device; at the next read the loop sees the skip count grow, reads that
 * window's losses for the reason, and stops without saving, or with `--on-nonfinite skip`
 * counts it and goes on.
 */
import { argmaxRows, countEqual } from "../metrics.ts";
import type { Tensor } from "../tensor.ts";
import { DataLoader, type Batches } from "../data/loader.ts";
import { DeviceLoader, type DeviceLoaderOptions } from "../data/device_loader.ts";
import type { Module } from "../nn/module.ts";
import type { TrainStep } from "../train_step.ts";
import { getBackend } from "../backends/backend.ts";
import { Adam } from "../optim/adam.ts";
import { SGD } from "../optim/sgd.ts";
import type { Optimizer, ParamGroup } from "../optim/optimizer.ts";
import type { TrainArgs } from "./args.ts";
import { ProgressBar } from "./progress.ts";
import { FormatError, IndexError, NonFiniteError } from "../errors.ts";
import { loadTrainingState, saveTrainingCheckpoint, trainStatePath, type TrainingProgress } from "../io/checkpoint.ts";
import { readSafetensorsHeader, saveSafetensors } from "../io/safetensors.ts";
import { decodeText } from "../data/text.ts";
import { oneCycleRate } from "../optim/schedule.ts";
import { AdamW } from "../optim/adam.ts";
import { RunLog, type BestBy } from "./run_log.ts";

export interface TrainLoop {
  model: Module;
  /** With a meter (`compileTrainStep(…, { meter })`): the loop reads it, not every step's loss. */
  step: TrainStep;
  loader: Batches;
  epochs: number;
  /** "accuracy": argmax of [N, C] outputs against labels [N]; "perplexity": exp(mean loss); "loss": the loss alone. */
  metric: "accuracy" | "perplexity" | "loss";
  /** What the throughput counts ("img", "seq", "char") and how many per example. */
  unit: string;
  unitsPerExample: number;
  /** After each epoch, in eval mode: the validation (or held-out) score. */
  evaluate: () => Promise<Evaluation>;
  /** The test set, scored once at the end (and after every epoch with --test-each-epoch). */
  test?: () => Promise<Evaluation>;
  /** The optimizer the step uses, for the training state in checkpoints. */
  optimizer?: Optimizer;
  /** Metadata of the weights file (what rebuilds the model: its kind, vocabulary, …). */
  metadata?: () => Record<string, string>;
  /** A checkpoint to continue from: its path and the metadata its weights were loaded with. */
  resume?: { path: string; metadata: Record<string, string> };
  /** The loader's shuffle seed, kept in the training state. */
  seed?: number;
  /** What a step with a non-finite loss or gradient does: stop the run (default) or be skipped. */
  onNonFinite?: "stop" | "skip";
  /** Where to save a checkpoint after each epoch and on Ctrl-C / SIGTERM. */
  out?: string;
  /** The rate over the run (the flags --lr, --schedule, --warmup, …), and --find-lr. */
  recipe?: Pick<TrainArgs, "lr" | "schedule" | "warmup" | "stepSize" | "gamma" | "findLr" | "model"> & Partial<Pick<TrainArgs, "runs" | "testEachEpoch">> & { evalEvery?: number };
}

/** A score after an epoch: the line printed, the numbers logged, and what "best" is chosen by. */
export interface Evaluation {
  /** "val acc 98.10% (5000 images)" */
  summary: string;
  /** Logged in metrics.jsonl: { val_acc: 98.1 } */
  scores: Record<string, number>;
  /** The score the run folder's best checkpoint is chosen by. */
  best?: BestBy;
}

/**
 * The rate of global step s (from 0) under a recipe: constant, step (×γ every stepSize
 * epochs), cosine (to 0 over all batches) or onecycle (OneCycleLR with maxLr = lr); times a
 * linear warmup min(1, (s + 1)/warmup) over the first batches. Null for a constant rate.
 */
export function scheduleOf(r: NonNullable<TrainLoop["recipe"]>, stepsPerEpoch: number, epochs: number): ((s: number) => number) | null {
  const total = stepsPerEpoch * epochs;
  const warm = (s: number) => (r.warmup > 0 ? Math.min(1, (s + 1) / r.warmup) : 1);
  switch (r.schedule) {
    case "constant": return r.warmup > 0 ? (s) => r.lr * warm(s) : null;
    case "step": return (s) => r.lr * r.gamma ** Math.floor(Math.floor(s / stepsPerEpoch) / r.stepSize) * warm(s);
    case "cosine": return (s) => ((r.lr * (1 + Math.cos((Math.PI * Math.min(s, total)) / total))) / 2) * warm(s);
    case "onecycle": return (s) => oneCycleRate({ maxLr: r.lr, totalSteps: total }, s);
  }
}

/** A rate for a progress line: 0.0010, 4.0e-5. */
function fmtLr(v: number): string {
  return v >= 1e-3 || v === 0 ? v.toPrecision(2) : v.toExponential(1);
}

/** --find-lr: the range test on the task's step and batches, its curve as an SVG, and the suggestion. */
async function runFindLr(t: TrainLoop): Promise<true> {
  const { findLr, lrFinderSvg } = await import("../optim/lr_finder.ts");
  const { writeFileAtomic } = await import("../io/safetensors.ts");
  if (!t.optimizer) throw new TypeError("--find-lr: the task has no optimizer");
  const steps = 100;
  const bar = new ProgressBar("lr range test", steps);
  t.model.train();
  const result = await findLr(t.model, t.optimizer, t.step, t.loader, { startLr: 1e-7, endLr: 10, steps, onStep: (i, lr, s) => bar.update(i + 1, `lr ${fmtLr(lr)} loss ${s.toFixed(4)}`) });
  bar.done();
  const svg = t.out ? `${t.out.replace(/\.safetensors$/, "")}.lr-find.svg` : `lr-find-${t.recipe?.model ?? "model"}.svg`;
  await writeFileAtomic(svg, new TextEncoder().encode(lrFinderSvg(result, `learning-rate range test: ${t.recipe?.model ?? "model"}`)));
  process.stdout.write(`lr range test: ${result.lrs.length} steps from ${fmtLr(result.lrs[0])} to ${fmtLr(result.lrs[result.lrs.length - 1])} (${result.stopped}); smoothed loss lowest at lr ${fmtLr(result.minimumAt)}\n`);
  process.stdout.write(`suggested --lr ${result.suggestion.toPrecision(2)} (${result.rule}); the curve: ${svg}; the model was left as it was\n`);
  return true;
}

/**
 * A task's training batches: on WebGPU the set lives on the device (DeviceLoader: uploaded
 * once; a step uploads its indices), else batches are copied from the host arrays. `device`
 * is what the device keeps (MNIST's raw bytes, decoded with opts.scale/shift; token ids as
 * they are), `host` what a DataLoader copies (the same values, normalised).
 */
export function trainingBatches(host: Float32Array | Int32Array, device: Uint8Array | Int32Array, labels: Int32Array, exampleShape: readonly number[], opts: DeviceLoaderOptions): Batches {
  if (getBackend().name !== "webgpu") return new DataLoader(host, labels, exampleShape, opts);
  const bytes = device.length * (device instanceof Uint8Array ? 1 : 4);
  const size = bytes >= 1e6 ? `${(bytes / 1e6).toFixed(1)} MB` : `${(bytes / 1e3).toFixed(1)} kB`;
  process.stderr.write(`train: the training set is on the device (${size}); a step uploads its ${4 * opts.batchSize} bytes of indices\n`);
  return new DeviceLoader(device, labels, exampleShape, opts);
}

/** What metrics.jsonl records beside a mean loss: the accuracy in % or the perplexity. */
function trainScore(metric: TrainLoop["metric"], meanLoss: number, correct: number, seen: number): { acc?: number; ppl?: number } {
  return metric === "accuracy" ? { acc: (100 * correct) / seen } : metric === "perplexity" ? { ppl: Math.exp(meanLoss) } : {};
}

/** The meter is read every READ_EVERY steps (and at the end of an epoch, or when stopped). */
export const READ_EVERY = 16;

/** The error that ends a run at a step the guard refused: where, why and what to do. */
function stepFailure(e: NonFiniteError | IndexError, epoch: number, batch: number, batches: number, out?: string): Error {
  const kept = out ? `nothing was saved over ${out}` : "nothing was saved";
  const hint = e instanceof IndexError ? "check the labels or token ids of the data" : "try a lower --lr, or --on-nonfinite skip to skip such steps";
  return new (e.constructor as typeof NonFiniteError)(`epoch ${epoch}, batch ${batch}/${batches}: ${e.message}; ${kept}; ${hint}`);
}

/** The optimizer the flags ask for, announced on stderr with the model's size. */
export function makeOptimizer(model: Module, args: TrainArgs, title: string, groups?: ParamGroup[]): Optimizer {
  const wd = args.weightDecay ?? 0;
  const params = groups ?? model.parameters();
  const opt: Optimizer = args.optimizer === "sgd"
    ? new SGD(params, { lr: args.lr, momentum: 0.9, weightDecay: wd })
    : wd > 0 ? new AdamW(params, { lr: args.lr, weightDecay: wd }) : new Adam(params, { lr: args.lr });
  const clip = args.clip === undefined ? "" : `, gradients clipped to norm ${args.clip}`;
  const name = args.optimizer === "adam" && wd > 0 ? `adamw (weight decay ${wd})` : `${args.optimizer}${wd > 0 ? ` (weight decay ${wd})` : ""}`;
  const sched = !args.schedule || args.schedule === "constant" ? "" : args.schedule === "onecycle" ? ", one-cycle schedule" : args.schedule === "step" ? `, ×${args.gamma} every ${args.stepSize} epoch(s)` : ", cosine schedule";
  const warm = args.warmup ? `, ${args.warmup} warmup steps` : "";
  const rates = opt.groupLrs.length > 1 ? ` (per group: ${opt.groupLrs.join(", ")})` : "";
  const trainable = model.trainableParameters().reduce((n, p) => n + p.size, 0);
  const count = trainable === model.parameterCount() ? `${trainable} parameters` : `${model.parameterCount()} parameters (${trainable} trainable)`;
  process.stderr.write(`train: ${title}, ${count}, ${name} lr ${args.lr}${rates}${sched}${warm}, batch ${args.batch}${clip}\n`);
  return opt;
}

/** How many rows of logits [N, C] have their largest value at the label y [N]. */
async function countCorrect(logits: Tensor, y: Tensor): Promise<number> {
  const [v, labels] = await Promise.all([logits.data(), y.data()]);
  return countEqual(argmaxRows(v, logits.shape[logits.rank - 1]), labels);
}

/** Where a resumed run starts (its training state), or the start; null: nothing left to do. */
async function startOf(t: TrainLoop): Promise<TrainingProgress | null> {
  const fresh = { epoch: 1, position: 0, step: 0, seed: t.seed ?? 0 };
  if (!t.resume) return fresh;
  const { path, metadata } = t.resume;
  const at = t.optimizer ? await loadTrainingState(t.optimizer, path, metadata) : null;
  if (!at) {
    process.stderr.write(`train: resumed the weights of ${path}; it has no training state (${trainStatePath(path)}), so the optimizer and the epoch count start afresh\n`);
    return fresh;
  }
  if (at.seed !== fresh.seed) throw new FormatError(`${trainStatePath(path)}: the run used --seed ${at.seed} for its data order; pass --seed ${at.seed} to continue it`);
  if (at.position > t.loader.length) throw new FormatError(`${trainStatePath(path)}: stopped after batch ${at.position} of an epoch of ${t.loader.length} batches; pass the same --batch and --limit`);
  if (at.epoch > t.epochs) {
    process.stderr.write(`train: ${path} has already trained ${at.epoch - 1} epoch(s); pass --epochs N with N ≥ ${at.epoch} to train on (--epochs counts the whole run)\n`);
    return null;
  }
  const lr = t.optimizer!.lr;
  process.stderr.write(`train: resumed ${path} at epoch ${at.epoch}/${t.epochs}, batch ${at.position}/${t.loader.length} (step ${at.step}, lr ${Number(lr.toPrecision(7))})\n`);
  // a schedule over the whole run (cosine, onecycle) depends on --epochs: say when this run's
  // differs from the stopped one's (its rate there is not where the schedule would be)
  const lrAt = t.recipe && at.step > 0 ? scheduleOf(t.recipe, t.loader.length, t.epochs) : null;
  if (lrAt && (t.recipe!.schedule === "cosine" || t.recipe!.schedule === "onecycle") && ![at.step - 1, at.step].some((s) => Math.abs(lrAt(s) - lr) <= 1e-6 * Math.max(lr, lrAt(s)))) {
    process.stderr.write(`train: note: the stopped run's rate ${fmtLr(lr)} is not the ${t.recipe!.schedule} schedule's at step ${at.step} of ${t.epochs} epoch(s) (${fmtLr(lrAt(at.step))}): it was started with another --epochs, and the schedule now spans ${t.epochs}; it continues from ${fmtLr(lrAt(at.step))}\n`);
  }
  return at;
}

/**
 * Runs the epochs from the start or from `t.resume`; resolves true when done, or the signal
 * that stopped it (after saving where it was).
 */
export async function trainLoop(t: TrainLoop): Promise<true | "SIGINT" | "SIGTERM"> {
  let stop: "SIGINT" | "SIGTERM" | null = null;
  const onSignal = (signal: "SIGINT" | "SIGTERM") => () => {
    if (stop) process.exit(signal === "SIGINT" ? 130 : 143);
    stop = signal;
    process.stderr.write(`\ntrain: ${signal === "SIGINT" ? "interrupted" : "terminated"}; finishing this step and saving (Ctrl-C again to quit at once)\n`);
  };
  const handlers = { SIGINT: onSignal("SIGINT"), SIGTERM: onSignal("SIGTERM") };
  if (t.recipe?.findLr) return runFindLr(t);
  for (const [sig, h] of Object.entries(handlers)) process.on(sig, h);
  const start = await startOf(t);
  const run = t.recipe?.runs && start ? await RunLog.open(t.recipe.runs, t.recipe.model, { command: ["npm run train --", ...process.argv.slice(2).map((a) => (/^[\w./=:,+-]+$/.test(a) ? a : JSON.stringify(a)))].join(" "), flags: t.recipe, backend: getBackend().name }, t.resume?.path) : null;
  if (run) process.stderr.write(`train: run folder ${run.dir} (metrics.jsonl, report.html, last and best checkpoints)\n`);
  const lrAt = t.recipe && t.optimizer ? scheduleOf(t.recipe, t.loader.length, t.epochs) : null;
  const save = async (progress: TrainingProgress) => {
    for (const out of [t.out, run?.last]) {
      if (!out) continue;
      if (t.optimizer) await saveTrainingCheckpoint(t.model, t.optimizer, out, t.metadata?.() ?? {}, progress);
      else await saveSafetensors(t.model, out, t.metadata?.() ?? {});
      if (out === t.out) process.stderr.write(`train: saved ${t.out}${t.optimizer ? ` and ${trainStatePath(t.out)}` : ""}\n`);
    }
  };
  /** The test set's score, printed and logged (kind "test"). */
  const scoreTest = async (epoch: number, step: number) => {
    if (!t.test) return;
    t.model.eval();
    const began = performance.now();
    const r = await t.test();
    process.stdout.write(`${r.summary} after epoch ${epoch} (${((performance.now() - began) / 1000).toFixed(1)} s)\n`);
    await run?.log({ kind: "test", epoch, step, ...r.scores });
  };
  try {
    let step = start?.step ?? 0;
    const meter = t.step.meter;
    if (!meter) throw new TypeError("trainLoop: the step needs its meter (compileTrainStep(…, { meter }))");
    const backend = getBackend();
    for (let epoch = start?.epoch ?? Infinity; epoch <= t.epochs && !stop; epoch++) {
      t.model.train();
      const from = epoch === start!.epoch ? start!.position : 0;
      const bar = new ProgressBar(`epoch ${epoch}/${t.epochs}`, t.loader.length, { from });
      t.step.resetMeter();
      t.step.resetState();
      const window: { loss: Tensor; batch: number }[] = [];
      let sums = { lossSum: 0, correct: 0, seen: 0, batches: 0, skipped: 0 };
      let logged = { ...sums, at: bar.seconds };
      let submitted = 0, shown = "";
      let previous: Promise<void> | null = null;
      /** Reads the meter; a step skipped in this window is looked at for why (and may end the run). */
      const readMeter = async () => {
        const [lossSum, correct, seen, batches, skipped] = await meter.data();
        if (skipped > sums.skipped) {
          for (const { loss, batch } of window) {
            await loss.item().catch((e: unknown) => {
              if (!(e instanceof NonFiniteError || e instanceof IndexError)) throw e;
              if (e instanceof NonFiniteError && t.onNonFinite === "skip") return;
              throw stepFailure(e, epoch, batch, t.loader.length, t.out);
            });
          }
        }
        for (const { loss } of window) loss.dispose();
        window.length = 0;
        sums = { lossSum, correct, seen, batches, skipped };
        // metrics.jsonl: the means over the steps since the last read
        if (run && batches > logged.batches) {
          const loss = (lossSum - logged.lossSum) / (batches - logged.batches), now = bar.seconds;
          await run.log({ kind: "step", epoch, step, loss, ...trainScore(t.metric, loss, correct - logged.correct, seen - logged.seen), lr: t.optimizer?.lr ?? 0, rate: ((seen - logged.seen) * t.unitsPerExample) / (now - logged.at) });
          logged = { ...sums, at: now };
        }
        const score = t.metric === "accuracy" ? `acc ${((100 * correct) / seen).toFixed(2)}% ` : t.metric === "perplexity" ? `ppl ${Math.exp(lossSum / batches).toFixed(2)} ` : "";
        shown = `${skipped ? `${skipped} skipped ` : ""}loss ${(lossSum / batches).toFixed(4)} ${score}`;
      };
      for (const { x, y } of t.loader.epochBatches(epoch - 1, from)) {
        // the scheduled rate (a scalar written to the device, not a read)
        if (lrAt) t.optimizer!.lr = lrAt(step);
        // submitted, not awaited: the loss, the correct count and the guard's verdict add up on the device
        const { loss, logits } = t.step(x, y);
        submitted++;
        step++;
        window.push({ loss, batch: from + submitted });
        // the batch and the outputs go back to the pool now (work queued on them runs first)
        for (const used of [x, y, logits]) used.dispose();
        // at most two steps in flight: wait for the one before this (not a read; this one keeps
        // the GPU busy). A synchronous backend is done already: yield to the event loop instead,
        // so that Ctrl-C and SIGTERM are seen between steps
        const done = backend.settled?.() ?? new Promise<void>((r) => setImmediate(r));
        if (previous) await previous;
        previous = done;
        if (window.length >= READ_EVERY || stop) await readMeter();
        // the position and the throughput every step, the numbers as of the last read
        const lr = lrAt ? `lr ${fmtLr(t.optimizer!.lr)} ` : "";
        bar.update(from + submitted, `${shown}${lr}${Math.round(((submitted * t.loader.batchSize) * t.unitsPerExample) / bar.seconds)} ${t.unit}/s`);
        if (stop) break;
      }
      if (window.length > 0) {
        await readMeter();
        bar.update(from + submitted, `${shown}${Math.round((sums.seen * t.unitsPerExample) / bar.seconds)} ${t.unit}/s`);
      }
      const { lossSum, correct, seen, batches, skipped } = sums;
      bar.done();
      const done = from + submitted;
      const score = t.metric === "accuracy" ? `, train acc ${((100 * correct) / seen).toFixed(2)}%` : t.metric === "perplexity" ? `, train perplexity ${Math.exp(lossSum / batches).toFixed(2)}` : "";
      const skips = skipped ? `, ${skipped} step${skipped === 1 ? "" : "s"} skipped (non-finite loss or gradient)` : "";
      const seed = start!.seed;
      if (stop && done < t.loader.length) {
        process.stdout.write(`epoch ${epoch} interrupted after batch ${done}/${t.loader.length}: train loss ${(lossSum / batches).toFixed(4)}${score}${skips}\n`);
        await save({ epoch, position: done, step, seed });
        await run?.report();
        break;
      }
      // the epoch's seconds are the training's; evaluation is timed on its own
      const seconds = bar.seconds;
      const every = t.recipe?.evalEvery ?? 1;
      let summary = "", scored: Evaluation | null = null;
      if (epoch % every === 0 || epoch === t.epochs) {
        t.model.eval();
        const began = performance.now();
        scored = await t.evaluate();
        summary = `, ${scored.summary} (${((performance.now() - began) / 1000).toFixed(1)} s)`;
      }
      process.stdout.write(`epoch ${epoch}: train loss ${(lossSum / batches).toFixed(4)}${score}${summary}, ${seconds.toFixed(1)} s training${skips}\n`);
      await save({ epoch: epoch + 1, position: 0, step, seed });
      if (run) {
        const best = scored?.best && run.improves(scored.best) ? scored.best : null;
        if (best) {
          await saveSafetensors(t.model, run.bestPath, { ...t.metadata?.(), epoch: String(epoch), [best.name]: String(best.value) });
          process.stderr.write(`train: best ${best.name.replace(/_/g, " ")} so far (${Number(best.value.toFixed(4))}): ${run.bestPath}\n`);
        }
        await run.log({ kind: "epoch", epoch, step, loss: lossSum / batches, ...trainScore(t.metric, lossSum / batches, correct, seen), ...scored?.scores, ...(best ? { best: best.value } : {}), seconds, skipped });
      }
      if (t.recipe?.testEachEpoch && epoch < t.epochs) await scoreTest(epoch, step);
      if (epoch === t.epochs) await scoreTest(epoch, step);
      await run?.report();
    }
  } finally {
    for (const [sig, h] of Object.entries(handlers)) process.off(sig, h);
  }
  return stop ?? true;
}

/** Percentage of examples whose largest output is the label (model in eval mode). */
export async function accuracy(model: Module, predict: (x: Tensor) => Tensor, loader: DataLoader, label = "evaluating"): Promise<number> {
  model.eval();
  let correct = 0, done = 0;
  const bar = new ProgressBar(label, loader.length, { ttyOnly: true });
  for (const { x, y } of loader) {
    const out = predict(x);
    correct += await countCorrect(out, y);
    for (const used of [x, y, out]) used.dispose();
    bar.update(++done, "");
  }
  bar.done();
  return (100 * correct) / loader.count;
}

/**
 * The accuracy on a validation or test set as an Evaluation: "val acc 98.10% (5000 images)",
 * logged as val_acc / test_acc; a validation score is what the best checkpoint is chosen by.
 */
export async function accuracyEvaluation(model: Module, predict: (x: Tensor) => Tensor, loader: DataLoader, name: "val" | "test", what: string): Promise<Evaluation> {
  const acc = await accuracy(model, predict, loader, name === "val" ? "validating" : "testing");
  return { summary: `${name} acc ${acc.toFixed(2)}% (${loader.count} ${what})`, scores: { [`${name}_acc`]: acc }, best: name === "val" ? { name: "val_acc", value: acc, higher: true } : undefined };
}

/** A UTF-8 file's text, or a FormatError naming the file (and the line, for bad UTF-8) and `what` it should hold. */
export async function readText(file: string, what: string): Promise<string> {
  const { readFile } = await import("node:fs/promises");
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(file));
  } catch (e) {
    throw new FormatError(`${file}: cannot read ${what} (${(e as Error).message})`);
  }
  return decodeText(bytes, file);
}

/** A checkpoint's metadata, path and tensor shapes: the arguments a model's `…FromMetadata` takes. */
export async function checkpointHeader(path: string): Promise<[Record<string, string>, string, Map<string, number[]>]> {
  const { metadata, shapes } = await readSafetensorsHeader(path);
  return [metadata, path, shapes];
}
