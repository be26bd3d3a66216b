/**
 * @file `compile(fn)`, like `jax.jit`: the first call with a given input signature (shapes
 * and dtypes) traces fn on placeholders and plans the whole graph once; every call then
 * binds its inputs and runs that plan, with the buffers of the plan reused. Tensors fn
 * captures from outside (weights, constants) become plan inputs too, read at each call.
 * `t.assign(v)` inside fn (an optimizer updating a weight) becomes an extra plan output whose
 * result replaces t's data after each call: weights never leave the device between steps.
 */
import { GraphError } from "../errors.ts";
import { getBackend, type Backend } from "../backends/backend.ts";
import { Tensor } from "../tensor.ts";
import { isPlaceholder, leaf, placeholder, whileTracing } from "./ir.ts";
import { buildPlan, type Plan } from "./plan.ts";
import { realize, runPlan, storageReplaced } from "./executor.ts";

/** What a compiled function may return: tensors in arrays and plain objects, nested. */
export type TensorTree = Tensor | readonly TensorTree[] | { readonly [k: string]: TensorTree };

interface Traced {
  plan: Plan;
  /** Tensors whose storage the last `effects.length` plan outputs replace after each run. */
  assigned: Tensor[];
  /** For each plan input: the index of the call argument it is, or the captured tensor. */
  bindings: (number | Tensor)[];
  /** Rebuilds fn's return structure from the flat list of outputs. */
  unflatten: (flat: Tensor[]) => TensorTree;
  /** Called before each run (graph/trace.ts recordBeforeRun). */
  beforeRun: (() => void)[];
}

export interface Compiled<A extends Tensor[], R extends TensorTree> {
  (...args: A): R;
  /** The cached plans, one per input signature (for inspection and tests). */
  readonly plans: ReadonlyMap<string, Plan>;
  /**
   * The plan a call with arguments of these shapes and dtypes runs: traced (and cached) now,
   * nothing runs, the arguments' data is not read (placeholders will do).
   */
  plan(...args: A): Plan;
}

/**
 * An assigned tensor's previous buffer, held for the next call to write into: its weights then
 * alternate between two buffers (the backend's bind groups for them stay cached) instead of
 * trading places in the pool with every other buffer of that size.
 */
const spares = new WeakMap<Tensor, { backend: Backend; handle: unknown }>();

