/**
 * @file The epoch loop every `npm run train` task shares: a progress bar with the running
 * loss, accuracy or perplexity and throughput; an evaluation line on stdout after each epoch;
 * a checkpoint after each epoch; Ctrl-C finishes the current step, saves, and exits 130
 * (a second Ctrl-C quits at once). A step whose guard fails (a non-finite loss or gradient,
 * a label out of range) has already been skipped on the device; the loop then stops with
 * the reason and without saving, or with `--on-nonfinite skip` counts it and goes on.
 */
import { argmaxRows, countEqual } from "../metrics.ts";
import type { Tensor } from "../tensor.ts";
import type { DataLoader } from "../data/loader.ts";
import type { Module } from "../nn/module.ts";
import type { TrainStepResult } from "../train_step.ts";
import { Adam } from "../optim/adam.ts";
import { SGD } from "../optim/sgd.ts";
import type { Optimizer } from "../optim/optimizer.ts";
import type { TrainArgs } from "./args.ts";
import { ProgressBar } from "./progress.ts";
import { FormatError, IndexError, NonFiniteError } from "../errors.ts";

export interface TrainLoop {
  model: Module;
  step: (x: Tensor, y: Tensor) => TrainStepResult;
  loader: DataLoader;
  epochs: number;
  /** "accuracy": argmax of [N, C] outputs against labels [N]; "perplexity": exp(mean loss). */
  metric: "accuracy" | "perplexity";
  /** What the throughput counts ("img", "seq", "char") and how many per example. */
  unit: string;
  unitsPerExample: number;
  /** After each epoch, in eval mode: a summary such as "test acc 98.1% (10000 images)". */
  evaluate: () => Promise<string>;
  save: () => Promise<void>;
  /** What a step with a non-finite loss or gradient does: stop the run (default) or be skipped. */
  onNonFinite?: "stop" | "skip";
  /** The checkpoint file, for the message when a bad step stops the run. */
  out?: string;
}

/** The error that ends a run at a step the guard refused: where, why and what to do. */
function stepFailure(e: NonFiniteError | IndexError, epoch: number, batch: number, batches: number, out?: string): Error {
  const kept = out ? `nothing was saved over ${out}` : "nothing was saved";
  const hint = e instanceof IndexError ? "check the labels or token ids of the data" : "try a lower --lr, or --on-nonfinite skip to skip such steps";
  return new (e.constructor as typeof NonFiniteError)(`epoch ${epoch}, batch ${batch}/${batches}: ${e.message}; ${kept}; ${hint}`);
}

/** The optimizer the flags ask for, announced on stderr with the model's size. */
export function makeOptimizer(model: Module, args: TrainArgs, title: string): Optimizer {
  const opt: Optimizer = args.optimizer === "sgd"
    ? new SGD(model.parameters(), { lr: args.lr, momentum: 0.9 })
    : new Adam(model.parameters(), { lr: args.lr });
  const clip = args.clip === undefined ? "" : `, gradients clipped to norm ${args.clip}`;
  process.stderr.write(`train: ${title}, ${model.parameterCount()} parameters, ${args.optimizer} lr ${args.lr}, batch ${args.batch}${clip}\n`);
  return opt;
}

/** How many rows of logits [N, C] have their largest value at the label y [N]. */
async function countCorrect(logits: Tensor, y: Tensor): Promise<number> {
  const [v, labels] = await Promise.all([logits.data(), y.data()]);
  return countEqual(argmaxRows(v, logits.shape[logits.rank - 1]), labels);
}

/** Runs the epochs; resolves false when Ctrl-C stopped it (after saving). */
export async function trainLoop(t: TrainLoop): Promise<boolean> {
  let stop = false;
  const onSigint = () => {
    if (stop) process.exit(130);
    stop = true;
    process.stderr.write("\ntrain: interrupted; finishing this step (Ctrl-C again to quit at once)\n");
  };
  process.on("SIGINT", onSigint);
  try {
    for (let epoch = 1; epoch <= t.epochs && !stop; epoch++) {
      t.model.train();
      const bar = new ProgressBar(`epoch ${epoch}/${t.epochs}`, t.loader.length);
      let seen = 0, correct = 0, lossSum = 0, batches = 0, skipped = 0;
      for (const { x, y } of t.loader) {
        const { loss, logits } = t.step(x, y);
        const value = await loss.item().catch((e: unknown) => {
          if (!(e instanceof NonFiniteError || e instanceof IndexError)) throw e;
          if (e instanceof NonFiniteError && t.onNonFinite === "skip") return null;
          throw stepFailure(e, epoch, batches + skipped + 1, t.loader.length, t.out);
        });
        if (value === null) skipped++;
        else {
          lossSum += value;
          if (t.metric === "accuracy") correct += await countCorrect(logits, y);
          seen += x.shape[0];
          batches++;
        }
        // the batch and the step's results go back to the device now, not when the GC gets to them
        for (const used of [x, y, loss, logits]) used.dispose();
        const score = t.metric === "accuracy" ? `acc ${((100 * correct) / seen).toFixed(2)}%` : `ppl ${Math.exp(lossSum / batches).toFixed(2)}`;
        bar.update(batches + skipped, `${skipped ? `${skipped} skipped ` : ""}loss ${(lossSum / batches).toFixed(4)} ${score} ${Math.round((seen * t.unitsPerExample) / bar.seconds)} ${t.unit}/s`);
        if (stop) break;
      }
      bar.done();
      t.model.eval();
      const summary = await t.evaluate();
      const score = t.metric === "accuracy" ? `train acc ${((100 * correct) / seen).toFixed(2)}%` : `train perplexity ${Math.exp(lossSum / batches).toFixed(2)}`;
      const skips = skipped ? `, ${skipped} step${skipped === 1 ? "" : "s"} skipped (non-finite loss or gradient)` : "";
      process.stdout.write(`epoch ${epoch}: train loss ${(lossSum / batches).toFixed(4)}, ${score}, ${summary}, ${bar.seconds.toFixed(1)} s${skips}\n`);
      await t.save();
    }
  } finally {
    process.off("SIGINT", onSigint);
  }
  return !stop;
}

/** Percentage of examples whose largest output is the label (model in eval mode). */
export async function accuracy(model: Module, predict: (x: Tensor) => Tensor, loader: DataLoader): Promise<number> {
  model.eval();
  let correct = 0;
  for (const { x, y } of loader) {
    const out = predict(x);
    correct += await countCorrect(out, y);
    for (const used of [x, y, out]) used.dispose();
  }
  return (100 * correct) / loader.count;
}

/** A UTF-8 file's text, or a FormatError naming the file and `what` it should hold. */
export async function readText(file: string, what: string): Promise<string> {
  const { readFile } = await import("node:fs/promises");
  try {
    return await readFile(file, "utf8");
  } catch (e) {
    throw new FormatError(`${file}: cannot read ${what} (${(e as Error).message})`);
  }
}
