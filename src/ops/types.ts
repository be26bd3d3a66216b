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
  | "neg" | "exp" | "log" | "sqrt" | "abs" | "sign" | "relu" | "tanh" | "sigmoid" | "softplus"
  | "add" | "sub" | "mul" | "div" | "pow" | "maximum" | "reluBackward"
  | "greater" | "greaterEqual" | "less" | "lessEqual" | "equal" | "notEqual"
  | "where" | "cast" | "detach"
  // reductions and movement
  | "sum" | "sumMany" | "max" | "reshape" | "permute" | "expand" | "slice" | "pad" | "concat" | "split"
  // linear algebra, convolution, pooling
  | "matmul" | "im2col" | "col2im"
  | "maxPool2d" | "maxPool2dBackward" | "avgPool2d" | "avgPool2dBackward" | "col2imMaxPool2dBackward"
  // lookup, losses, regularisation, recurrent cells
  | "gather" | "gatherBytes" | "scatterAdd" | "softmaxCrossEntropy" | "softmaxCrossEntropyBackward" | "softmaxCrossEntropyWithGrad" | "dropout"
  | "lstmCell" | "lstmCellBackward" | "gruCell" | "gruCellBackward"
  // a recurrent layer direction over every time step (one fused kernel per step)
  | "lstmSequence" | "lstmSequenceBackward" | "gruSequence" | "gruSequenceBackward"
  // fused optimizer updates, and the planner's matmul + bias + activation
  | "adamHyper" | "adamUpdate" | "sgdUpdate" | "sparseSgdUpdate" | "sparseAdamUpdate" | "matmulBiasAct" | "matmulRowSum" | "matmulMaxPool2dBackward" | "im2colMatmul"
  // the step's guard: are the loss and gradients finite, and did no kernel fault?
  | "allFinite" | "allFiniteHyper"
  // a training step's running sums (loss, correct, examples, steps, skipped) on the device
  | "trainMeter"
  // several tensors as one flat buffer (the optimizer's parameters and gradients)
  | "pack";

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
  /** The run's status words (ops/fault.ts): where a kernel that can fault records it. */
  status: Uint32Array;
  /** This step's index in the plan, the `site` a fault names. */
  site: number;
  /** What the CPU backend allows (its options, as data: no module state). */
  cpu: CpuCaps;
}

export interface CpuCaps {
  /** The matmul's WebAssembly SIMD loop (same sums as the JavaScript loop; tests compare both). */
  wasmMatmul: boolean;
  /**
   * "reference" (the default: float64 sums, the spec every kernel is checked against) or
   * "fast": float32 SIMD kernels where they exist (the matmul so far, matmul_wasm.ts), within
   * the tolerances the WebGPU kernels meet; `setBackend("cpu", { mode })`.
   */
  mode: CpuMode;
  /** Threads the fast kernels may use, the calling one included (cpu_threads.ts; 0: the cores available); the reference mode uses one. */
  threads: number;
}

export type CpuMode = "reference" | "fast";

/** What a gradient rule gets: the forward inputs and outputs and one cotangent per output. */
export interface GradArgs<A> {
  inputs: Tensor[];
  outputs: Tensor[];
  /** Cotangent of each output; zeros where an output did not reach the loss. */
  dys: Tensor[];
  attrs: A;
}

/** A buffer a kernel binds: one of the step's inputs or outputs, or one of its scratch buffers. */
export type BufferRef = { in: number } | { out: number } | { scratch: number } | { status: true } | { params: true };

/**
 * One compute dispatch, described as data: the op says what to run, the backend owns
 * pipelines, buffers and dispatch limits. Shapes and attributes are baked into the WGSL as
 * constants (a plan's shapes never change), so no uniforms are needed.
 */
