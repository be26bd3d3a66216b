/**
 * @file Skip-gram with negative sampling (word2vec, Mikolov et al. 2013): an input table v
 * (the word vectors one keeps) and an output table u, both [V, d]. An example [centre c,
 * context o, negatives n₁…n_k] scores u_o·v_c and u_nᵢ·v_c; the loss is
 * −log σ(u_o·v_c) − Σᵢ log σ(−u_nᵢ·v_c) (binary cross-entropy with logits against
 * [1, 0 … 0]), summed over the row and averaged over the batch. The gradients reach the
 * tables through gather's backward, a scatter-add of the B·(k + 2) rows used, and the optimizer
 * updates only those rows, in place (Embedding's `sparse`, ops/sparse_updates.ts). Initialised as
 * word2vec: v ~ U(−0.5/d, 0.5/d), u = 0. Also here: nearest neighbours by cosine, `a − b + c`
 * analogies (3CosAdd), and the word2vec text format.
 */
import type { Tensor } from "../tensor.ts";
import { FormatError, ShapeError } from "../errors.ts";
import { fromArray, zeros } from "../creation.ts";
import { uniform, nextSeed } from "../random.ts";
import { Vocabulary } from "../text/vocab.ts";
import { binaryCrossEntropyWithLogits } from "../losses.ts";
import { mean, sum } from "../ops/reduce.ts";
import { matmul } from "../ops/matmul.ts";
import { reshape, slice, unsqueeze } from "../ops/movement.ts";
import { Module } from "../nn/module.ts";
import { Embedding } from "../nn/embedding.ts";
import { expectShape, objectField, sizeField, expectModel } from "./metadata.ts";

export class SkipGram extends Module {
  readonly inEmbed: Embedding;
  readonly outEmbed: Embedding;

  /**
   * `sparse` (default true): both tables are updated by rows (Embedding's `sparse`), so a step
   * costs O(batch · (k + 2) · d) whatever the vocabulary; false updates them whole.
   */
  constructor(readonly vocabSize: number, readonly dim = 100, opts: { sparse?: boolean } = {}) {
    super();
    const sparse = opts.sparse ?? true;
    this.inEmbed = this.module("in_embed", new Embedding(vocabSize, dim, { sparse }));
    this.outEmbed = this.module("out_embed", new Embedding(vocabSize, dim, { sparse }));
    const seed = nextSeed();
    this.inEmbed.weight.assign(fromArray(Float32Array.from({ length: vocabSize * dim }, (_, i) => (uniform(seed, i) - 0.5) / dim), [vocabSize, dim]));
    this.outEmbed.weight.assign(zeros([vocabSize, dim]));
  }

  /** Examples int32 [B, 2 + k] (centre, context, negatives) → scores [B, 1 + k]. */
  forward(x: Tensor): Tensor {
    if (x.rank !== 2 || x.shape[1] < 2 || x.dtype !== "int32") throw new ShapeError(`SkipGram: expected int32 [B, 2 + k] (centre, context, k negatives), got ${x.describe()}`);
    const [b, per] = x.shape;
    const v = this.inEmbed.forward(reshape(slice(x, { 1: [0, 1] }), [b])); // [B, d]
    const u = this.outEmbed.forward(slice(x, { 1: [1, per] })); // [B, 1 + k, d]
    return reshape(matmul(u, unsqueeze(v, 2)), [b, per - 1]);
  }

  /** The input vectors [V, d] on the host. */
  async vectors(): Promise<Float32Array> {
    return Float32Array.from(await this.inEmbed.weight.data());
  }
}

/** The skip-gram loss: Σ over the row of −log σ(±score), averaged over the batch. */
export function skipGramLoss(scores: Tensor, targets: Tensor): Tensor {
  return mean(sum(binaryCrossEntropyWithLogits(scores, targets, { reduction: "none" }), 1));
}

/** Word vectors for lookups: the words, their vectors [V, d] and each row's norm. */
export class WordVectors {
  readonly norms: Float32Array;
  private readonly index = new Map<string, number>();

  constructor(readonly words: readonly string[], readonly vectors: Float32Array, readonly dim: number) {
    if (vectors.length !== words.length * dim) throw new ShapeError(`WordVectors: ${vectors.length} values are not ${words.length} words of ${dim}`);
    words.forEach((w, i) => this.index.set(w, i));
    this.norms = Float32Array.from(words, (_, i) => {
      let s = 0;
      for (let j = 0; j < dim; j++) s += vectors[i * dim + j] ** 2;
      return Math.sqrt(s);
    });
  }

  /** The input vectors of a trained SkipGram, without <pad> and <unk>. */
  static async of(model: SkipGram, vocab: Vocabulary): Promise<WordVectors> {
    const all = await model.vectors();
    return new WordVectors(vocab.tokens.slice(2), all.slice(2 * model.dim), model.dim);
  }

  has(word: string): boolean {
    return this.index.has(word);
  }

  vector(word: string): Float32Array {
    const i = this.index.get(word);
    if (i === undefined) throw new FormatError(`word vectors: "${word}" is not in the vocabulary (${this.words.length} words)`);
    return this.vectors.subarray(i * this.dim, (i + 1) * this.dim);
  }

