/**
 * @file Making tensors from host data: `tensor`, `zeros`, `ones`, `full`, `arange`, `rand`,
 * `randn`. Each makes a constant leaf whose data is uploaded to the current backend.
 */
import { allocArray, checkDType, dtypeOfArray, isFloat, type DType, type TypedArray } from "./dtype.ts";
import { DTypeError, ShapeError, fmtShape } from "./errors.ts";
import { checkDims, sizeOf } from "./shape.ts";
import { constant, filled } from "./graph/ir.ts";
import type { Tensor } from "./tensor.ts";
import { fillNormal, nextSeed, uniform } from "./random.ts";
// a tensor's reads and method aliases need the executor and the ops (src/runtime.ts)
import "./runtime.ts";

export type NestedArray = number | boolean | readonly NestedArray[];

/** Wraps a host array (taken over, not copied) as a constant leaf tensor. */
export function fromArray(data: TypedArray, shape: readonly number[], dtype: DType = dtypeOfArray(data)): Tensor {
  checkDims("tensor", "shape", shape);
  checkDType("tensor", dtype);
  if (data.length !== sizeOf(shape)) {
    throw new ShapeError(`tensor: ${data.length} values do not fill shape ${fmtShape(shape)} (${sizeOf(shape)} elements)`);
  }
  return constant(data, shape, dtype);
}

/**
 * A tensor from numbers: nested arrays (shape inferred), or a flat array / typed array
 * with an explicit shape. dtype defaults to the typed array's, else float32.
 * @example tensor([[1, 2], [3, 4]]) // float32 [2,2]
 */
export function tensor(data: NestedArray | TypedArray, shape?: readonly number[], dtype?: DType): Tensor {
  if (ArrayBuffer.isView(data)) {
    const dt = dtype ?? dtypeOfArray(data);
    const copy = allocArray(dt, data.length, "tensor");
    copy.set(data as ArrayLike<number>);
    return fromArray(copy, shape ?? [data.length], dt);
  }
  const flat: number[] = [];
  const inferred = inferShape(data);
  flatten(data, inferred, 0, flat);
  const dt = dtype ?? "float32";
  const arr = allocArray(dt, flat.length, "tensor");
  arr.set(flat);
  return fromArray(arr, shape ?? inferred, dt);
}

/** A 0-d tensor. */
export function scalar(value: number, dtype: DType = "float32"): Tensor {
  return full([], value, dtype);
}

export function full(shape: readonly number[], value: number, dtype: DType = "float32"): Tensor {
  checkDims("full", "shape", shape);
  checkDType("full", dtype);
  return filled(value, shape, dtype);
}

export function zeros(shape: readonly number[], dtype: DType = "float32"): Tensor {
  return full(shape, 0, dtype);
}

export function ones(shape: readonly number[], dtype: DType = "float32"): Tensor {
  return full(shape, 1, dtype);
}

/** [start, start+step, …) below `end`; `arange(n)` is 0…n-1. */
export function arange(start: number, end?: number, step = 1, dtype: DType = "float32"): Tensor {
  if (end === undefined) [start, end] = [0, start];
  if (![start, end, step].every(Number.isFinite) || step === 0) {
    throw new ShapeError(`arange: start ${start}, end ${end} and step ${step} must be finite numbers and the step non-zero`);
  }
  const n = Math.max(0, Math.ceil((end - start) / step));
  const a = allocArray(dtype, n, "arange");
  for (let i = 0; i < n; i++) a[i] = start + i * step;
  return fromArray(a, [n], dtype);
}

export interface RandomOptions {
  /** Seed of this draw; defaults to the next seed of the global stream (see manualSeed). */
  seed?: number;
  dtype?: DType;
}

/** Uniform in [low, high). */
export function rand(shape: readonly number[], opts: RandomOptions & { low?: number; high?: number } = {}): Tensor {
  const { low = 0, high = 1 } = opts;
  const dtype = floatDType("rand", opts.dtype);
  const seed = opts.seed ?? nextSeed();
  checkDims("rand", "shape", shape);
  const a = allocArray(dtype, sizeOf(shape), "rand");
  for (let i = 0; i < a.length; i++) a[i] = low + (high - low) * uniform(seed, i);
  return fromArray(a, shape, dtype);
}

/** Normal with the given mean and standard deviation (default 0, 1). */
export function randn(shape: readonly number[], opts: RandomOptions & { mean?: number; std?: number } = {}): Tensor {
  const dtype = floatDType("randn", opts.dtype);
  checkDims("randn", "shape", shape);
  const a = allocArray(dtype, sizeOf(shape), "randn") as Float32Array | Float64Array;
  fillNormal(a, opts.seed ?? nextSeed(), opts.mean ?? 0, opts.std ?? 1);
  return fromArray(a, shape, dtype);
}

function floatDType(op: string, dtype: DType = "float32"): DType {
  if (!isFloat(dtype)) throw new DTypeError(`${op}: dtype ${dtype} is not a float type; use float32 or float64`);
  return dtype;
}

function inferShape(data: NestedArray): number[] {
  const shape: number[] = [];
  let d: NestedArray = data;
  while (Array.isArray(d)) {
    shape.push(d.length);
    d = d[0];
  }
  return shape;
}

function flatten(data: NestedArray, shape: number[], dim: number, out: number[]): void {
  if (dim === shape.length) {
    if (Array.isArray(data)) throw new ShapeError(`tensor: nested arrays are ragged (expected ${fmtShape(shape)})`);
    out.push(Number(data));
    return;
  }
  if (!Array.isArray(data) || data.length !== shape[dim]) {
    throw new ShapeError(`tensor: nested arrays are ragged at depth ${dim} (expected ${fmtShape(shape)})`);
  }
  for (const x of data) flatten(x, shape, dim + 1, out);
}
