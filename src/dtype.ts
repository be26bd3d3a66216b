/**
 * @file Element types. float32 is the default everywhere; float64 exists so the CPU reference
 * can run finite-difference gradient checks exactly enough; int32 carries labels and indices;
 * bool is what comparisons return and `where` takes.
 */
import { DeviceError, DTypeError } from "./errors.ts";

export type DType = "float32" | "float64" | "int32" | "bool";

export type TypedArray = Float32Array | Float64Array | Int32Array | Uint8Array;

/** Host storage class for each dtype (bool is one byte per element on the host). */
interface ArrayClass {
  new (n: number): TypedArray;
  new (buffer: ArrayBuffer, byteOffset: number, length: number): TypedArray;
  BYTES_PER_ELEMENT: number;
}

export const ARRAY_OF: Record<DType, ArrayClass> = {
  float32: Float32Array,
  float64: Float64Array,
  int32: Int32Array,
  bool: Uint8Array,
};

export function isFloat(dtype: DType): boolean {
  return dtype === "float32" || dtype === "float64";
}

/** Throws a DTypeError unless `dtype` is one of ours (it may come from untyped JS). */
export function checkDType(op: string, dtype: unknown): asserts dtype is DType {
  if (typeof dtype !== "string" || !Object.hasOwn(ARRAY_OF, dtype)) {
    throw new DTypeError(`${op}: unknown dtype ${JSON.stringify(dtype)}; expected float32, float64, int32 or bool`);
  }
}

/**
 * A zeroed host array of `size` elements. A size the engine cannot allocate is a DeviceError
 * naming `op` and the size, not a RangeError from deep inside.
 */
export function allocArray(dtype: DType, size: number, op = "allocate"): TypedArray {
  checkDType(op, dtype);
  try {
    return new ARRAY_OF[dtype](size);
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    const gb = (size * ARRAY_OF[dtype].BYTES_PER_ELEMENT) / 1e9;
    throw new DeviceError(`${op}: ${size} ${dtype} values (${gb.toPrecision(3)} GB) cannot be allocated in this JavaScript engine; use smaller shapes`);
  }
}

/** The dtype a typed array holds, for `tensor(new Int32Array(…))`. */
export function dtypeOfArray(a: TypedArray): DType {
  if (a instanceof Float32Array) return "float32";
  if (a instanceof Float64Array) return "float64";
  if (a instanceof Int32Array) return "int32";
  return "bool";
}

/** Throws unless `dtype` is a float type; `op` and `what` name the culprit in the message. */
export function requireFloat(op: string, what: string, dtype: DType): void {
  if (!isFloat(dtype)) {
    throw new DTypeError(`${op}: ${what} has dtype ${dtype}, expected float32 or float64 (use .cast("float32"))`);
  }
}
