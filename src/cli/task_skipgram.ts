/**
 * @file `npm run train -- --model skipgram --text FILE [--text FILE …]`: skip-gram word
 * embeddings with negative sampling (src/text/skipgram.ts for the data, src/models/skipgram.ts
 * for the model). Documents are the files' paragraphs (blank lines, or fortune's `%` lines,
 * end one). After each epoch the nearest neighbours of a few words are printed; with --out
 * the checkpoint is written each epoch and, at the end, the vectors in the word2vec text
 * format beside it (`X.safetensors` → `X.w2v.txt`), for `npm run similar` or gensim.
 */
import { compileTrainStep } from "../index.ts";
import { wordTokens } from "../text/vocab.ts";
import { SkipGramBatches, skipGramCorpus } from "../text/skipgram.ts";
import { SkipGram, WordVectors, skipGramFromMetadata, skipGramLoss, skipGramMetadata } from "../models/skipgram.ts";
import { loadSafetensors, writeFileAtomic } from "../io/safetensors.ts";
import type { TrainArgs } from "./args.ts";
import { checkpointHeader, makeOptimizer, readText, trainLoop } from "./loop.ts";

/** Paragraphs of a text: split at blank lines and at lines holding only `%` (fortune files). */
export function paragraphs(text: string): string[] {
  return text.split(/\r?\n(?:[ \t]*%?[ \t]*\r?\n)+|^%\r?\n|\r?\n%$/m).filter((p) => p.trim() !== "");
}

/** Probe words for the per-epoch neighbours: the theory's examples when known, else frequent words past the 30 commonest. */
function probes(vectors: WordVectors): string[] {
  const wanted = ["computer", "law", "love", "science"].filter((w) => vectors.has(w));
  return wanted.length >= 2 ? wanted : vectors.words.slice(30, 34);
}

export async function trainSkipGram(args: TrainArgs): Promise<true | "SIGINT" | "SIGTERM"> {
  const docs: string[][] = [];
  for (const file of args.texts) for (const p of paragraphs(await readText(file, "the text"))) docs.push(wordTokens(p));
  const resumed = args.resume ? skipGramFromMetadata(...(await checkpointHeader(args.resume))) : null;
  const corpus = skipGramCorpus(docs, args.minCount, resumed?.vocab);
  const loader = new SkipGramBatches(corpus, { window: args.window, negatives: args.negatives, subsample: args.subsample, seed: args.seed, batchSize: args.batch });
  const words = docs.reduce((n, d) => n + d.length, 0);
  process.stderr.write(`train: ${args.texts.join(", ")}: ${words} words in ${docs.length} paragraphs; vocabulary ${corpus.vocab.size - 2} words seen ≥ ${args.minCount} times (${corpus.total} of the words); ${loader.pairs} pairs an epoch (window ≤ ${args.window}, subsample ${args.subsample}), ${args.negatives} negatives each\n`);
  const model = resumed?.model ?? new SkipGram(corpus.vocab.size, args.dim);
  // the tables are updated by rows (a step's work does not grow with the vocabulary) with
  // Adam (lazily) and no weight decay; SGD's momentum and weight decay move every row
  const sparse = args.optimizer === "adam" && (args.weightDecay ?? 0) === 0;
  for (const t of [model.inEmbed, model.outEmbed]) t.weight.sparseGrad = sparse;
  const resume = args.resume ? { path: args.resume, metadata: await loadSafetensors(model, args.resume) } : undefined;
  const opt = makeOptimizer(model, args, `skip-gram (2 tables of ${corpus.vocab.size} × ${model.dim}, ${sparse ? "updated by the rows each step uses (lazy Adam)" : `updated whole (${args.optimizer === "sgd" ? "SGD's momentum" : "weight decay"} moves every row)`})`);
  const done = await trainLoop({
    onNonFinite: args.onNonFinite, out: args.out, recipe: args,
    model, epochs: args.epochs, metric: "loss", unit: "pair", unitsPerExample: 1,
    step: compileTrainStep(model, opt, { loss: skipGramLoss, meter: "loss" }),
    loader,
    evaluate: async () => {
      const vectors = await WordVectors.of(model, corpus.vocab);
      for (const w of probes(vectors)) process.stderr.write(`  ${w}: ${vectors.similar(w, 6).map((n) => `${n.word} ${n.cosine.toFixed(2)}`).join(", ")}\n`);
      return { summary: `${corpus.vocab.size - 2} word vectors of ${model.dim}`, scores: {} };
    },
    optimizer: opt, resume, seed: args.seed,
    metadata: () => skipGramMetadata(model, corpus.vocab),
  });
  if (args.out && done === true) {
    const path = `${args.out.replace(/\.safetensors$/, "")}.w2v.txt`;
    await writeFileAtomic(path, new TextEncoder().encode((await WordVectors.of(model, corpus.vocab)).toWord2vecText()));
    process.stderr.write(`train: wrote the vectors in the word2vec text format to ${path}\n`);
  }
  return done;
}
