/**
 * @file `npm run train -- --model textclf --data file.tsv`: a text classifier on the user's
 * `label<TAB>text` lines. Words are tokenised and counted on the training split (90 %, seeded)
 * into a vocabulary; the other 10 % is the test split reported after each epoch. The
 * checkpoint carries the vocabulary, the class names and the padded length, so `--resume`
 * (and any later use) rebuilds exactly the model that was trained.
 */
import { compile, compileTrainStep, type Tensor } from "../index.ts";
import { DataLoader } from "../data/loader.ts";
import { padSequences, parseLabeledTexts, splitIndices } from "../data/text.ts";
import { Vocabulary, wordTokens } from "../text/vocab.ts";
import { BagOfWordsClassifier, TextClassifier, textClassifierFromMetadata, textClassifierMetadata } from "../models/text_classifier.ts";
import { loadSafetensors } from "../io/safetensors.ts";
import { FormatError } from "../errors.ts";
import { initEmbedding, pretrained } from "./word_vectors.ts";
import type { TrainArgs } from "./args.ts";
import { checkpointHeader } from "./loop.ts";
import { accuracyEvaluation, makeOptimizer, trainLoop, trainingBatches, readText } from "./loop.ts";

export async function trainTextClassifier(args: TrainArgs): Promise<true | "SIGINT" | "SIGTERM"> {
  const file = args.data!;
  const source = await readText(file, "the examples");
  const resumed = args.resume ? textClassifierFromMetadata(...(await checkpointHeader(args.resume))) : null;
  const data = parseLabeledTexts(source, file, resumed?.classes);
  const tokens = data.texts.map(wordTokens);
  const { train: pool, test } = splitIndices(tokens.length, 0.1, args.seed);
  // --val N: N of the training split held out (the last N of its seeded order; default 10 %)
  const nVal = args.val ?? Math.floor(pool.length / 10);
  if (nVal >= pool.length) throw new FormatError(`--val ${nVal}: the training split has only ${pool.length} examples; hold out fewer`);
  const train = pool.subarray(0, pool.length - nVal), val = pool.subarray(pool.length - nVal);
  const vocab = resumed?.vocab ?? Vocabulary.build(Array.from(train, (i) => tokens[i]), { maxSize: 20000 });
  const longest = tokens.reduce((m, t) => Math.max(m, t.length), 1);
  const maxLen = resumed?.maxLen ?? Math.min(args.maxLen, longest);
  const counts = data.classes.map((c, k) => `${c} ${data.y.filter((v) => v === k).length}`).join(", ");
  process.stderr.write(`train: ${file}: ${tokens.length} examples (${counts}): ${train.length} training, ${val.length} validation (--val N), ${test.length} test; vocabulary ${vocab.size} words; ${maxLen} tokens per example\n`);

  if (resumed && (resumed.model instanceof BagOfWordsClassifier) !== (args.model === "bow")) {
    throw new FormatError(`${args.resume}: a ${resumed.model instanceof BagOfWordsClassifier ? "bow" : "textclf"} checkpoint; pass --model ${resumed.model instanceof BagOfWordsClassifier ? "bow" : "textclf"} to resume it`);
  }
  const vectors = resumed || args.model === "bow" ? null : await pretrained(args.embeddings, vocab);
  const model = resumed?.model ?? (args.model === "bow" ? new BagOfWordsClassifier(vocab.size, data.classes.length)
    : new TextClassifier(vocab.size, data.classes.length, { hiddenSize: args.hidden ?? 64, cell: args.cell, embeddingDim: vectors?.dim }));
  if (vectors && model instanceof TextClassifier) await initEmbedding(model.embedding, vocab, vectors);
  const title = model instanceof BagOfWordsClassifier ? "bag-of-words logistic regression"
    : `text classifier (embedding ${model.config.embeddingDim}, ${model.config.bidirectional ? "bidirectional " : ""}${model.config.cell.toUpperCase()} ${model.config.hiddenSize})`;
  // the weights now; the optimizer's state and the epoch come with the training state (trainLoop)
  const resume = args.resume ? { path: args.resume, metadata: await loadSafetensors(model, args.resume) } : undefined;
  const block = (idx: Int32Array) => ({
    x: padSequences(Array.from(idx, (i) => vocab.encode(tokens[i])), maxLen),
    y: Int32Array.from(idx, (i) => data.y[i]),
  });
  const tr = block(train), te = block(test), va = nVal ? block(val) : null;
  const score = (set: { x: Int32Array; y: Int32Array }, name: "val" | "test") => accuracyEvaluation(model, predict, new DataLoader(set.x, set.y, [maxLen], { batchSize: 256 }), name, "examples");
  const opt = makeOptimizer(model, args, title);
  const predict = compile((x: Tensor) => model.forward(x));
  return trainLoop({
    onNonFinite: args.onNonFinite, out: args.out, recipe: args,
    model, epochs: args.epochs, metric: "accuracy", unit: "ex", unitsPerExample: 1,
    step: compileTrainStep(model, opt, { clipGradNorm: args.clip, meter: "accuracy" }),
    loader: trainingBatches(tr.x, tr.x, tr.y, [maxLen], { batchSize: args.batch, shuffle: true, seed: args.seed }),
    evaluate: () => score(va ?? te, va ? "val" : "test"),
    test: va ? () => score(te, "test") : undefined,
    optimizer: opt, resume, seed: args.seed,
    metadata: () => textClassifierMetadata(model, { vocab, classes: data.classes, maxLen }),
  });
}
