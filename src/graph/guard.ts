/**
 * @file A run's status, from the device to a typed error. A plan with a step that can fault
 * (ops/fault.ts) gets a status handle per run from its backend; the outputs of that run carry
 * it (and the statuses of the inputs it was computed from, so a fault is never lost by
 * computing further from a bad result). Reading any of those outputs reads the status words
 * in the same transfer as the data and throws IndexError or NonFiniteError, naming the op,
 * the value and the run ("step") of that plan. The host never waits for a status on its own.
 */
import { IndexError, NonFiniteError, type WebGpuDlError } from "../errors.ts";
import type { Backend } from "../backends/backend.ts";
import type { Plan } from "./plan.ts";

export class RunStatus {
  /** The words once read (see ops/fault.ts for the layout); null until then. */
  words: Uint32Array | null = null;

  /** Whether the run has status storage of its own (else only its inputs can have faulted). */
  private readonly own: boolean;

  constructor(
    readonly backend: Backend,
    readonly plan: Plan,
    /** 1 for the plan's first run. */
    readonly run: number,
    /** The backend's status storage (null: this run cannot fault itself, only its inputs). */
    public handle: unknown,
    readonly parents: readonly RunStatus[],
  ) {
    this.own = handle !== null;
    for (const p of parents) p.hold();
  }

  /** Tensors and later statuses that may still ask for these words. */
  private holders = 0;

  hold(): this {
    this.holders++;
    return this;
  }

  /**
   * One holder is gone (a tensor disposed). When none is left and the words were never read,
   * nobody can ask for them: the status storage goes back to the backend at once (a loop that
   * reads a meter instead of every loss reuses one status buffer, and its bind groups).
   */
  drop(): void {
    if (this.holders === 0 || --this.holders > 0) return;
    if (this.words === null && this.handle !== null) {
      this.backend.releaseStatus?.(this.handle);
      this.handle = null;
    }
    for (const p of this.parents) p.drop();
  }

  /** True once read and clean, parents included: nothing left to check. */
  get clean(): boolean {
    const ownClean = !this.own || (this.words !== null && this.words[0] === 0);
    return ownClean && this.parents.every((p) => p.clean);
  }
}

const faulting = new WeakMap<Plan, boolean>();

/** True for plans with a step whose kernel can fault: their runs get a status (cached per plan). */
export function canFault(plan: Plan): boolean {
  let f = faulting.get(plan);
  if (f === undefined) faulting.set(plan, (f = plan.steps.some((s) => s.op.fault !== undefined)));
  return f;
}

/** The status a run of `plan` should carry, given its inputs' statuses (null: none at all). */
export function runStatus(backend: Backend, plan: Plan, run: number, inputs: readonly (RunStatus | undefined)[]): RunStatus | null {
  const parents = [...new Set(inputs.filter((s): s is RunStatus => s !== undefined && !s.clean))];
  const own = canFault(plan);
  if (!own && parents.length === 0) return null;
  return new RunStatus(backend, plan, run, own ? backend.newStatus!() : null, parents);
}

/**
 * Reads what is still unread of `status` and its parents (the data read may have fetched the
 * status itself already) and throws the first fault found, the oldest run's first.
 */
export async function checkStatus(status: RunStatus): Promise<void> {
  // every status this one depends on, oldest first; the unread ones are read together
  const all: RunStatus[] = [];
  const seen = new Set<RunStatus>();
  const visit = (st: RunStatus) => {
    if (seen.has(st) || st.clean) return;
    seen.add(st);
    st.parents.forEach(visit);
    all.push(st);
  };
  visit(status);
  await Promise.all(all.filter((st) => st.handle !== null && st.words === null).map((st) => st.backend.read(null, "int32", 0, st)));
  for (const st of all) {
    const err = faultError(st);
    if (err) throw err;
  }
}

/** The typed error the status words describe, or null when the run did not fault. */
export function faultError(status: RunStatus): WebGpuDlError | null {
  const w = status.words;
  if (!w || w[0] === 0) return null;
  const step = status.plan.steps[w[1]];
  const rule = step?.op.fault;
  if (!step || !rule) return new IndexError(`run ${status.run}: a kernel reported a fault at unknown step ${w[1]}`);
  const value = rule.kind === "index" ? w[2] | 0 : new Float32Array(new Uint32Array([w[2]]).buffer)[0];
  const inShapes = step.inputs.map((id) => [...status.plan.values[id].shape]);
  const what = rule.describe({ inShapes, attrs: step.attrs as never, value, position: w[3], detail: w[4] });
  // a plan with the step's guard is a training step whose optimizer skipped its update
  const updates = status.plan.steps.some((s) => s.op.name === "allFinite" || s.op.name === "allFiniteHyper");
  const where = updates ? `step ${status.run}: ` : "";
  const after = updates ? "; the optimizer skipped this step's update, so every weight is as it was before it" : "";
  return rule.kind === "index" ? new IndexError(`${where}${what}${after}`) : new NonFiniteError(`${where}${what}${after}`);
}
