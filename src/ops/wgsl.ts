/**
 * @file The WGSL element type of each dtype, for the shaders' type tokens (the kernels
 * themselves are in shaders/, loaded by ops/shaders.ts).
 */
import type { DType } from "../dtype.ts";
import { DTypeError } from "../errors.ts";

/** WGSL storage type of a dtype: bool is one u32 per element on the GPU. */
export function wgslType(dtype: DType, op: string): string {
  switch (dtype) {
    case "float32": return "f32";
    case "int32": return "i32";
    case "bool": return "u32";
    default: throw new DTypeError(`${op}: ${dtype} tensors are CPU-only; the WebGPU backend computes in float32 (cast first)`);
  }
}
