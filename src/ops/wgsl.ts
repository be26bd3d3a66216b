/**
 * @file Helpers for writing kernel descriptions: WGSL element types per dtype, the standard
 * 1-D kernel frame (workgroup size 64, folded 2-D grid, bounds check), binding declarations,
 * and constant arrays for baked shapes and strides.
 */
import type { DType } from "../dtype.ts";
import { DTypeError } from "../errors.ts";
import type { BufferRef, KernelCall } from "./types.ts";

/** WGSL storage type of a dtype: bool is one u32 per element on the GPU. */
export function wgslType(dtype: DType, op: string): string {
  switch (dtype) {
    case "float32": return "f32";
    case "int32": return "i32";
    case "bool": return "u32";
    default: throw new DTypeError(`${op}: ${dtype} tensors are CPU-only; the WebGPU backend computes in float32 (cast first)`);
  }
}

/** `@group(0) @binding(i) var<storage, …> name: array<T>;` for each binding. */
export function declare(bindings: { name: string; type: string; write?: boolean }[]): string {
  return bindings
    .map((b, i) => `@group(0) @binding(${i}) var<storage, ${b.write ? "read_write" : "read"}> ${b.name}: array<${b.type}>;`)
    .join("\n");
}

/** A `const NAME = array<u32, n>(…)` line (WGSL needs at least one element). */
export function constArray(name: string, values: readonly number[]): string {
  const v = values.length > 0 ? values : [0];
  return `const ${name} = array<u32, ${v.length}>(${v.map((x) => `${x >>> 0}u`).join(", ")});`;
}

/**
 * A 1-D kernel: `body` runs once per index `i` in [0, n), with `i` recovered from the folded
 * 2-D grid the backend dispatches (x · 64 threads per row of workgroups).
 */
export function kernel1d(name: string, n: number, decls: string, body: string, bindings: BufferRef[], helpers = ""): KernelCall {
  const code = `${decls}
${helpers}
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 64u;
  if (i >= ${n >>> 0}u) { return; }
${body}
}`;
  return { name, code, bindings, threads: n };
}
