/**
 * @file A DataLoader over in-memory examples: seeded shuffling each epoch (Fisher–Yates on a
 * counter-based stream, so epoch e of seed s is always the same order), fixed-size batches
 * copied out into new tensors, optional drop of the last partial batch. Inputs are float32
 * (images) or int32 (token ids); labels are one int32 per example, or a fixed-shape block
 * per example (`labelShape`, e.g. the next-token targets of a sequence).
 */
import { fromArray } from "../creation.ts";
import { ShapeError } from "../errors.ts";
import type { Tensor } from "../tensor.ts";
import { permutation } from "../random.ts";

export interface DataLoaderOptions {
  batchSize: number;
  shuffle?: boolean;
  seed?: number;
  /** Drop a last batch smaller than batchSize (keeps one compiled plan). Default false. */
  dropLast?: boolean;
  /** Shape of one example's labels (default []: one class index per example). */
  labelShape?: readonly number[];
}

/** The order epoch `epoch` visits n examples in (what DataLoader and DeviceLoader share). */
export function epochOrder(n: number, opts: { shuffle?: boolean; seed?: number }, epoch: number): Int32Array {
  return opts.shuffle ? permutation(n, (opts.seed ?? 0) + epoch * 0x9e3779b9) : Int32Array.from({ length: n }, (_, i) => i);
}

/** Batches of an epoch over n examples: the last one partial, or dropped with `dropLast`. */
export function batchCount(n: number, opts: { batchSize: number; dropLast?: boolean }): number {
  return opts.dropLast ? Math.floor(n / opts.batchSize) : Math.ceil(n / opts.batchSize);
}

/** What a training loop iterates: DataLoader (batches copied from host memory) or DeviceLoader. */
export interface Batches {
  readonly length: number;
  readonly batchSize: number;
  epochBatches(epoch: number, from?: number): Generator<Batch>;
}

export interface Batch {
  x: Tensor;
  y: Tensor;
}

export class DataLoader {
  private epoch = 0;
  readonly batchSize: number;

  /**
   * @param inputs N·exampleSize float32 values (or int32 token ids)
   * @param labels N·labelSize int32 labels
   * @param exampleShape shape of one example, e.g. [1, 28, 28]
   */
  constructor(
    readonly inputs: Float32Array | Int32Array,
    readonly labels: Int32Array,
    readonly exampleShape: readonly number[],
    readonly opts: DataLoaderOptions,
  ) {
    const per = exampleShape.reduce((a, b) => a * b, 1);
    const labelShape = (this.labelShape = opts.labelShape ?? []);
    const perLabel = labelShape.reduce((a, b) => a * b, 1);
    if (inputs.length !== (labels.length / perLabel) * per || labels.length % perLabel !== 0) {
      const each = labelShape.length ? ` with labels [${labelShape.join(",")}] (${labels.length} label values)` : "";
      throw new ShapeError(`DataLoader: ${inputs.length} input values are not ${Math.floor(labels.length / perLabel)} examples of [${exampleShape.join(",")}]${each}`);
    }
    if (!(opts.batchSize >= 1)) throw new ShapeError(`DataLoader: batchSize must be ≥ 1, got ${opts.batchSize}`);
    this.batchSize = opts.batchSize;
    this.count = labels.length / perLabel;
  }

  /** Number of examples. */
  readonly count: number;
  /** Shape of one example's labels. */
  readonly labelShape: readonly number[];

  get length(): number {
    return batchCount(this.count, this.opts);
  }

  /** The order in which epoch `epoch` (0 = the first) visits the examples: seeded when shuffling. */
  order(epoch: number): Int32Array {
    return epochOrder(this.count, this.opts, epoch);
  }

  /** The batches of the next epoch, in a fresh seeded order when shuffling. */
  [Symbol.iterator](): Iterator<Batch> {
    return this.epochBatches(this.epoch++);
  }

  /**
   * The batches of epoch `epoch` (0 = the first) from batch `from` on: what iterating yields
   * that epoch, minus its first `from` batches (a resumed run continues there).
   */
  *epochBatches(epoch: number, from = 0): Generator<Batch> {
    const n = this.count;
    const order = this.order(epoch);
    const per = this.inputs.length / n;
    const perLabel = this.labels.length / n;
    const ints = this.inputs instanceof Int32Array;
    for (let b = from; b < this.length; b++) {
      const idx = order.subarray(b * this.batchSize, Math.min(n, (b + 1) * this.batchSize));
      const x = ints ? new Int32Array(idx.length * per) : new Float32Array(idx.length * per);
      const y = new Int32Array(idx.length * perLabel);
      idx.forEach((src, k) => {
        x.set(this.inputs.subarray(src * per, (src + 1) * per), k * per);
        y.set(this.labels.subarray(src * perLabel, (src + 1) * perLabel), k * perLabel);
      });
      yield {
        x: fromArray(x, [idx.length, ...this.exampleShape], ints ? "int32" : "float32"),
        y: fromArray(y, [idx.length, ...this.labelShape], "int32"),
      };
    }
  }
}
