/**
 * @file Skip-gram training data as word2vec makes it (Mikolov et al. 2013): a vocabulary of
 * words seen at least `minCount` times, frequent-word subsampling (a word of frequency f is
 * kept with probability (√(f/t) + 1)·t/f), a dynamic window (each centre word draws its
 * window b from 1…W and pairs with the b words either side, inside its document), and k
 * negatives per pair drawn from the unigram distribution raised to 0.75. Each example is a
 * row [centre, context, negative₁ … negative_k]; its targets are [1, 0 … 0].
 * Every epoch draws its own subsample, windows and negatives from (seed, epoch), so a resumed
 * run sees the same examples, and every epoch has the same number of pairs (the first
 * epoch's: a later epoch that draws more drops the extra, one that draws fewer repeats its first
 * pairs), so the progress bar and `--resume` positions hold.
 */
import { FormatError } from "../errors.ts";
import { fromArray } from "../creation.ts";
import type { Batch, Batches } from "../data/loader.ts";
import { permutation, randomBits, uniform } from "../random.ts";
import { Vocabulary } from "./vocab.ts";

export interface SkipGramOptions {
  /** Largest window W (default 5). */
  window?: number;
  /** Negatives per pair k (default 5). */
  negatives?: number;
  /** Subsampling threshold t (default 1e-3; 0 keeps every word). */
  subsample?: number;
  seed?: number;
}

/** A corpus as word ids: documents (pairs never cross one), counts per id, and the vocabulary. */
export interface SkipGramCorpus {
  vocab: Vocabulary;
  /** Count of each id in the corpus (0 for <pad> and <unk>). */
  counts: Float64Array;
  docs: Int32Array[];
  /** Words kept (in the vocabulary). */
  total: number;
}

/** Word ids of tokenised documents, words under `minCount` dropped (not mapped to <unk>). */
export function skipGramCorpus(docs: readonly (readonly string[])[], minCount = 5, vocab?: Vocabulary): SkipGramCorpus {
  const v = vocab ?? Vocabulary.build(docs, { minCount });
  if (v.size <= 3) throw new FormatError(`skip-gram: only ${v.size - 2} word(s) occur at least ${minCount} times; give more text or a lower --min-count`);
  const counts = new Float64Array(v.size);
  const ids = docs.map((d) => Int32Array.from(d.map((t) => (v.has(t) ? v.id(t) : -1)).filter((i) => i >= 2)));
  for (const d of ids) for (const i of d) counts[i]++;
  const total = ids.reduce((n, d) => n + d.length, 0);
  return { vocab: v, counts, docs: ids.filter((d) => d.length >= 2), total };
}

/** The cumulative unigram^power distribution over ids (for drawing negatives by bisection). */
export function noiseDistribution(counts: Float64Array, power = 0.75): Float64Array {
  const cdf = new Float64Array(counts.length);
  let acc = 0;
  counts.forEach((c, i) => {
    acc += c > 0 ? Math.pow(c, power) : 0;
    cdf[i] = acc;
  });
  for (let i = 0; i < cdf.length; i++) cdf[i] /= acc;
  return cdf;
}

function drawFrom(cdf: Float64Array, u: number): number {
  let lo = 0, hi = cdf.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cdf[mid] > u) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** The (centre, context) pairs of one epoch, after subsampling and with dynamic windows. */
export function skipGramPairs(corpus: SkipGramCorpus, opts: SkipGramOptions, epoch: number): Int32Array {
  const W = opts.window ?? 5, t = opts.subsample ?? 1e-3, seed = ((opts.seed ?? 0) * 7919 + epoch * 104729) | 0;
  let draw = 0;
  const keep = Float64Array.from(corpus.counts, (c) => (t > 0 && c > 0 ? Math.min(1, (Math.sqrt(c / (t * corpus.total)) + 1) * (t * corpus.total) / c) : 1));
  const out: number[] = [];
  for (const doc of corpus.docs) {
    const kept = doc.filter((id) => keep[id] >= 1 || uniform(seed, draw++) < keep[id]);
    for (let i = 0; i < kept.length; i++) {
      const b = 1 + (randomBits(seed ^ 0x2545f491, draw++) % W);
      for (let j = Math.max(0, i - b); j <= Math.min(kept.length - 1, i + b); j++) if (j !== i) out.push(kept[i], kept[j]);
    }
  }
  return Int32Array.from(out);
}

/**
 * Shuffled batches of skip-gram examples [B, 2 + k] (centre, context, k negatives) with
 * targets [B, 1 + k] = [1, 0 … 0], fresh every epoch (see the file's comment).
 */
export class SkipGramBatches implements Batches {
  readonly batchSize: number;
  /** Pairs per epoch (the first epoch's count). */
  readonly pairs: number;
  private readonly noise: Float64Array;
  private readonly k: number;

  constructor(readonly corpus: SkipGramCorpus, readonly opts: SkipGramOptions & { batchSize: number }) {
    this.batchSize = opts.batchSize;
    this.k = opts.negatives ?? 5;
    this.noise = noiseDistribution(corpus.counts);
    this.pairs = skipGramPairs(corpus, opts, 0).length / 2;
    if (this.pairs === 0) throw new FormatError("skip-gram: the text gives no (centre, context) pairs; give documents of at least two known words");
  }

  get length(): number {
    return Math.ceil(this.pairs / this.batchSize);
  }

  /** The examples of epoch `epoch`: [pairs, 2 + k] int32, in a shuffled order. */
  examples(epoch: number): Int32Array {
    const drawn = skipGramPairs(this.corpus, this.opts, epoch);
    const n = this.pairs, k = this.k, per = 2 + k, seed = ((this.opts.seed ?? 0) ^ 0x6a09e667) + epoch * 31337;
    const order = permutation(drawn.length / 2, seed);
    const x = new Int32Array(n * per);
    for (let p = 0; p < n; p++) {
      const src = order[p % order.length];
      const ctx = drawn[2 * src + 1];
      x[p * per] = drawn[2 * src];
      x[p * per + 1] = ctx;
      for (let q = 0; q < k; q++) {
        // a negative equal to the context is drawn again (up to 8 times)
        let neg = ctx;
        for (let tries = 0; neg === ctx && tries < 8; tries++) neg = drawFrom(this.noise, uniform(seed ^ 0x3c6ef372, (p * k + q) * 8 + tries));
        x[p * per + 2 + q] = neg;
      }
    }
    return x;
  }

  *epochBatches(epoch: number, from = 0): Generator<Batch> {
    const x = this.examples(epoch);
    const per = 2 + this.k;
    for (let b = from; b < this.length; b++) {
      const rows = Math.min(this.batchSize, this.pairs - b * this.batchSize);
      const y = new Int32Array(rows * (1 + this.k));
      for (let r = 0; r < rows; r++) y[r * (1 + this.k)] = 1;
      yield {
        x: fromArray(x.slice(b * this.batchSize * per, (b * this.batchSize + rows) * per), [rows, per], "int32"),
        y: fromArray(y, [rows, 1 + this.k], "int32"),
      };
    }
  }
}
