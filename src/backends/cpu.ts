/**
 * @file The CPU reference backend: handles are typed arrays, a plan runs each step's OpDef
 * CPU kernel in order. Slot buffers of a plan are allocated once and reused on every run of
 * that plan (what `compile` relies on); only plan outputs are allocated per run. In the fast
 * mode a plan that runs a second time (a compiled step) gets its slots in the fast kernels'
 * shared memory instead (`ResidentMemory`, which ops/cpu_fast.ts installs), where those
 * kernels read and write them without copies; they are freed when the plan is collected.
 */
import { ARRAY_OF, allocArray, type DType, type TypedArray } from "../dtype.ts";
import { sizeOf } from "../shape.ts";
import type { Plan } from "../graph/plan.ts";
import type { Backend } from "./backend.ts";
import type { RunStatus } from "../graph/guard.ts";
import { STATUS_WORDS } from "../ops/fault.ts";
import type { CpuCaps } from "../ops/types.ts";
import { debugLevel, recordKernelTime } from "../debug.ts";

/**
 * Memory where a plan's slots may live so that kernels use them in place: the fast kernels'
 * shared memory (ops/cpu_fast.ts installs it when it makes that memory; until then, none).
 */
export interface ResidentMemory {
  /** `bytes` zeroed that stay until `release`: a buffer and a byte offset, or null. */
  resident(bytes: number): { buffer: ArrayBufferLike; at: number } | null;
  release(at: number): void;
}

let residentMemory: ResidentMemory | null = null;

/** Installs (or removes) the memory for resident slots. */
export function setResidentMemory(memory: ResidentMemory | null): void {
  residentMemory = memory;
}

/** Frees a collected plan's resident slots (the release function of the memory they are in). */
const residentSlots = new FinalizationRegistry<() => void>((release) => release());

export class CpuBackend implements Backend {
  readonly name = "cpu";
  /** What kernels may use (ops/types.ts CpuCaps); tests switch the WebAssembly matmul off to compare. */
  readonly caps: CpuCaps = { wasmMatmul: true, mode: "reference", threads: 0 };
  /** Per plan: the typed view of each temporary (in one buffer per slot, or resident), and its runs so far. */
  private readonly arena = new WeakMap<Plan, { views: (TypedArray | null)[]; runs: number }>();

  upload(data: TypedArray): unknown {
    return data;
  }

  /**
   * A copy of the data. It waits for one turn of the event loop first: reads are the only
   * waits, and without this a CPU training loop (await per step) runs entirely in microtasks,
   * starving signals (Ctrl-C), timers and, in a browser, the page itself.
   */
  async read(handle: unknown, dtype: DType, size: number, status?: RunStatus): Promise<TypedArray> {
    // copied now: a step run before the wait may update this buffer in place (OpDef.inPlace)
    const data = size === 0 ? allocArray(dtype, 0) : (handle as TypedArray).slice();
    await nextMacrotask();
    if (status && status.words === null && status.handle !== null) {
      status.words = status.handle as Uint32Array;
      status.handle = null;
    }
    return data;
  }

  /** Elements offset … offset + size of a handle, sharing its memory (Backend.window). */
  window(handle: unknown, offset: number, size: number): TypedArray {
    return (handle as TypedArray).subarray(offset, offset + size);
  }

  newStatus(): Uint32Array {
    return new Uint32Array(STATUS_WORDS);
  }

