/**
 * @file Eager reads and assigns. `realize` plans whatever the requested tensors still need
 * (stopping at tensors already computed) and runs it on the current backend in one go; the
 * requested tensors keep their results, intermediates are dropped. `assignAll` updates
 * weights (inside `compile`, it records effects instead).
 */
import { getBackend, type Backend } from "../backends/backend.ts";
import { DeviceError, GraphError, ShapeError } from "../errors.ts";
import type { TypedArray } from "../dtype.ts";
import type { Tensor } from "../tensor.ts";
import { isPlaceholder } from "./ir.ts";
import { isTracing, recordEffect } from "./trace.ts";
import { buildPlan, type Plan } from "./plan.ts";
import { checkStatus, runStatus, type RunStatus } from "./guard.ts";

export function realize(tensors: readonly Tensor[]): void {
  const pending = [...new Set(tensors.filter((t) => t.storage === null))];
  if (pending.length === 0) return;
  for (const t of pending) checkNotTraced(t);
  const backend = getBackend();
  const { plan, inputTensors } = buildPlan(pending, (t) => t.storage !== null || isPlaceholder(t));
  const { handles, status } = runPlan(backend, plan, inputTensors);
  pending.forEach((t, i) => (t.storage = { backend, handle: handles[i], ...(status ? { status: status.hold() } : {}) }));
}

/** How many times each plan has run (the "step" a fault names). */
const runs = new WeakMap<Plan, number>();

/**
 * Binds input tensors (checking they are computed and on `backend`) and runs the plan. The
 * status (null when neither the plan nor its inputs can carry a fault) belongs on the outputs.
 * `reuse` passes handles for outputs to be written into (Backend.run).
 */
export function runPlan(backend: Backend, plan: Plan, inputs: readonly Tensor[], reuse?: readonly unknown[]): { handles: unknown[]; status: RunStatus | null } {
  const bound = inputs.map((t) => handleOn(backend, t));
  const run = (runs.get(plan) ?? 0) + 1;
  runs.set(plan, run);
  const status = runStatus(backend, plan, run, inputs.map((t) => t.storage?.status));
  return { handles: backend.run(plan, bound, status?.handle ?? undefined, reuse), status };
}

/** The tensor's values; throws the fault of the run that computed it, if it had one. */
export async function readHost(t: Tensor): Promise<TypedArray> {
  const s = t.storage!;
  const data = await s.backend.read(s.handle, t.dtype, t.size, s.status);
  if (s.status) await checkStatus(s.status);
  return data;
}

function handleOn(backend: Backend, t: Tensor): unknown {
  checkNotTraced(t);
  const s = t.storage!;
  if (s.backend === backend) return s.handle;
  // A constant, or a CPU result (its handle is host memory): upload once and keep it here.
  const host = s.host ?? (s.backend.name === "cpu" ? (s.handle as TypedArray) : undefined);
  if (host) {
    t.storage = { backend, handle: backend.upload(host, t.dtype), host };
    return t.storage.handle;
  }
  if (s.backend.name === backend.name) {
    throw new DeviceError(`tensor ${t.describe()} was computed on an earlier ${backend.name} device (lost or replaced by setBackend); its data is gone with it: compute it again or load it again`);
  }
  throw new DeviceError(
    `tensor ${t.describe()} was computed on the ${s.backend.name} backend, now running on ${backend.name}; ` +
      `read it with await t.data() and make a new tensor from the values`,
  );
}

function checkNotTraced(t: Tensor): void {
  if (t.disposed) throw new GraphError(`tensor ${t.describe()} was disposed; it cannot be computed from`);
  if (isPlaceholder(t)) {
    throw new GraphError(
      `tensor ${t.describe()} is a compile() input placeholder: it has no value while tracing. ` +
        `Return it from the compiled function instead of reading it inside`,
    );
  }
}

/**
 * Updates several tensors at once: every new value is computed from the old data before any
 * tensor changes (what an optimizer step needs). Inside `compile` each becomes an effect.
 * `t.assign(v)` is `assignAll([[t, v]])`.
 */
export function assignAll(pairs: readonly (readonly [Tensor, Tensor])[]): void {
  for (const [target, value] of pairs) {
    if (target.disposed) throw new GraphError(`assign: target ${target.describe()} was disposed; a disposed weight cannot be updated`);
    if (target.node.op !== null || target.storage === null) {
      throw new GraphError(`assign: target ${target.describe()} is a computed tensor; only tensors holding data (weights, state) can be assigned`);
    }
    if (value.dtype !== target.dtype || value.shape.join() !== target.shape.join()) {
      throw new ShapeError(`assign: value ${value.describe()} does not match target ${target.describe()}`);
    }
  }
  if (isTracing()) {
    for (const [target, value] of pairs) recordEffect(target, value);
    return;
  }
  realize(pairs.map(([, v]) => v));
  for (const [target, value] of pairs) {
    // the target takes the data over; disposing the value must not free it
    target.storage = { backend: value.storage!.backend, handle: value.storage!.handle };
    value.storage = { ...value.storage!, borrowed: true };
  }
  for (const [target] of pairs) storageReplaced(target);
}

const watchers = new WeakMap<Tensor, () => void>();

/**
 * Calls `fn` whenever `t` is given new data by an assign (eager, or after a compiled run): how
 * the optimizer's packed parameters keep the parameters pointing into their current buffer.
 */
export function onStorageReplaced(t: Tensor, fn: () => void): void {
  watchers.set(t, fn);
}

/** Tells `t`'s watcher (if any) that `t.storage` was replaced. */
export function storageReplaced(t: Tensor): void {
  watchers.get(t)?.();
}
