/**
 * @file A character-level language model: Embedding → LSTM (one or more layers) → Linear over
 * the vocabulary at every step. Trained on next-character windows; `forward` also takes and
 * returns the LSTM state, so sampling feeds one character at a time and training can carry a
 * detached state from window to window (truncated backprop through time).
 */
import type { Tensor } from "../tensor.ts";
import { FormatError, ShapeError } from "../errors.ts";
import { fromArray } from "../creation.ts";
import { compile } from "../graph/compile.ts";
import { uniform } from "../random.ts";
import { Vocabulary, charTokens } from "../text/vocab.ts";
import { Module } from "../nn/module.ts";
import { Linear } from "../nn/layers.ts";
import { Embedding } from "../nn/embedding.ts";
import { LSTM } from "../nn/recurrent.ts";
import { expectShape, objectField, sizeField, expectModel } from "./metadata.ts";

export interface GenerateOptions {
  /** Text to condition on (default: start from the first character of the vocabulary after <unk>). */
  prime?: string;
  /** Characters to generate (default 200). */
  length?: number;
  /** Softmax temperature; 0 picks the most likely character every time (default 0.8). */
  temperature?: number;
  seed?: number;
}

export interface CharLMOptions {
  embeddingDim?: number;
  hiddenSize?: number;
  numLayers?: number;
}

export class CharLM extends Module<Tensor, [state?: [Tensor, Tensor]]> {
  readonly embedding: Embedding;
  readonly lstm: LSTM;
  readonly fc: Linear;
  readonly config: Required<CharLMOptions>;

  constructor(readonly vocabSize: number, opts: CharLMOptions = {}) {
    super();
    this.config = { embeddingDim: opts.embeddingDim ?? 32, hiddenSize: opts.hiddenSize ?? 128, numLayers: opts.numLayers ?? 1 };
    const { embeddingDim: e, hiddenSize: h, numLayers } = this.config;
    this.embedding = this.module("embedding", new Embedding(vocabSize, e));
    this.lstm = this.module("lstm", new LSTM(e, h, { batchFirst: true, numLayers }));
    this.fc = this.module("fc", new Linear(h, vocabSize));
  }

  /** tokens int32 [B, T] → logits [B, T, V]. */
  forward(tokens: Tensor, state?: [Tensor, Tensor]): Tensor {
    return this.forwardWithState(tokens, state)[0];
  }

  /** tokens int32 [B, T] and an optional [h, c] ([layers, B, H] each) → [logits [B, T, V], final [h, c]]. */
  forwardWithState(tokens: Tensor, state?: [Tensor, Tensor]): [Tensor, [Tensor, Tensor]] {
    if (tokens.rank !== 2 || tokens.dtype !== "int32") throw new ShapeError(`CharLM: expected int32 token ids [B, T], got ${tokens.describe()}`);
    const [out, final] = this.lstm.forward(this.embedding.forward(tokens), state);
    return [this.fc.forward(out), final];
  }
}

/** The checkpoint metadata that rebuilds a CharLM and its vocabulary. */
export function charLMMetadata(model: CharLM, vocab: Vocabulary): Record<string, string> {
  return { model: "charlm", vocab: JSON.stringify(vocab.toJSON()), config: JSON.stringify(model.config) };
}

/**
 * Rebuilds an (untrained) CharLM and its vocabulary from checkpoint metadata; `file` names it
 * in errors. Every field is checked first, and the sizes against `shapes`, the tensors the
 * file holds (readSafetensorsHeader), before anything is allocated.
 */
export function charLMFromMetadata(meta: Record<string, string>, file: string, shapes: ReadonlyMap<string, readonly number[]>): { model: CharLM; vocab: Vocabulary } {
  expectModel(meta, ["charlm"], file, "--text FILE");
  const vocab = Vocabulary.fromJSON(meta.vocab, file);
  const c = objectField(meta, "config", file);
  const config = {
    embeddingDim: sizeField(c.embeddingDim, "config.embeddingDim", file),
    hiddenSize: sizeField(c.hiddenSize, "config.hiddenSize", file),
    numLayers: sizeField(c.numLayers, "config.numLayers", file, 1, 1),
  };
  const { embeddingDim: e, hiddenSize: h, numLayers } = config;
  expectShape(shapes, "embedding.weight", [vocab.size, e], file);
  expectShape(shapes, "fc.weight", [vocab.size, h], file);
  expectShape(shapes, `lstm.weight_hh_l${numLayers - 1}`, [4 * h, h], file);
  return { model: new CharLM(vocab.size, config), vocab };
}

/**
 * Generates text one character at a time: the prime runs through the model once, then each
 * sampled character is fed back with the carried LSTM state. Sampling draws from
 * softmax(logits / temperature) with a seeded counter-based stream, so a seed repeats a sample.
 */
export async function generate(model: CharLM, vocab: Vocabulary, opts: GenerateOptions = {}): Promise<string> {
  const temperature = opts.temperature ?? 0.8;
  const length = opts.length ?? 200;
  if (!(temperature >= 0)) throw new ShapeError(`generate: temperature must be ≥ 0, got ${temperature}`);
  const prime = charTokens(opts.prime ?? "");
  const start = prime.length > 0 ? vocab.encode(prime) : Int32Array.of(Math.min(2, vocab.size - 1));
  const wasTraining = model.training;
  model.eval();
  const step = compile((x: Tensor, h: Tensor, c: Tensor) => {
    const [logits, [h2, c2]] = model.forwardWithState(x, [h, c]);
    return { logits, h: h2, c: c2 };
  });
  const { numLayers, hiddenSize } = model.config;
  const zeros = () => fromArray(new Float32Array(numLayers * hiddenSize), [numLayers, 1, hiddenSize]);
  let out = step(fromArray(start, [1, start.length], "int32"), zeros(), zeros());
  const chars: string[] = [];
  for (let i = 0; i < length; i++) {
    const all = await out.logits.data();
    const last = all.subarray(all.length - vocab.size) as Float32Array;
    const id = pick(last, temperature, uniform(opts.seed ?? 0, i));
    chars.push(vocab.tokens[id]);
    out = step(fromArray(Int32Array.of(id), [1, 1], "int32"), out.h, out.c);
  }
  if (wasTraining) model.train();
  return chars.join("");
}

/** Samples an index from softmax(logits / temperature) with u ∈ [0, 1); never <pad> or <unk>. */
function pick(logits: Float32Array, temperature: number, u: number): number {
  let best = 2;
  for (let j = 3; j < logits.length; j++) if (logits[j] > logits[best]) best = j;
  if (temperature === 0) return best;
  const p = new Float64Array(logits.length);
  let total = 0;
  for (let j = 2; j < logits.length; j++) total += p[j] = Math.exp((logits[j] - logits[best]) / temperature);
  let r = u * total;
  for (let j = 2; j < logits.length; j++) if ((r -= p[j]) < 0) return j;
  return best;
}
