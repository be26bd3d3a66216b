/**
 * @file Tracing state: while `compile` traces a function, reads are refused and `assign`s are
 * recorded as effects instead of run. Below the graph IR so that the Tensor (src/tensor.ts)
 * can ask `isTracing()` without importing the nodes that build it.
 */
import type { Tensor } from "../tensor.ts";

/** An `assign` recorded while tracing: after each run, `target` takes `value`'s data. */
export interface Effect {
  target: Tensor;
  value: Tensor;
}

/** One entry per trace in progress (compile inside compile traces the inner one apart). */
const traces: Effect[][] = [];
/** Per trace: what must run before each run of its plan (see `recordBeforeRun`). */
const hooks: (() => void)[][] = [];

/**
 * Runs `f` with tracing on (reads refused, assigns recorded); returns its result, its effects
 * and the hooks it asked to run before each run.
 */
export function whileTracing<T>(f: () => T): { result: T; effects: Effect[]; beforeRun: (() => void)[] } {
  traces.push([]);
  hooks.push([]);
  try {
    const result = f();
    return { result, effects: traces[traces.length - 1], beforeRun: hooks[hooks.length - 1] };
  } finally {
    traces.pop();
    hooks.pop();
  }
}

/**
 * Asks the innermost trace's compiled function to call `fn` before each run of its plan,
 * outside tracing (an optimizer making sure its packed parameters hold the parameters'
 * current values: optim/flat_params.ts).
 */
export function recordBeforeRun(fn: () => void): void {
  const list = hooks[hooks.length - 1];
  if (!list.includes(fn)) list.push(fn);
}

/** True while `compile` is tracing a function. */
export function isTracing(): boolean {
  return traces.length > 0;
}

/** Records an assign in the innermost trace; a later assign to the same target wins. */
export function recordEffect(target: Tensor, value: Tensor): void {
  const effects = traces[traces.length - 1];
  const at = effects.findIndex((e) => e.target === target);
  if (at >= 0) effects.splice(at, 1);
  effects.push({ target, value });
}
