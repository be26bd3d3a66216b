/**
 * @file A DeviceLoader keeps a training set and its labels on the device, uploaded once: u8
 * examples (MNIST's pixels, packed four to an int32 word: a quarter of their float32 size) or
 * int32 ones (token windows, padded sentences). Each batch then uploads only its indices (4
 * bytes an example) and is gathered (bytes decoded as byte·scale + shift: the normalisation)
 * and its labels looked up on the device. Same order and
 * batches as a DataLoader with the same options (one shuffle per epoch from the seed), so a run
 * resumes at the same batch with either.
 */
import { fromArray } from "../creation.ts";
import { ShapeError } from "../errors.ts";
import { gather, gatherBytes, packBytes } from "../ops/gather.ts";
import { reshape } from "../ops/movement.ts";
import type { Tensor } from "../tensor.ts";
import { batchCount, epochOrder, type Batch, type Batches, type DataLoaderOptions } from "./loader.ts";

export interface DeviceLoaderOptions extends DataLoaderOptions {
  /** Each byte b becomes b·scale + shift (default 1, 0). */
  scale?: number;
  shift?: number;
}

export class DeviceLoader implements Batches {
  readonly batchSize: number;
  readonly count: number;
  private readonly table: Tensor;
  private readonly labelTable: Tensor;
  private readonly per: number;
  private readonly labelShape: readonly number[];
  /** u8 examples (decoded to float32), else int32 ids gathered as they are. */
  private readonly bytes: boolean;

  /**
   * @param examples N·exampleSize values, row-major: bytes (decoded to float32) or int32 ids
   * @param labels N·labelSize int32 labels
   * @param exampleShape shape of one example, e.g. [1, 28, 28]
   */
  constructor(examples: Uint8Array | Int32Array, labels: Int32Array, readonly exampleShape: readonly number[], readonly opts: DeviceLoaderOptions) {
    this.per = exampleShape.reduce((a, b) => a * b, 1);
    this.labelShape = opts.labelShape ?? [];
    const perLabel = this.labelShape.reduce((a, b) => a * b, 1);
    const n = labels.length / perLabel;
    if (!Number.isInteger(n) || examples.length !== n * this.per) {
      throw new ShapeError(`DeviceLoader: ${examples.length} values are not ${Math.floor(n)} examples of [${exampleShape.join(",")}] (${labels.length} label values)`);
    }
    if (!(opts.batchSize >= 1)) throw new ShapeError(`DeviceLoader: batchSize must be ≥ 1, got ${opts.batchSize}`);
    this.batchSize = opts.batchSize;
    this.count = n;
    this.bytes = examples instanceof Uint8Array;
    this.table = this.bytes ? fromArray(packBytes(examples as Uint8Array, n), [n, Math.ceil(this.per / 4)], "int32") : fromArray(examples, [n, this.per], "int32");
    this.labelTable = fromArray(labels, [n, perLabel], "int32");
  }

  get length(): number {
    return batchCount(this.count, this.opts);
  }

  order(epoch: number): Int32Array {
    return epochOrder(this.count, this.opts, epoch);
  }

  /** Epoch `epoch`'s batches from batch `from` on (as DataLoader.epochBatches), computed on the device. */
  *epochBatches(epoch: number, from = 0): Generator<Batch> {
    const order = this.order(epoch);
    const decode = { bytes: this.per, scale: this.opts.scale ?? 1, shift: this.opts.shift ?? 0 };
    let idx: Tensor | null = null;
    try {
      for (let b = from; b < this.length; b++) {
        const slice = order.slice(b * this.batchSize, Math.min(this.count, (b + 1) * this.batchSize));
        idx = fromArray(slice, [slice.length], "int32"); // the only upload: 4 bytes an example
        const rows = this.bytes ? gatherBytes(this.table, idx, decode) : gather(this.table, idx);
        const x = reshape(rows, [slice.length, ...this.exampleShape]);
        const y = reshape(gather(this.labelTable, idx), [slice.length, ...this.labelShape]);
        yield { x, y };
        // the step that used this batch has computed x and y from it by now (or never will)
        if (x.storage || x.disposed) idx.dispose();
        idx = null;
      }
    } finally {
      if (idx?.storage && !idx.disposed) idx.dispose();
    }
  }

  /** Frees the device copies. */
  dispose(): void {
    this.table.dispose();
    this.labelTable.dispose();
  }
}
