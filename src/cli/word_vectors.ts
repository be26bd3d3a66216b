/**
 * @file Word vectors for the commands: read from a skip-gram checkpoint or a word2vec text
 * file (`npm run similar`), and copied into a model's embedding table (`--embeddings FILE`
 * for textclf and tagger: pretrained vectors as the starting point, the transfer learning of
 * word representations).
 */
import { fromArray } from "../creation.ts";
import type { Embedding } from "../nn/embedding.ts";
import type { Vocabulary } from "../text/vocab.ts";
import { WordVectors, skipGramFromMetadata } from "../models/skipgram.ts";
import { loadSafetensors } from "../io/safetensors.ts";
import { checkpointHeader, readText } from "./loop.ts";

/** Word vectors from a `.safetensors` skip-gram checkpoint, or else a word2vec text file. */
export async function loadWordVectors(path: string): Promise<WordVectors> {
  if (!path.endsWith(".safetensors")) return WordVectors.fromWord2vecText(await readText(path, "word vectors in the word2vec text format"), path);
  const { model, vocab } = skipGramFromMetadata(...(await checkpointHeader(path)));
  await loadSafetensors(model, path);
  return WordVectors.of(model, vocab);
}

/**
 * Sets the rows of `embedding` for the vocabulary's words that `vectors` knows (lower-cased
 * lookups); the other rows keep their initialisation and the padding row stays zero.
 * Returns how many words were found.
 */
export async function initEmbedding(embedding: Embedding, vocab: Vocabulary, vectors: WordVectors): Promise<number> {
  const d = embedding.embeddingDim;
  const table = Float32Array.from(await embedding.weight.data());
  let found = 0;
  vocab.tokens.forEach((t, i) => {
    if (i < 2 || !vectors.has(t)) return;
    table.set(vectors.vector(t), i * d);
    found++;
  });
  embedding.weight.assign(fromArray(table, [vocab.size, d]));
  return found;
}

/** `--embeddings FILE`: the vectors, and a line saying how many of the vocabulary's words they cover. */
export async function pretrained(path: string | undefined, vocab: Vocabulary): Promise<WordVectors | null> {
  if (!path) return null;
  const vectors = await loadWordVectors(path);
  const known = vocab.tokens.slice(2).filter((t) => vectors.has(t)).length;
  process.stderr.write(`train: ${path}: ${vectors.words.length} vectors of ${vectors.dim}; they cover ${known} of the ${vocab.size - 2} words of the vocabulary (the others start random)\n`);
  return vectors;
}