export interface KernelCall {
  /** For errors and timings, e.g. "matmul/split-k sum". */
  name: string;
  /** Complete WGSL with one `@compute` entry point named `main`. */
  code: string;
  /** Bound in order as @group(0) @binding(0…). */
  bindings: BufferRef[];
  /**
   * Threads for a 1-D kernel (workgroup size 64; the backend folds it into a 2-D grid past
   * the per-dimension limit, and the kernel recovers its index with `thread_index`), or an
   * explicit grid of workgroups.
   */
  threads?: number;
  workgroups?: [number, number, number];
  /**
   * Values of the shader's `override` constants. A call that binds the run's status gets
   * `SITE` (its step's index) set by the backend.
   */
  constants?: Record<string, number>;
  /**
   * u32 values the backend writes once, when it prepares the plan, into a small uniform buffer
   * of this call's own, bound where the bindings say `{ params: true }`. What differs between
   * the dispatches of one op that share a pipeline (a recurrent op's time step, say): override
   * constants would compile a pipeline per value.
   */
  params?: number[];
  /**
   * Bytes this dispatch moves, where the bindings overstate it (a time step binds a whole
   * sequence and touches one step of it): what the cost model counts instead of the bindings.
   */
  traffic?: { read: number; written: number };
}

/**
 * What the device is and can do, as the WebGPU backend found it: kernels choose their form
 * from this (never from module state), so code made for software adapters stays off on
 * hardware ones.
 */
export interface DeviceCaps {
  /** A software adapter (SwiftShader: WGSL runs on the CPU). */
  software: boolean;
  /**
   * The matmul kernel family: "tiled" (workgroup-memory tiles; GPUs) or "direct" (no
   * barriers; what a software adapter gets).
   */
  matmul: "tiled" | "direct";
  /**
   * The device's compute limits that size the tiled matmul's tiles (absent: WebGPU's core
   * minimums, 256 invocations a workgroup and 16 KiB of workgroup memory).
   */
  limits?: { invocations: number; workgroupStorage: number };
}

/** What a kernel binding gets: the step's shapes, dtypes and attrs, and the device's caps. */
export interface GpuArgs<A> {
  inShapes: Shape[];
  outShapes: Shape[];
  inDtypes: DType[];
  outDtypes: DType[];
  attrs: A;
  device: DeviceCaps;
}

/** Scratch buffers (bytes each) and the dispatches, in order, for one step. */
export interface KernelPlan {
  scratch?: number[];
  calls: KernelCall[];
}

export type WebGpuKernel<A = any> = (args: GpuArgs<A>) => KernelPlan;

/** What a fault's status words say, for the op to put into words. */
export interface FaultArgs<A> {
  inShapes: Shape[];
  attrs: A;
  /** The bad index (as i32) or the non-finite value. */
  value: number;
  position: number;
  detail: number;
}

/**
 * An op whose kernel can fault (ops/fault.ts): an index out of range (IndexError) or a
 * non-finite value found by the step's guard (NonFiniteError), and how to say what was wrong.
 */
export interface FaultRule<A> {
  kind: "index" | "nonfinite";
  describe(args: FaultArgs<A>): string;
}

export interface OpDef<A = any> {
  name: OpName;
  /** Validates inputs and attrs, returns each output's shape and dtype. */
  infer(inputs: ValueInfo[], attrs: A): ValueInfo[];
  /** Reference implementation: writes every element of every output. */
  cpu(args: CpuArgs<A>): void;
  /**
   * The CPU backend's fast-mode kernel beside the reference (cpu_fast.ts: float32 in
   * WebAssembly, within the WebGPU tolerances): true when it ran, false where it does not
   * apply (float64 tensors, no SIMD), and the reference runs. FEATURES.md's "CPU fast" column.
   */
  cpuFast?(args: CpuArgs<A>): boolean;
  /**
   * Gradient rule, written with ops: one cotangent per input (null where the input takes
   * none, e.g. integer labels). Absent means the op cannot be differentiated (GraphError).
   */
  grad?: (args: GradArgs<A>) => (Tensor | null)[];
  /** WebGPU kernel binding: the dispatches that compute this op; null where none exists yet. */
  webgpu: WebGpuKernel<A> | null;
  /** Present on ops whose kernels report faults through the run's status. */
  fault?: FaultRule<A>;
  /**
   * [output, input] pairs: the output may be stored in that input's buffer (an update in
   * place: ops/sparse_updates.ts). The kernel reads and writes the output only; the backend
   * copies the input into it first unless they are one buffer (graph/plan.ts `inPlaceOf`).
   */
  inPlace?: readonly (readonly [output: number, input: number])[];
}
