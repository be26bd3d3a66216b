/**
 * @file What an op is. Every primitive exports one `OpDef`: a shape rule that validates and
 * throws ShapeError/DTypeError up front, a CPU reference (the spec), a gradient rule written
 * with ops, and a WebGPU kernel binding (filled by the WebGPU backend issue). `OpName` lists
 * every primitive so `Record<OpName, OpDef>` in ops/index.ts fails `tsc` when one is missing.
 */
import type { DType, TypedArray } from "../dtype.ts";
import type { Shape } from "../shape.ts";
import type { Tensor } from "../tensor.ts";

export type OpName =
  // elementwise (one table): unary, binary, comparisons, select, cast
  | "neg" | "exp" | "log" | "sqrt" | "abs" | "sign" | "relu" | "tanh" | "sigmoid"
  | "add" | "sub" | "mul" | "div" | "pow" | "maximum"
  | "greater" | "greaterEqual" | "less" | "lessEqual" | "equal" | "notEqual"
  | "where" | "cast" | "detach"
  // reductions and movement
  | "sum" | "max" | "reshape" | "permute" | "expand" | "slice" | "pad" | "concat"
  // linear algebra, convolution, pooling
  | "matmul" | "conv2d" | "conv2dBackwardInput" | "conv2dBackwardFilter"
  | "maxPool2d" | "maxPool2dBackward" | "avgPool2d" | "avgPool2dBackward"
  // lookup, losses, regularisation, recurrent cells
  | "gather" | "scatterAdd" | "softmaxCrossEntropy" | "softmaxCrossEntropyBackward" | "dropout"
  | "lstmCell" | "lstmCellBackward" | "gruCell" | "gruCellBackward";

/** Shape and dtype of one value: what a shape rule reads and returns. */
export interface ValueInfo {
  shape: number[];
  dtype: DType;
}

/** What a CPU reference kernel gets. Outputs are preallocated and may hold stale data. */
export interface CpuArgs<A> {
  inputs: TypedArray[];
  outputs: TypedArray[];
  inShapes: Shape[];
  outShapes: Shape[];
  attrs: A;
}

/** What a gradient rule gets: the forward inputs and outputs and one cotangent per output. */
export interface GradArgs<A> {
  inputs: Tensor[];
  outputs: Tensor[];
  /** Cotangent of each output; zeros where an output did not reach the loss. */
  dys: Tensor[];
  attrs: A;
}

/** Placeholder for the WebGPU binding: the WebGPU backend issue defines its shape. */
export interface WebGpuKernel {
  readonly shader: string;
}

export interface OpDef<A = any> {
  name: OpName;
  /** Validates inputs and attrs, returns each output's shape and dtype. */
  infer(inputs: ValueInfo[], attrs: A): ValueInfo[];
  /** Reference implementation: writes every element of every output. */
  cpu(args: CpuArgs<A>): void;
  /**
   * Gradient rule, written with ops: one cotangent per input (null where the input takes
   * none, e.g. integer labels). Absent means the op cannot be differentiated (GraphError).
   */
  grad?: (args: GradArgs<A>) => (Tensor | null)[];
  /** WebGPU kernel binding; null until the WebGPU backend provides it. */
  webgpu: WebGpuKernel | null;
}
