/**
 * @file A text classifier: Embedding → (bidirectional) LSTM or GRU → mean of the outputs over
 * the real (non-padding) tokens → Linear. Token ids come right-padded with 0 (`<pad>`) to a
 * fixed length, so one compiled plan serves every batch. The cells still step over padding
 * (there are no packed sequences), but the pooling ignores those positions, and the padding
 * row of the embedding stays zero. `BagOfWordsClassifier` is the baseline beside it:
 * multinomial logistic regression on the words' frequencies in the text.
 */
import type { Tensor } from "../tensor.ts";
import { FormatError, ShapeError } from "../errors.ts";
import { Vocabulary } from "../text/vocab.ts";
import { add, cast, div, maximum, mul, notEqual } from "../ops/elementwise.ts";
import { zeros } from "../creation.ts";
import { sum } from "../ops/reduce.ts";
import { unsqueeze } from "../ops/movement.ts";
import { Module } from "../nn/module.ts";
import { Linear } from "../nn/layers.ts";
import { Embedding } from "../nn/embedding.ts";
import { GRU, LSTM } from "../nn/recurrent.ts";
import { choiceField, expectShape, objectField, sizeField, stringsField, expectModel } from "./metadata.ts";

export interface TextClassifierOptions {
  embeddingDim?: number;
  hiddenSize?: number;
  cell?: "lstm" | "gru";
  bidirectional?: boolean;
}

export class TextClassifier extends Module {
  readonly embedding: Embedding;
  readonly rnn: LSTM | GRU;
  readonly fc: Linear;
  readonly config: Required<TextClassifierOptions>;

  constructor(readonly vocabSize: number, readonly classes: number, opts: TextClassifierOptions = {}) {
    super();
    this.config = { embeddingDim: opts.embeddingDim ?? 64, hiddenSize: opts.hiddenSize ?? 64, cell: opts.cell ?? "lstm", bidirectional: opts.bidirectional ?? true };
    const { embeddingDim: e, hiddenSize: h, cell, bidirectional } = this.config;
    if (!(classes >= 2)) throw new ShapeError(`TextClassifier: needs at least 2 classes, got ${classes}`);
    this.embedding = this.module("embedding", new Embedding(vocabSize, e, { paddingIdx: 0 }));
    const Cell = cell === "gru" ? GRU : LSTM;
    this.rnn = this.module("rnn", new Cell(e, h, { batchFirst: true, bidirectional }));
    this.fc = this.module("fc", new Linear(h * (bidirectional ? 2 : 1), classes));
  }

  /** tokens int32 [N, L] (0 = padding) → logits [N, classes]. */
  forward(tokens: Tensor): Tensor {
    if (tokens.rank !== 2 || tokens.dtype !== "int32") {
      throw new ShapeError(`TextClassifier: expected int32 token ids [N, L], got ${tokens.describe()}`);
    }
    const [out] = this.rnn.forward(this.embedding.forward(tokens)); // [N, L, D·H]
    const mask = unsqueeze(cast(notEqual(tokens, 0), "float32"), 2); // [N, L, 1]
    const count = maximum(sum(mask, 1), 1); // [N, 1]; an all-padding row divides by 1
    return this.fc.forward(div(sum(mul(out, mask), 1), count));
  }
}

/**
 * Logistic regression on a bag of words: logits = Σ_w tf(w)·W[w] + b, where tf(w) is the
 * word's share of the text's (non-padding) tokens, i.e. the mean of the rows W[token] (an
 * EmbeddingBag with mode "mean") plus a bias. Starts at zero, as logistic regression does.
 */
export class BagOfWordsClassifier extends Module {
  readonly embedding: Embedding;
  readonly bias: Tensor;
  readonly config = {};

  constructor(readonly vocabSize: number, readonly classes: number) {
    super();
    if (!(classes >= 2)) throw new ShapeError(`BagOfWordsClassifier: needs at least 2 classes, got ${classes}`);
    this.embedding = this.module("embedding", new Embedding(vocabSize, classes, { paddingIdx: 0 }));
    this.embedding.weight.assign(zeros([vocabSize, classes]));
    this.bias = this.parameter("bias", zeros([classes]));
  }

  /** tokens int32 [N, L] (0 = padding) → logits [N, classes]. */
  forward(tokens: Tensor): Tensor {
    if (tokens.rank !== 2 || tokens.dtype !== "int32") throw new ShapeError(`BagOfWordsClassifier: expected int32 token ids [N, L], got ${tokens.describe()}`);
    const mask = unsqueeze(cast(notEqual(tokens, 0), "float32"), 2); // [N, L, 1]
    return add(div(sum(mul(this.embedding.forward(tokens), mask), 1), maximum(sum(mask, 1), 1)), this.bias);
  }
}

/** What rebuilds a trained TextClassifier: the vocabulary, the class names, the padded length. */
export interface TextClassifierMeta {
  vocab: Vocabulary;
  classes: string[];
  maxLen: number;
}

/** The checkpoint metadata for a TextClassifier. */
export function textClassifierMetadata(model: TextClassifier | BagOfWordsClassifier, meta: TextClassifierMeta): Record<string, string> {
  return {
    model: model instanceof BagOfWordsClassifier ? "bow" : "textclf", vocab: JSON.stringify(meta.vocab.toJSON()), classes: JSON.stringify(meta.classes),
    maxLen: String(meta.maxLen), config: JSON.stringify(model.config),
  };
}

/**
 * Rebuilds an (untrained) TextClassifier from checkpoint metadata; `file` names it in errors.
 * Every field is checked first, and the sizes against `shapes` (the tensors the file holds)
 * when given, before anything is allocated.
 */
export function textClassifierFromMetadata(meta: Record<string, string>, file: string, shapes?: ReadonlyMap<string, readonly number[]>): { model: TextClassifier | BagOfWordsClassifier } & TextClassifierMeta {
  expectModel(meta, ["textclf", "bow"], file, "--data FILE.tsv");
  const vocab = Vocabulary.fromJSON(meta.vocab, file);
  const classes = stringsField(meta, "classes", file);
  if (classes.length < 2) throw new FormatError(`${file}: metadata "classes" lists ${classes.length} classes, a classifier needs at least 2`);
  const maxLen = sizeField(meta.maxLen, "metadata maxLen", file);
  if (meta.model === "bow") {
    if (shapes) expectShape(shapes, "embedding.weight", [vocab.size, classes.length], file);
    return { model: new BagOfWordsClassifier(vocab.size, classes.length), vocab, classes, maxLen };
  }
  const c = objectField(meta, "config", file);
  const config: Required<TextClassifierOptions> = {
    embeddingDim: sizeField(c.embeddingDim, "config.embeddingDim", file),
    hiddenSize: sizeField(c.hiddenSize, "config.hiddenSize", file),
    cell: choiceField(c.cell, "config.cell", file, ["lstm", "gru"] as const, "lstm"),
    bidirectional: c.bidirectional === undefined ? true : c.bidirectional === true,
  };
  if (shapes) {
    const h = config.hiddenSize;
    expectShape(shapes, "embedding.weight", [vocab.size, config.embeddingDim], file);
    expectShape(shapes, "rnn.weight_hh_l0", [(config.cell === "gru" ? 3 : 4) * h, h], file);
    expectShape(shapes, "fc.weight", [classes.length, h * (config.bidirectional ? 2 : 1)], file);
  }
  return { model: new TextClassifier(vocab.size, classes.length, config), vocab, classes, maxLen };
}
