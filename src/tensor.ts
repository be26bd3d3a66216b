/**
 * @file The lazy Tensor. A tensor is one output of a graph Node plus its shape and dtype;
 * ops record nodes and return new tensors at once, computing nothing. Reading
 * (`await t.data()`, `await t.item()`) plans the pending subgraph and runs it on the current
 * backend; the result is kept, so a second read costs nothing. The op methods below are thin
 * PyTorch-style aliases of the functions in src/ops/.
 *
 * The Tensor sits below the ops and the executor (they build and run tensors), so it reaches
 * them through one seam: a `TensorRuntime` that src/runtime.ts installs when it loads (it is
 * imported by creation.ts and index.ts, so any program that has a tensor has it).
 */
import type { DType, TypedArray } from "./dtype.ts";
import type { Node } from "./graph/ir.ts";
import type { Backend } from "./backends/backend.ts";
import type { RunStatus } from "./graph/guard.ts";
import type * as ew from "./ops/elementwise.ts";
import type * as red from "./ops/reduce.ts";
import type * as sm from "./ops/sum.ts";
import type * as mv from "./ops/movement.ts";
import type { matmul, MatmulOptions } from "./ops/matmul.ts";
import { isTracing } from "./graph/trace.ts";
import { GraphError, ShapeError, fmtShape } from "./errors.ts";
import { sizeOf } from "./shape.ts";

/** Where a realized tensor's data lives: a backend's handle (and the host copy, if any). */
export interface Storage {
  backend: Backend;
  handle: unknown;
  /** The host array a constant was made from, so it can move to another backend. */
  host?: TypedArray;
  /**
   * Set by `compile` on the data it writes into an assigned tensor: no other tensor shares
   * this handle, so the next assign may free it at once instead of waiting for the GC.
   */
  exclusive?: boolean;
  /**
   * The handle belongs to another tensor (a compiled function returned its input or a weight
   * it assigned, or an eager `assign` took the data): `dispose` must not free it.
   */
  borrowed?: boolean;
  /** The status of the run that computed it, read with the data (graph/guard.ts). */
  status?: RunStatus;
}

type Operand = Tensor | number;

/** What the Tensor's reads, assigns and method aliases call: the executor and the ops. */
export interface TensorRuntime {
  realize(tensors: readonly Tensor[]): void;
  read(t: Tensor): Promise<TypedArray>;
  assignAll(pairs: readonly (readonly [Tensor, Tensor])[]): void;
  ops: {
    add: typeof ew.add; sub: typeof ew.sub; mul: typeof ew.mul; div: typeof ew.div; pow: typeof ew.pow;
    maximum: typeof ew.maximum; neg: typeof ew.neg; exp: typeof ew.exp; log: typeof ew.log; sqrt: typeof ew.sqrt;
    abs: typeof ew.abs; relu: typeof ew.relu; tanh: typeof ew.tanh; sigmoid: typeof ew.sigmoid; softplus: typeof ew.softplus; square: typeof ew.square;
    greater: typeof ew.greater; less: typeof ew.less; equal: typeof ew.equal; cast: typeof ew.cast; detach: typeof ew.detach;
    sum: typeof sm.sum; mean: typeof red.mean; max: typeof red.max; expand: typeof sm.expand;
    reshape: typeof mv.reshape; flatten: typeof mv.flatten; permute: typeof mv.permute; transpose: typeof mv.transpose;
    matmul: typeof matmul;
  };
}

let runtime: TensorRuntime | null = null;

/** Called once, by src/runtime.ts. */
export function setTensorRuntime(r: TensorRuntime): void {
  runtime = r;
}

function rt(): TensorRuntime {
  if (runtime) return runtime;
  throw new GraphError("Tensor: the executor and ops are not loaded; import from webgpu-dl (src/index.ts), or import src/runtime.ts first");
}

function op(): TensorRuntime["ops"] {
  return rt().ops;
}

export class Tensor {
  /** Set once the value has been computed (or for constants, at creation). */
  storage: Storage | null = null;
  /**
   * For a parameter: false once frozen (`Module.freeze`). An optimizer leaves frozen parameters
   * out, so a compiled step computes no gradient for them (nor for anything only they need).
   */
  requiresGrad = true;
  /**
   * For a parameter read only through `gather` (an embedding table: `Embedding` with `sparse:
   * true`): the optimizer updates only the rows each step uses, in place (ops/sparse_updates.ts),
   * instead of the whole table. Set before the optimizer is made.
   */
  sparseGrad = false;

  constructor(
    readonly node: Node,
    /** Which output of `node` this is. */
    readonly index: number,
    readonly shape: readonly number[],
    readonly dtype: DType,
  ) {}

  get size(): number {
    return sizeOf(this.shape);
  }
  get rank(): number {
    return this.shape.length;
  }

  /** `float32[64,1,28,28]`: how errors and debug output name a tensor. */
  describe(): string {
    return `${this.dtype}${fmtShape(this.shape)}`;
  }
  toString(): string {
    return `Tensor(${this.describe()}${this.storage ? "" : ", lazy"})`;
  }

