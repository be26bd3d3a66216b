/**
 * @file A sequence tagger for named-entity recognition (BIO tags, the CoNLL-2003 setting):
 * per token, a word embedding (lower-cased words) and a small embedding of the word's shape
 * (lower / Capitalised / ALL CAPS / has a digit / punctuation: the character-level feature
 * that carries what lower-casing removes), a bidirectional LSTM or GRU over the sentence, and a
 * linear layer to tag scores. Sentences come right-padded to a fixed length; the loss is the
 * per-token cross-entropy over real tokens only (padding labels are IGNORE, −100, as
 * PyTorch's `ignore_index`).
 */
import type { Tensor } from "../tensor.ts";
import { fromArray } from "../creation.ts";
import { compile } from "../graph/compile.ts";
import { FormatError, ShapeError } from "../errors.ts";
import { Vocabulary } from "../text/vocab.ts";
import { concat, reshape, slice } from "../ops/movement.ts";
import { crossEntropy } from "../losses.ts";
import { Module } from "../nn/module.ts";
import { Linear } from "../nn/layers.ts";
import { Embedding } from "../nn/embedding.ts";
import { GRU, LSTM } from "../nn/recurrent.ts";
import { argmaxRows } from "../metrics.ts";
import { choiceField, expectShape, objectField, sizeField, stringsField, expectModel } from "./metadata.ts";

/** The label of a padding position: no loss, no score. */
export const IGNORE = -100;

/** Word shapes: 0 padding, then lower, Capitalised, ALL CAPS, with a digit, other (punctuation). */
export const SHAPES = ["<pad>", "lower", "Capitalised", "CAPS", "digit", "other"] as const;

/** The shape id of a token (see SHAPES). */
export function wordShape(token: string): number {
  if (/\p{N}/u.test(token)) return 4;
  if (!/\p{L}/u.test(token)) return 5;
  if (token === token.toLowerCase()) return 1;
  if (token.length > 1 && token === token.toUpperCase()) return 3;
  return /^\p{Lu}/u.test(token) ? 2 : 1;
}

export interface SequenceTaggerOptions {
  embeddingDim?: number;
  shapeDim?: number;
  hiddenSize?: number;
  cell?: "lstm" | "gru";
}

export class SequenceTagger extends Module {
  readonly embedding: Embedding;
  readonly shape: Embedding;
  readonly rnn: LSTM | GRU;
  readonly fc: Linear;
  readonly config: Required<SequenceTaggerOptions>;

  constructor(readonly vocabSize: number, readonly numTags: number, opts: SequenceTaggerOptions = {}) {
    super();
    this.config = { embeddingDim: opts.embeddingDim ?? 64, shapeDim: opts.shapeDim ?? 8, hiddenSize: opts.hiddenSize ?? 64, cell: opts.cell ?? "lstm" };
    const { embeddingDim: e, shapeDim: s, hiddenSize: h, cell } = this.config;
    if (!(numTags >= 2)) throw new ShapeError(`SequenceTagger: needs at least 2 tags (O and one entity tag), got ${numTags}`);
    this.embedding = this.module("embedding", new Embedding(vocabSize, e, { paddingIdx: 0 }));
    this.shape = this.module("shape", new Embedding(SHAPES.length, s, { paddingIdx: 0 }));
    const Cell = cell === "gru" ? GRU : LSTM;
    this.rnn = this.module("rnn", new Cell(e + s, h, { batchFirst: true, bidirectional: true }));
    this.fc = this.module("fc", new Linear(2 * h, numTags));
  }

  /** int32 [N, 2, L] (row 0 word ids, row 1 shape ids; 0 = padding) → tag scores [N, L, tags]. */
  forward(x: Tensor): Tensor {
    if (x.rank !== 3 || x.shape[1] !== 2 || x.dtype !== "int32") {
      throw new ShapeError(`SequenceTagger: expected int32 [N, 2, L] (word ids and shape ids, as encodeSentences makes), got ${x.describe()}`);
    }
    const [n, , l] = x.shape;
    const words = reshape(slice(x, { 1: [0, 1] }), [n, l]);
    const shapes = reshape(slice(x, { 1: [1, 2] }), [n, l]);
    const [out] = this.rnn.forward(concat([this.embedding.forward(words), this.shape.forward(shapes)], 2));
    return this.fc.forward(out);
  }
}

/** The tagger's loss: mean cross-entropy over the real tokens (labels IGNORE at padding). */
export function taggerLoss(scores: Tensor, labels: Tensor): Tensor {
  return crossEntropy(scores, labels, { ignoreIndex: IGNORE });
}

/** What rebuilds a trained tagger: its word vocabulary, its tags, and its padded length. */
export interface TaggerMeta {
  vocab: Vocabulary;
  tags: string[];
  maxLen: number;
}

/**
 * Sentences → the model's input int32 [N, 2, L] and labels int32 [N, L] (IGNORE at padding
 * and for tags the model does not know, when `tags` of a sentence are given). Longer
 * sentences are cut at L (`truncated` counts them).
 */
