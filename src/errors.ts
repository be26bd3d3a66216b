/**
 * @file Typed errors. Every error names the op or file, what it got, what it expected and,
 * where it helps, what to do. Users branch on the class (`instanceof ShapeError`) or on
 * `error.name`, never on message text.
 */

/** Base class so callers can catch everything this library throws on purpose. */
export class WebGpuDlError extends Error {
  // each class writes its name out rather than taking it from the class, which a minifying
  // bundler renames (the built package's ShapeError was "r"); a user's own subclass of
  // WebGpuDlError gets its class name
  constructor(message: string) {
    super(message);
    this.name = new.target === WebGpuDlError ? "WebGpuDlError" : new.target.name;
  }
}

/** Shapes that do not fit an op: `conv2d: input has 3 channels, weight expects 1 (…)`. */
export class ShapeError extends WebGpuDlError {
  override name = "ShapeError";
}

/** A dtype an op cannot take (e.g. `exp` of int32 labels). */
export class DTypeError extends WebGpuDlError {
  override name = "DTypeError";
}

/** An index outside its range found while running (gather, cross-entropy labels). */
export class IndexError extends WebGpuDlError {
  override name = "IndexError";
}

/**
 * A loss, gradient or value that is NaN or ±Infinity, found on the device by the step's guard;
 * the optimizer skipped that step's update, so every weight is as it was before it.
 */
export class NonFiniteError extends WebGpuDlError {
  override name = "NonFiniteError";
}

/** The device or backend cannot do what was asked (missing adapter, a limit exceeded). */
export class DeviceError extends WebGpuDlError {
  override name = "DeviceError";
}

/** The GPU device was lost; create the backend again to continue. */
export class DeviceLostError extends DeviceError {
  override name = "DeviceLostError";
}

/** A file (IDX, safetensors) that is corrupt, truncated or does not match the model. */
export class FormatError extends WebGpuDlError {
  override name = "FormatError";
}

/** A graph that cannot be built or run as asked (no gradient rule, reading a traced tensor). */
export class GraphError extends WebGpuDlError {
  override name = "GraphError";
}

/** Formats a shape the way errors print it: `[64,3,28,28]`. */
export function fmtShape(shape: readonly number[]): string {
  return `[${shape.join(",")}]`;
}