  /** The k words nearest to `query` by cosine, `exclude` left out. */
  nearestTo(query: ArrayLike<number>, k = 10, exclude: ReadonlySet<string> = new Set()): { word: string; cosine: number }[] {
    let qn = 0;
    for (let j = 0; j < this.dim; j++) qn += query[j] ** 2;
    qn = Math.sqrt(qn) || 1;
    const best: { word: string; cosine: number }[] = [];
    for (let i = 0; i < this.words.length; i++) {
      if (exclude.has(this.words[i])) continue;
      let dot = 0;
      for (let j = 0; j < this.dim; j++) dot += this.vectors[i * this.dim + j] * query[j];
      const cosine = dot / (qn * (this.norms[i] || 1));
      if (best.length < k || cosine > best[best.length - 1].cosine) {
        best.push({ word: this.words[i], cosine });
        best.sort((a, b) => b.cosine - a.cosine);
        if (best.length > k) best.pop();
      }
    }
    return best;
  }

  /** Nearest neighbours of a word (itself left out). */
  similar(word: string, k = 10): { word: string; cosine: number }[] {
    return this.nearestTo(this.vector(word), k, new Set([word]));
  }

  /**
   * `a − b + c` (3CosAdd on unit vectors): "king − man + woman". `terms` are words with signs;
   * the words of the query are left out of the answers.
   */
  analogy(terms: readonly { word: string; sign: 1 | -1 }[], k = 10): { word: string; cosine: number }[] {
    const q = new Float64Array(this.dim);
    for (const { word, sign } of terms) {
      const v = this.vector(word), n = this.norms[this.index.get(word)!] || 1;
      for (let j = 0; j < this.dim; j++) q[j] += (sign * v[j]) / n;
    }
    return this.nearestTo(q, k, new Set(terms.map((t) => t.word)));
  }

  /** The word2vec text format: "V d", then "word x₁ … x_d" per line (gensim's load_word2vec_format reads it). */
  toWord2vecText(): string {
    const lines = [`${this.words.length} ${this.dim}`];
    for (let i = 0; i < this.words.length; i++) {
      lines.push(`${this.words[i]} ${Array.from(this.vectors.subarray(i * this.dim, (i + 1) * this.dim), (x) => Number(x.toPrecision(9))).join(" ")}`);
    }
    return lines.join("\n") + "\n";
  }

  /** Reads the word2vec text format; `file` names it in errors (with the line). */
  static fromWord2vecText(text: string, file: string): WordVectors {
    const lines = text.split(/\r?\n/);
    const head = /^(\d+) (\d+)$/.exec(lines[0].trim());
    if (!head) throw new FormatError(`${file}:1: expected the word2vec header "WORDS DIM", found ${JSON.stringify(lines[0].slice(0, 40))}`);
    const [n, d] = [Number(head[1]), Number(head[2])];
    const words: string[] = [];
    const vectors = new Float32Array(n * d);
    for (let i = 0; i < n; i++) {
      const parts = (lines[i + 1] ?? "").trim().split(" ");
      if (parts.length !== d + 1 || parts.slice(1).some((p) => p === "" || !Number.isFinite(Number(p)))) {
        throw new FormatError(`${file}:${i + 2}: expected a word and ${d} numbers, found ${parts.length - 1} field(s) after ${JSON.stringify(parts[0])}`);
      }
      words.push(parts[0]);
      parts.slice(1).forEach((p, j) => (vectors[i * d + j] = Number(p)));
    }
    return new WordVectors(words, vectors, d);
  }
}

/** "a - b + c" → signed terms (a word alone is one positive term). */
export function parseQuery(q: string): { word: string; sign: 1 | -1 }[] {
  const parts = q.trim().toLowerCase().split(/\s*([+-])\s*|\s+/).filter((p) => p !== undefined && p !== "");
  const terms: { word: string; sign: 1 | -1 }[] = [];
  let sign: 1 | -1 = 1;
  for (const p of parts) {
    if (p === "+" || p === "-") sign = p === "-" ? -1 : 1;
    else {
      terms.push({ word: p, sign });
      sign = 1;
    }
  }
  if (terms.length === 0) throw new FormatError(`word vectors: the query ${JSON.stringify(q)} has no words`);
  return terms;
}

export function skipGramMetadata(model: SkipGram, vocab: Vocabulary): Record<string, string> {
  return { model: "skipgram", vocab: JSON.stringify(vocab.toJSON()), config: JSON.stringify({ dim: model.dim }) };
}

/** Rebuilds an (untrained) SkipGram and its vocabulary from checkpoint metadata. */
export function skipGramFromMetadata(meta: Record<string, string>, file: string, shapes?: ReadonlyMap<string, readonly number[]>): { model: SkipGram; vocab: Vocabulary } {
  expectModel(meta, ["skipgram"], file, "--text FILE");
  const vocab = Vocabulary.fromJSON(meta.vocab, file);
  const dim = sizeField(objectField(meta, "config", file).dim, "config.dim", file);
  if (shapes) for (const t of ["in_embed.weight", "out_embed.weight"]) expectShape(shapes, t, [vocab.size, dim], file);
  return { model: new SkipGram(vocab.size, dim), vocab };
}