  /**
   * Runs the plan's steps in order. `reuse` is honoured for in-place outputs only (the input's
   * own array, PlanValue.inPlaceOf); every other output gets a new array.
   */
  run(plan: Plan, inputs: unknown[], status?: unknown, reuse?: readonly unknown[]): unknown[] {
    const words = (status as Uint32Array | undefined) ?? new Uint32Array(STATUS_WORDS);
    const arrays = this.tempViews(plan).slice();
    plan.inputs.forEach((id, i) => (arrays[id] = inputs[i] as TypedArray));
    for (const v of plan.values) {
      if (v.kind === "output") {
        const given = v.inPlaceOf === undefined ? undefined : (reuse?.[plan.outputs.indexOf(v.id)] as TypedArray | undefined);
        arrays[v.id] = given && given === arrays[v.inPlaceOf!] ? given : allocArray(v.dtype, sizeOf(v.shape));
      } else if (v.kind === "view") arrays[v.id] = arrays[v.viewOf!];
    }
    const timed = debugLevel >= 1;
    plan.steps.forEach((step, site) => {
      const t0 = timed ? performance.now() : 0;
      // an in-place output starts as its input (unless it is the input's own array)
      for (const [o, i] of step.op.inPlace ?? []) {
        const [out, src] = [arrays[step.outputs[o]]!, arrays[step.inputs[i]]!];
        if (out !== src) out.set(src);
      }
      const args = {
        inputs: step.inputs.map((id) => arrays[id]!),
        outputs: step.outputs.map((id) => arrays[id]!),
        inShapes: step.inputs.map((id) => plan.values[id].shape),
        outShapes: step.outputs.map((id) => plan.values[id].shape),
        attrs: step.attrs,
        status: words,
        site,
        cpu: this.caps,
      };
      // the fast mode: the op's fast kernel where it has one that applies (OpDef.cpuFast)
      if (!(this.caps.mode === "fast" && step.op.cpuFast?.(args))) step.op.cpu(args);
      if (timed) recordKernelTime(step.op.name, performance.now() - t0);
    });
    return plan.outputs.map((id) => arrays[id]);
  }

  private tempViews(plan: Plan): (TypedArray | null)[] {
    let a = this.arena.get(plan);
    if (!a) {
      const buffers = plan.slotBytes.map((b) => new ArrayBuffer(b));
      a = { views: slotViews(plan, (s) => [buffers[s], 0]), runs: 0 };
      this.arena.set(plan, a);
    } else if (a.runs === 1 && this.caps.mode === "fast" && plan.slotBytes.length > 0) {
      // run again: a compiled step. Its slots move into the fast kernels' memory (zeroed, as new).
      const fast = residentMemory;
      const starts = plan.slotBytes.map((_, s) => plan.slotBytes.slice(0, s).reduce((x, b) => x + ((b + 15) & ~15), 0));
      const block = fast?.resident(starts[starts.length - 1] + plan.slotBytes[plan.slotBytes.length - 1]);
      if (fast && block) {
        a.views = slotViews(plan, (s) => [block.buffer, block.at + starts[s]]);
        residentSlots.register(plan, () => fast.release(block.at));
      }
    }
    a.runs++;
    return a.views;
  }
}

/** The typed view of each temporary of `plan`, slot s at `place(s)` (a buffer and a byte offset). */
function slotViews(plan: Plan, place: (slot: number) => [ArrayBufferLike, number]): (TypedArray | null)[] {
  return plan.values.map((v) => {
    if (v.kind !== "temp") return null;
    // a pack member placed in its pack's buffer: a window of that slot
    const [buffer, start] = place(v.place ? plan.values[v.place.of].slot : v.slot);
    const at = start + (v.place ? v.place.offset * ARRAY_OF[v.dtype].BYTES_PER_ELEMENT : 0);
    return new ARRAY_OF[v.dtype](buffer as ArrayBuffer, at, sizeOf(v.shape));
  });
}

/** Resolves after the event loop has had a turn (setImmediate in Node, a MessageChannel elsewhere). */
function nextMacrotask(): Promise<void> {
  const g = globalThis as { setImmediate?: (f: () => void) => void };
  if (g.setImmediate) return new Promise((r) => g.setImmediate!(r));
  return new Promise((r) => {
    const ch = new MessageChannel();
    ch.port1.onmessage = () => {
      ch.port1.close();
      r();
    };
    ch.port2.postMessage(null);
  });
}
