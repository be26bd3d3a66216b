/**
 * @file The Backend interface and the current-backend switch. A backend stores tensors
 * behind opaque handles and executes Plans; it never sees Tensors, nn or optim.
 */
import type { DType, TypedArray } from "../dtype.ts";
import type { Plan } from "../graph/plan.ts";
import type { RunStatus } from "../graph/guard.ts";
import { DeviceError } from "../errors.ts";
import { CpuBackend } from "./cpu.ts";
import type { CpuMode } from "../ops/types.ts";
import { WebGpuBackend } from "./webgpu/webgpu.ts";

export interface Backend {
  readonly name: string;
  /** Takes a host array (the backend may keep it as is; callers never mutate it after). */
  upload(data: TypedArray, dtype: DType): unknown;
  /**
   * A fresh host copy of a handle's contents (nothing to read when `size` is 0). With a
   * `status` whose words are still unread, it fetches them in the same transfer, sets
   * `status.words` and frees the status storage.
   */
  read(handle: unknown, dtype: DType, size: number, status?: RunStatus): Promise<TypedArray>;
  /**
   * Runs every step of `plan`; returns one handle per plan output. `status` (from
   * `newStatus`, for plans that can fault) is zeroed, then written by the kernels that fault.
   * `reuse[k]`, where given, is a handle the caller gives up for output k to be written into
   * (an assigned weight's buffer from the step before last, so weights ping-pong between two
   * buffers and bind groups stay cached); a backend may ignore it.
   */
  run(plan: Plan, inputs: unknown[], status?: unknown, reuse?: readonly unknown[]): unknown[];
  /**
   * A handle to elements offset … offset + size of `handle`'s data, sharing its memory (a
   * parameter inside the optimizer's packed buffer: optim/flat_params.ts). `offset` is a
   * multiple of PACK_ALIGN (ops/pack.ts). The window never frees the memory it looks at.
   */
  window(handle: unknown, offset: number, size: number, dtype: DType): unknown;
  /** Storage for one run's status words (ops/fault.ts). */
  newStatus?(): unknown;
  /** Gives back status storage whose words nobody will read (RunStatus.drop). */
  releaseStatus?(handle: unknown): void;
  /** Frees a handle nothing else refers to (optional: backends with their own memory pools). */
  release?(handle: unknown): void;
  /**
   * Resolves once every run submitted so far has finished, without reading anything back: how
   * a loop keeps a bounded number of steps in flight. A backend that runs synchronously (the
   * CPU) need not have it.
   */
  settled?(): Promise<void>;
}

export type BackendName = "cpu" | "webgpu" | "auto";

const cpu = new CpuBackend();
let current: Backend = cpu;
let webgpu: WebGpuBackend | null = null;

/** The backend new computations run on. */
export function getBackend(): Backend {
  return current;
}

let autoReason = "";

/** Why the last `setBackend("auto")` chose what it chose (for CLIs to print). */
export function autoBackendReason(): string {
  return autoReason;
}

/**
 * Chooses where computations run. "cpu" is the reference backend; "webgpu" needs an adapter
 * (DeviceError otherwise); "auto" takes WebGPU on a hardware adapter and the CPU when there
 * is none or only a software one (SwiftShader is slower than the CPU backend). Tensors
 * already computed keep their data where it is and move when used. `mode` sets the CPU
 * backend's kernels: "reference" (the default: float64 sums, what every kernel is checked
 * against) or "fast" (float32 SIMD kernels where they exist, within the WebGPU tolerances),
 * and `threads` how many threads the fast kernels may use (default: the cores available;
 * `cpuThreads()` says how many they got, and why only one where that is so).
 */
export async function setBackend(name: BackendName, opts: { mode?: CpuMode; threads?: number } = {}): Promise<Backend> {
  if (opts.mode !== undefined) {
    if (opts.mode !== "reference" && opts.mode !== "fast") throw new DeviceError(`setBackend: CPU mode "${String(opts.mode)}" is not "reference" or "fast"`);
    // the CPU backend's kernels: "auto" may pick it too
    cpu.caps.mode = opts.mode;
  }
  if (opts.threads !== undefined) {
    if (!Number.isInteger(opts.threads) || opts.threads < 1) throw new DeviceError(`setBackend: threads ${String(opts.threads)} should be a whole number ≥ 1 (1: no workers)`);
    cpu.caps.threads = opts.threads;
  }
  if (name === "cpu") return (current = cpu);
  if (name === "webgpu") {
    if (!webgpu || webgpu.isLost) webgpu = await WebGpuBackend.create();
    return (current = webgpu);
  }
  if (name === "auto") {
    try {
      if (!webgpu || webgpu.isLost) webgpu = await WebGpuBackend.create();
    } catch (e) {
      autoReason = `no WebGPU adapter (${(e as Error).message.split(";")[0]})`;
      return (current = cpu);
    }
    const i = webgpu.info;
    if (i.software) {
      autoReason = `the only WebGPU adapter is software (${i.vendor} ${i.architecture}); the CPU backend is faster`;
      return (current = cpu);
    }
    autoReason = `hardware WebGPU adapter ${i.vendor} ${i.architecture} ${i.description}`.trim();
    return (current = webgpu);
  }
  throw new DeviceError(`setBackend: unknown backend "${String(name)}", expected "cpu", "webgpu" or "auto"`);
}