  /** Computes this tensor now (one plan, one backend run) and keeps the result. */
  realize(): this {
    rt().realize([this]);
    return this;
  }

  /** The values, row-major, as a fresh typed array (Float32Array for float32). */
  data(): Promise<TypedArray> {
    this.checkReadable("data");
    return this.read();
  }

  /** The single value of a one-element tensor. */
  item(): Promise<number> {
    this.checkReadable("item");
    if (this.size !== 1) return Promise.reject(new ShapeError(`item: tensor ${this.describe()} has ${this.size} elements, expected 1; use data() for more`));
    return this.read().then((v) => v[0]);
  }

  /** The values as nested JS arrays, shaped like the tensor. */
  async array(): Promise<unknown> {
    this.checkReadable("array");
    const flat = Array.from(await this.read());
    const build = (dim: number, off: number): unknown => {
      if (dim === this.rank) return flat[off];
      const step = sizeOf(this.shape.slice(dim + 1));
      return Array.from({ length: this.shape[dim] }, (_, i) => build(dim + 1, off + i * step));
    };
    return build(0, 0);
  }

  /**
   * Replaces this tensor's data with `value`'s (same shape and dtype): how optimizers update
   * weights. Only for tensors that hold data (weights, state), not for computed ones. Inside
   * `compile`, the update happens after each call of the compiled function. Eagerly, lazy
   * tensors built from the old value and read later see the new one: to update several
   * tensors from each other's old values, use `assignAll`.
   */
  assign(value: Tensor): this {
    rt().assignAll([[this, value]]);
    return this;
  }

  /**
   * Frees this tensor's device memory now rather than when the GC collects the tensor: a
   * training loop's input batches and results, so the WebGPU buffer pool need not grow while
   * the GC runs late. Call it once nothing still to be computed reads this tensor (after the
   * step that used it has been read); reading or computing from it afterwards is an error.
   * Not for a tensor whose data another took by `assign` (they share it). A lazy tensor has
   * nothing to free.
   */
  dispose(): void {
    const s = this.storage;
    if (!s) return;
    this.storage = null;
    this.disposed = true;
    if (!s.borrowed) s.backend.release?.(s.handle);
    s.status?.drop();
  }

  /** Set by `dispose`. */
  disposed = false;

  private async read(): Promise<TypedArray> {
    const r = rt();
    r.realize([this]);
    return r.read(this);
  }

  /** Reading inside a traced function would bake one call's values into the plan: refuse. */
  private checkReadable(method: string): void {
    if (this.disposed) throw new GraphError(`${method}: ${this.describe()} was disposed; read it before calling dispose()`);
    if (isTracing()) {
      throw new GraphError(
        `${method}: cannot read ${this.describe()} while compile() is tracing a function; ` +
          `return the tensor from the compiled function and read it outside`,
      );
    }
  }

  // ---- PyTorch-style method aliases ------------------------------------------------------
  add(o: Operand): Tensor { return op().add(this, o); }
  sub(o: Operand): Tensor { return op().sub(this, o); }
  mul(o: Operand): Tensor { return op().mul(this, o); }
  div(o: Operand): Tensor { return op().div(this, o); }
  pow(o: Operand): Tensor { return op().pow(this, o); }
  maximum(o: Operand): Tensor { return op().maximum(this, o); }
  neg(): Tensor { return op().neg(this); }
  exp(): Tensor { return op().exp(this); }
  log(): Tensor { return op().log(this); }
  sqrt(): Tensor { return op().sqrt(this); }
  abs(): Tensor { return op().abs(this); }
  relu(): Tensor { return op().relu(this); }
  tanh(): Tensor { return op().tanh(this); }
  sigmoid(): Tensor { return op().sigmoid(this); }
  softplus(): Tensor { return op().softplus(this); }
  square(): Tensor { return op().square(this); }
  gt(o: Operand): Tensor { return op().greater(this, o); }
  lt(o: Operand): Tensor { return op().less(this, o); }
  eq(o: Operand): Tensor { return op().equal(this, o); }
  cast(dtype: DType): Tensor { return op().cast(this, dtype); }
  /** Same values, cut from the graph: no gradient flows through it. */
  detach(): Tensor { return op().detach(this); }
  sum(axes?: number | number[], keepdims = false): Tensor { return op().sum(this, axes, keepdims); }
  mean(axes?: number | number[], keepdims = false): Tensor { return op().mean(this, axes, keepdims); }
  max(axes?: number | number[], keepdims = false): Tensor { return op().max(this, axes, keepdims); }
  reshape(shape: readonly number[]): Tensor { return op().reshape(this, shape); }
  flatten(startDim = 0, endDim = -1): Tensor { return op().flatten(this, startDim, endDim); }
  permute(perm: readonly number[]): Tensor { return op().permute(this, perm); }
  transpose(a = -2, b = -1): Tensor { return op().transpose(this, a, b); }
  expand(shape: readonly number[]): Tensor { return op().expand(this, shape); }
  matmul(o: Tensor, opts?: MatmulOptions): Tensor { return op().matmul(this, o, opts); }
}