export function encodeSentences(sentences: readonly { tokens: readonly string[]; tags?: readonly string[] }[], meta: TaggerMeta): { x: Int32Array; y: Int32Array; truncated: number } {
  const L = meta.maxLen;
  const x = new Int32Array(sentences.length * 2 * L);
  const y = new Int32Array(sentences.length * L).fill(IGNORE);
  let truncated = 0;
  sentences.forEach((s, i) => {
    if (s.tokens.length > L) truncated++;
    s.tokens.slice(0, L).forEach((t, j) => {
      x[i * 2 * L + j] = meta.vocab.id(t.toLowerCase());
      x[i * 2 * L + L + j] = wordShape(t);
      const k = s.tags ? meta.tags.indexOf(s.tags[j]) : -1;
      if (k >= 0) y[i * L + j] = k;
    });
  });
  return { x, y, truncated };
}

/** The tags of each sentence from scores [N, L, tags] (argmax per token, the sentence's own length). */
export function decodeTags(scores: Float32Array | Float64Array | ArrayLike<number>, lengths: readonly number[], meta: TaggerMeta): string[][] {
  const best = argmaxRows(scores, meta.tags.length);
  return lengths.map((n, i) => Array.from({ length: Math.min(n, meta.maxLen) }, (_, j) => meta.tags[best[i * meta.maxLen + j]]));
}

/** The tags of raw token lists: the model in eval mode, `batch` sentences at a time (a sentence past maxLen gets maxLen tags). */
/** Each tagger's compiled forward pass, traced once and reused by every call (each epoch's scoring). */
const predictors = new WeakMap<SequenceTagger, (x: Tensor) => Tensor>();

export async function tagSentences(model: SequenceTagger, sentences: readonly { tokens: readonly string[] }[], meta: TaggerMeta, batch = 128): Promise<string[][]> {
  model.eval();
  let predict = predictors.get(model);
  if (!predict) predictors.set(model, (predict = compile((x: Tensor) => model.forward(x))));
  const out: string[][] = [];
  for (let i = 0; i < sentences.length; i += batch) {
    const part = sentences.slice(i, i + batch);
    const x = fromArray(encodeSentences(part, meta).x, [part.length, 2, meta.maxLen], "int32");
    const scores = predict(x);
    out.push(...decodeTags(await scores.data(), part.map((s) => s.tokens.length), meta));
    x.dispose();
    scores.dispose();
  }
  return out;
}

/** The word vocabulary of a tagged corpus: lower-cased tokens seen at least `minCount` times. */
export function taggerVocabulary(sentences: readonly { tokens: readonly string[] }[], minCount = 1): Vocabulary {
  return Vocabulary.build(sentences.map((s) => s.tokens.map((t) => t.toLowerCase())), { minCount, maxSize: 50000 });
}

/** The tag set of a corpus: O first, then the others sorted (B-LOC, B-ORG, …, I-PER). */
export function tagSet(sentences: readonly { tags: readonly string[] }[]): string[] {
  const seen = new Set(sentences.flatMap((s) => s.tags));
  seen.delete("O");
  return ["O", ...[...seen].sort()];
}

export function taggerMetadata(model: SequenceTagger, meta: TaggerMeta): Record<string, string> {
  return { model: "tagger", vocab: JSON.stringify(meta.vocab.toJSON()), tags: JSON.stringify(meta.tags), maxLen: String(meta.maxLen), config: JSON.stringify(model.config) };
}

/** Rebuilds an (untrained) tagger from checkpoint metadata, checked against the file's shapes. */
export function taggerFromMetadata(meta: Record<string, string>, file: string, shapes?: ReadonlyMap<string, readonly number[]>): { model: SequenceTagger } & TaggerMeta {
  expectModel(meta, ["tagger"], file, "--data FILE.conll");
  const vocab = Vocabulary.fromJSON(meta.vocab, file);
  const tags = stringsField(meta, "tags", file);
  if (tags.length < 2 || tags[0] !== "O") throw new FormatError(`${file}: metadata "tags" must start with "O" and hold at least 2 tags`);
  const maxLen = sizeField(meta.maxLen, "metadata maxLen", file);
  const c = objectField(meta, "config", file);
  const config: Required<SequenceTaggerOptions> = {
    embeddingDim: sizeField(c.embeddingDim, "config.embeddingDim", file),
    shapeDim: sizeField(c.shapeDim, "config.shapeDim", file),
    hiddenSize: sizeField(c.hiddenSize, "config.hiddenSize", file),
    cell: choiceField(c.cell, "config.cell", file, ["lstm", "gru"] as const, "lstm"),
  };
  if (shapes) {
    expectShape(shapes, "embedding.weight", [vocab.size, config.embeddingDim], file);
    expectShape(shapes, "fc.weight", [tags.length, 2 * config.hiddenSize], file);
  }
  return { model: new SequenceTagger(vocab.size, tags.length, config), vocab, tags, maxLen };
}

