/**
 * @file The one spec builder of the op tests: an `InputSpec` says what an op's input is (a
 * shape, and given values or a seeded range), and `makeInputs` makes the tensors. The
 * hand-worked op tables (test/ops/), the gradient checks (test/gradcheck.test.ts) and the
 * WebGPU-vs-CPU checks (test/webgpu/) all build their inputs here, so one seed means the same
 * values everywhere.
 */
import { fromArray, type DType, type Tensor, type TypedArray } from "../../src/index.ts";

export interface InputSpec {
  shape: number[];
  /** Given values, row-major; default uniform in `range` from the seed. */
  values?: number[];
  /** Default: the builder's float dtype (float64 for gradient checks, float32 elsewhere). */
  dtype?: DType;
  /** Integer input (labels, indices, seeds): int32, given values, never perturbed. */
  int?: boolean;
  /** Draw uniform values in [low, high) instead of [-1, 1) (e.g. positive for log). */
  range?: [number, number];
}

/** Shorthands: random of a shape, random positive, integer values, given values. */
export const rnd = (...shape: number[]): InputSpec => ({ shape });
export const pos = (...shape: number[]): InputSpec => ({ shape, range: [0.5, 2] });
export const ints = (shape: number[], values: number[]): InputSpec => ({ shape, values, int: true });
export const given = (values: number[], shape: number[] = [values.length], dtype?: DType): InputSpec => ({ shape, values, ...(dtype ? { dtype } : {}) });

/** A tiny seeded generator for test data (mulberry32). */
export function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function dtypeOf(spec: InputSpec, float: DType): DType {
  return spec.int ? "int32" : spec.dtype ?? float;
}

/** The host arrays of the specs; random values are drawn in order from one stream per seed. */
export function hostInputs(specs: readonly InputSpec[], seed: number, float: DType = "float32"): { data: TypedArray; shape: number[]; dtype: DType }[] {
  const rng = seeded(seed);
  return specs.map((s) => {
    const n = s.shape.reduce((a, b) => a * b, 1);
    const dtype = dtypeOf(s, float);
    const [lo, hi] = s.range ?? [-1, 1];
    const vals = s.values ?? Array.from({ length: n }, () => lo + (hi - lo) * rng());
    const Arr = { float32: Float32Array, float64: Float64Array, int32: Int32Array, bool: Uint8Array }[dtype];
    return { data: Arr.from(vals), shape: s.shape, dtype };
  });
}

/** Tensors on the current backend (fresh copies of the host arrays, which stay the caller's). */
export function toTensors(host: ReturnType<typeof hostInputs>): Tensor[] {
  return host.map((h) => fromArray(h.data.slice(), h.shape, h.dtype));
}

export function makeInputs(specs: readonly InputSpec[], seed = 1, float: DType = "float32"): Tensor[] {
  return toTensors(hostInputs(specs, seed, float));
}
