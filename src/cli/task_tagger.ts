/**
 * @file `npm run train -- --model tagger --data train.conll [--dev dev.conll]`: a
 * bidirectional LSTM (or GRU) sequence tagger on CoNLL-style BIO data. Without --dev, 10 %
 * of the sentences (seeded) are held out. After each epoch the held-out sentences are tagged
 * and scored at the span level, conlleval's way (overall on the epoch line, per entity type
 * on stderr). The checkpoint carries the vocabulary, the tags and the padded length, so
 * `npm run tag -- --ckpt FILE "Obama visits Paris"` needs nothing else.
 */
import { compileTrainStep } from "../index.ts";
import { splitIndices } from "../data/text.ts";
import { parseConll, spanF1, formatSpanScores, type TaggedSentence } from "../text/conll.ts";
import { SequenceTagger, encodeSentences, tagSentences, tagSet, taggerFromMetadata, taggerLoss, taggerMetadata, taggerVocabulary, type TaggerMeta } from "../models/tagger.ts";
import { loadSafetensors } from "../io/safetensors.ts";
import { FormatError } from "../errors.ts";
import { initEmbedding, pretrained } from "./word_vectors.ts";
import type { TrainArgs } from "./args.ts";
import { checkpointHeader, makeOptimizer, readText, trainLoop, trainingBatches } from "./loop.ts";

export async function trainTagger(args: TrainArgs): Promise<true | "SIGINT" | "SIGTERM"> {
  const file = args.data!;
  const all = parseConll(await readText(file, "the tagged sentences"), file);
  let train: TaggedSentence[], held: TaggedSentence[], heldName: string;
  if (args.dev) {
    train = all;
    held = parseConll(await readText(args.dev, "the development sentences"), args.dev);
    heldName = args.dev;
  } else {
    if (all.length < 2) throw new FormatError(`${file}: ${all.length} sentence is too few to hold some out; pass --dev FILE`);
    const split = splitIndices(all.length, 0.1, args.seed);
    train = Array.from(split.train, (i) => all[i]);
    held = Array.from(split.test, (i) => all[i]);
    heldName = `10 % of ${file}`;
  }
  const resumed = args.resume ? taggerFromMetadata(...(await checkpointHeader(args.resume))) : null;
  const longest = train.reduce((m, s) => Math.max(m, s.tokens.length), 1);
  const meta: TaggerMeta = resumed ?? { vocab: taggerVocabulary(train), tags: tagSet(train), maxLen: Math.min(args.maxLen, longest) };
  const unseen = tagSet(held).filter((t) => !meta.tags.includes(t));
  if (unseen.length) process.stderr.write(`train: the held-out sentences have tags the training sentences lack (${unseen.join(", ")}); their tokens count as misses\n`);
  const tr = encodeSentences(train, meta);
  const types = [...new Set(meta.tags.filter((t) => t !== "O").map((t) => t.slice(2)))];
  process.stderr.write(`train: ${file}: ${train.length} training sentences, ${held.length} held out (${heldName}); ${meta.vocab.size} words, entity types ${types.join(", ")}; ${meta.maxLen} tokens per sentence${tr.truncated ? ` (${tr.truncated} longer ones cut; --max-len)` : ""}\n`);

  const vectors = resumed ? null : await pretrained(args.embeddings, meta.vocab);
  const model = resumed?.model ?? new SequenceTagger(meta.vocab.size, meta.tags.length, { hiddenSize: args.hidden ?? 64, cell: args.cell, embeddingDim: vectors?.dim });
  if (vectors) await initEmbedding(model.embedding, meta.vocab, vectors);
  const resume = args.resume ? { path: args.resume, metadata: await loadSafetensors(model, args.resume) } : undefined;
  const opt = makeOptimizer(model, args, `sequence tagger (embedding ${model.config.embeddingDim} + word shape ${model.config.shapeDim}, bidirectional ${model.config.cell.toUpperCase()} ${model.config.hiddenSize}, ${meta.tags.length} tags)`);
  return trainLoop({
    onNonFinite: args.onNonFinite, out: args.out, recipe: args,
    model, epochs: args.epochs, metric: "loss", unit: "sent", unitsPerExample: 1,
    step: compileTrainStep(model, opt, { loss: taggerLoss, clipGradNorm: args.clip, meter: "loss" }),
    loader: trainingBatches(tr.x, tr.x, tr.y, [2, meta.maxLen], { batchSize: args.batch, shuffle: true, seed: args.seed, labelShape: [meta.maxLen] }),
    evaluate: async () => {
      const scores = spanF1(held.map((s) => s.tags.slice(0, meta.maxLen)), await tagSentences(model, held, meta));
      process.stderr.write(`${formatSpanScores(scores)}\n`);
      const o = scores.overall;
      return { summary: `held-out span F1 ${o.f1.toFixed(2)} (precision ${o.precision.toFixed(2)}%, recall ${o.recall.toFixed(2)}%, ${o.gold} entities)`, scores: { dev_f1: o.f1, dev_precision: o.precision, dev_recall: o.recall }, best: { name: "dev_f1", value: o.f1, higher: true } };
    },
    optimizer: opt, resume, seed: args.seed,
    metadata: () => taggerMetadata(model, meta),
  });
}