/** Traces `fn` once per input signature and runs the cached plan on every call. */
export function compile<A extends Tensor[], R extends TensorTree>(fn: (...args: A) => R): Compiled<A, R> {
  const cache = new Map<string, Traced>();
  const tracedFor = (args: A): Traced => {
    if (args.length < fn.length) throw new GraphError(`compile: the function takes ${fn.length} tensor arguments, it was called with ${args.length}`);
    args.forEach((a, i) => {
      if (!(a instanceof Tensor)) throw new GraphError(`compile: argument ${i} is not a Tensor (got ${typeof a})`);
    });
    const key = args.map((a) => a.describe()).join(" ");
    let t = cache.get(key);
    if (!t) {
      t = trace(fn, args);
      cache.set(key, t);
    }
    return t;
  };
  const compiled = (...args: A): R => {
    const traced = tracedFor(args);
    for (const hook of traced.beforeRun) hook();
    realize(args);
    const backend = getBackend();
    const inputs = traced.bindings.map((b) => (typeof b === "number" ? args[b] : b));
    // each assigned tensor's buffer from the step before last is written again (ping-pong)
    const nOut = traced.plan.outputs.length - traced.assigned.length;
    const reuse: unknown[] = [];
    // an update in place (PlanValue.inPlaceOf) writes the weight's own buffer, when the weight
    // is the input it replaces and nothing else holds that buffer
    const inPlace = new Set<number>();
    traced.assigned.forEach((t, i) => {
      const spare = spares.get(t);
      spares.delete(t);
      const from = traced.plan.values[traced.plan.outputs[nOut + i]].inPlaceOf;
      const own = t.storage;
      if (from !== undefined && inputs[traced.plan.inputs.indexOf(from)] === t && own?.exclusive && own.backend === backend && !inputs.some((x) => x !== t && x.storage?.handle === own.handle)) {
        reuse[nOut + i] = own.handle;
        inPlace.add(i);
      } else if (spare && spare.backend === backend) reuse[nOut + i] = spare.handle;
    });
    const { handles, status } = runPlan(backend, traced.plan, inputs, reuse);
    traced.assigned.forEach((t, i) => {
      const old = t.storage;
      const handle = handles[nOut + i];
      // shared if the same handle is also returned (or assigned) elsewhere, or is an input's
      // (other than this weight's own buffer, updated in place)
      const updatedInPlace = inPlace.has(i) && handle === old?.handle;
      const shared = handles.indexOf(handle) !== nOut + i || inputs.some((x) => x.storage?.handle === handle && !(x === t && updatedInPlace));
      t.storage = { backend, handle, exclusive: !shared };
      // the old buffer is this tensor's spare for the next call, not the pool's
      if (old?.exclusive && old.backend === backend && old.handle !== handle) spares.set(t, { backend, handle: old.handle });
    });
    for (const t of traced.assigned) storageReplaced(t);
    const outs = traced.plan.outputs.slice(0, nOut).map((id, i) => {
      const v = traced!.plan.values[id];
      // an input, an assigned weight or an earlier output owns this handle: never freed through this one
      const borrowed = inputs.some((x) => x.storage?.handle === handles[i]) || handles.indexOf(handles[i], nOut) >= 0 || handles.indexOf(handles[i]) < i;
      // the step's results carry its status; assigned weights do not (a faulted step leaves
      // them as they were, so they are good data)
      return leaf(v.shape, v.dtype, { backend, handle: handles[i], ...(status ? { status: status.hold() } : {}), ...(borrowed ? { borrowed } : {}) });
    });
    return traced.unflatten(outs) as R;
  };
  Object.defineProperty(compiled, "plans", {
    get: () => new Map([...cache].map(([k, t]) => [k, t.plan])),
  });
  compiled.plan = (...args: A): Plan => tracedFor(args).plan;
  return compiled as Compiled<A, R>;
}

function trace<A extends Tensor[]>(fn: (...args: A) => TensorTree, args: A): Traced {
  const holders = args.map((a) => placeholder(a.shape, a.dtype)) as A;
  const { result, effects, beforeRun } = whileTracing(() => fn(...holders));
  const flat: Tensor[] = [];
  const shape = flatten(result, flat);
  const assigned = effects.map((e) => e.target);
  const { plan, inputTensors } = buildPlan([...flat, ...effects.map((e) => e.value)], (t) => t.storage !== null || isPlaceholder(t));
  const bindings = inputTensors.map((t) => {
    if (t.storage !== null) return t;
    const i = holders.indexOf(t);
    if (i < 0) throw new GraphError(`compile: the function uses a placeholder from another trace (${t.describe()}); pass it as an argument`);
    return i;
  });
  let at = 0;
  const unflatten = (outs: Tensor[]) => {
    at = 0;
    return shape(() => outs[at++]);
  };
  return { plan, assigned, bindings, unflatten, beforeRun };
}

/** Collects the tensors of a tree in order; returns a builder that refills the same shape. */
function flatten(tree: TensorTree, out: Tensor[]): (next: () => Tensor) => TensorTree {
  if (tree instanceof Tensor) {
    out.push(tree);
    return (next) => next();
  }
  if (Array.isArray(tree)) {
    const parts = tree.map((t) => flatten(t, out));
    return (next) => parts.map((p) => p(next));
  }
  if (tree && typeof tree === "object") {
    const entries = Object.entries(tree).map(([k, t]) => [k, flatten(t as TensorTree, out)] as const);
    return (next) => Object.fromEntries(entries.map(([k, p]) => [k, p(next)]));
  }
  throw new GraphError(`compile: the function must return tensors (in arrays or objects), got ${String(tree)}`);
}
