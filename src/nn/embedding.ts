/**
 * @file nn.Embedding as torch.nn: a [numEmbeddings, dim] table looked up by int32 indices,
 * initialised N(0, 1). With `paddingIdx`, that row starts at zero and receives no gradient
 * (the lookup reads it detached), so it stays zero through training. With `sparse: true` (as
 * torch.nn.Embedding's `sparse`), the optimizer updates only the rows each step looks up, in
 * place (Tensor.sparseGrad, ops/sparse_updates.ts): for a big vocabulary, a step's work no
 * longer grows with the table. SGD (without momentum or weight decay) then gives exactly the
 * dense result; Adam becomes lazy Adam.
 */
import type { Tensor } from "../tensor.ts";
import { ShapeError } from "../errors.ts";
import { arange, fromArray } from "../creation.ts";
import { fillNormal, nextSeed } from "../random.ts";
import { detach, notEqual, where } from "../ops/elementwise.ts";
import { reshape } from "../ops/movement.ts";
import { gather } from "../ops/gather.ts";
import { Module } from "./module.ts";

export class Embedding extends Module {
  readonly weight: Tensor;
  /** [V, 1] bool, false at the padding row (only with paddingIdx). */
  private readonly trainable: Tensor | null;

  constructor(readonly numEmbeddings: number, readonly embeddingDim: number, readonly opts: { paddingIdx?: number; sparse?: boolean } = {}) {
    super();
    const p = opts.paddingIdx;
    if (p !== undefined && !(Number.isInteger(p) && p >= 0 && p < numEmbeddings)) {
      throw new ShapeError(`Embedding: paddingIdx ${p} is outside [0, ${numEmbeddings})`);
    }
    if (p !== undefined && opts.sparse) throw new ShapeError(`Embedding: paddingIdx (${p}) and sparse: true do not combine yet (the padding row's gradient is masked densely); choose one`);
    const data = new Float32Array(numEmbeddings * embeddingDim);
    fillNormal(data, nextSeed());
    if (p !== undefined) data.fill(0, p * embeddingDim, (p + 1) * embeddingDim);
    this.weight = this.parameter("weight", fromArray(data, [numEmbeddings, embeddingDim]));
    this.weight.sparseGrad = opts.sparse === true;
    this.trainable = p === undefined ? null : notEqual(reshape(arange(numEmbeddings, undefined, 1, "int32"), [numEmbeddings, 1]), p);
  }

  /** int32 indices [...] → [..., dim]. */
  forward(indices: Tensor): Tensor {
    const table = this.trainable ? where(this.trainable, this.weight, detach(this.weight)) : this.weight;
    return gather(table, indices);
  }
}
