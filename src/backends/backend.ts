/**
 * @file The Backend interface and the current-backend switch. A backend stores tensors
 * behind opaque handles and executes Plans; it never sees Tensors, nn or optim.
 */
import type { DType, TypedArray } from "../dtype.ts";
import type { Plan } from "../graph/plan.ts";
import { DeviceError } from "../errors.ts";
import { CpuBackend } from "./cpu.ts";

export interface Backend {
  readonly name: string;
  /** Takes a host array (the backend may keep it as is; callers never mutate it after). */
  upload(data: TypedArray, dtype: DType): unknown;
  /** A fresh host copy of a handle's contents. */
  read(handle: unknown, dtype: DType, size: number): Promise<TypedArray>;
  /** Runs every step of `plan`; returns one handle per plan output. */
  run(plan: Plan, inputs: unknown[]): unknown[];
}

export type BackendName = "cpu" | "webgpu" | "auto";

let current: Backend = new CpuBackend();

/** The backend new computations run on. */
export function getBackend(): Backend {
  return current;
}

/**
 * Chooses where computations run. "cpu" is the reference backend; "auto" picks the best one
 * available. Tensors already computed keep their data where it is.
 */
export async function setBackend(name: BackendName): Promise<Backend> {
  if (name === "cpu" || name === "auto") {
    if (current.name !== "cpu") current = new CpuBackend();
    return current;
  }
  if (name === "webgpu") {
    throw new DeviceError(`setBackend: the WebGPU backend is not part of this build yet; use setBackend("cpu")`);
  }
  throw new DeviceError(`setBackend: unknown backend "${String(name)}", expected "cpu", "webgpu" or "auto"`);
}
