/**
 * @file An optimizer's parameters as one packed buffer (ops/pack.ts), so that one kernel
 * updates all of them: `flat` holds every parameter at its offset, and each parameter's own
 * storage is a window of `flat`'s (Backend.window), so the model reads its weights straight
 * from the buffer the update writes. After each update `flat` holds a new buffer (compile's
 * assigned weights alternate between two), and the parameters are pointed at it again.
 *
 * A parameter given new data some other way (`p.assign(v)`, `module.loadStateDict`, a move to
 * another backend) no longer looks into `flat`; `sync()`, which the optimizer calls before
 * every update (and a compiled step before every run), notices and packs the parameters
 * again, so an update always starts from the values the model has.
 */
import { GraphError } from "../errors.ts";
import { getBackend } from "../backends/backend.ts";
import { zeros } from "../creation.ts";
import { pack, packLayout } from "../ops/pack.ts";
import { assignAll, onStorageReplaced } from "../graph/executor.ts";
import { reshape, slice } from "../ops/movement.ts";
import type { Tensor } from "../tensor.ts";

export class FlatParams {
  readonly offsets: number[];
  readonly total: number;
  /** Every parameter at its offset, gaps zero: [total]. */
  readonly flat: Tensor;
  /** The window handle each parameter was last given (what `sync` compares with). */
  private windows: unknown[] = [];

  constructor(readonly params: readonly Tensor[], what: string) {
    const dtype = params[0].dtype;
    params.forEach((p, i) => {
      if (p.dtype !== dtype) throw new GraphError(`${what}: parameter ${i} is ${p.describe()}, parameter 0 ${params[0].describe()}; an optimizer's parameters share one dtype`);
      if (params.indexOf(p) !== i) throw new GraphError(`${what}: parameter ${i} (${p.describe()}) is also parameter ${params.indexOf(p)}; pass each parameter once`);
      if (p.node.op !== null) throw new GraphError(`${what}: parameter ${i} (${p.describe()}) is a computed tensor; parameters are tensors holding data (weights)`);
    });
    ({ offsets: this.offsets, total: this.total } = packLayout(params.map((p) => p.shape)));
    this.flat = zeros([this.total], dtype);
    onStorageReplaced(this.flat, () => this.repoint());
  }

  /** Packs the parameters again unless they still look into `flat` on the current backend. */
  sync(): void {
    const s = this.flat.storage;
    if (s && s.backend === getBackend() && this.params.every((p, i) => p.storage?.handle === this.windows[i])) return;
    assignAll([[this.flat, pack(this.params)]]);
  }

  /** Parameter i's window of a packed tensor of the same layout (an optimizer's state), shaped like it. */
  part(packed: Tensor, i: number): Tensor {
    const p = this.params[i];
    return reshape(slice(packed, { 0: [this.offsets[i], this.offsets[i] + p.size] }), p.shape);
  }

  /** A packed tensor of this layout from one host array per parameter (a loaded optimizer state). */
  packHost(parts: readonly ArrayLike<number>[]): Float32Array | Float64Array {
    const out = this.flat.dtype === "float64" ? new Float64Array(this.total) : new Float32Array(this.total);
    parts.forEach((a, i) => out.set(a, this.offsets[i]));
    return out;
  }

  /** Points every parameter at its window of `flat`'s current buffer. */
  private repoint(): void {
    const { backend, handle } = this.flat.storage!;
    this.windows = this.params.map((p, i) => backend.window(handle, this.offsets[i], p.size, p.dtype));
    // borrowed: disposing a parameter must not free the packed buffer
    this.params.forEach((p, i) => (p.storage = { backend, handle: this.windows[i], borrowed: true }));
  }
}
