/**
 * @file `npm run train -- --model charlm --text file.txt`: a character-level LSTM language
 * model. The first 90 % of the text is cut into next-character windows of --seq-len for
 * training, the last 10 % is held out; after each epoch the held-out perplexity is reported
 * (exp of the mean cross-entropy per character) and a short sample is printed. The checkpoint
 * carries the vocabulary, so `npm run sample -- --ckpt FILE` needs nothing else.
 */
import { compile, compileTrainStep, crossEntropy, type Tensor } from "../index.ts";
import { FormatError } from "../errors.ts";
import { DataLoader } from "../data/loader.ts";
import { nextTokenWindows } from "../data/text.ts";
import { Vocabulary, charTokens } from "../text/vocab.ts";
import { CharLM, charLMFromMetadata, charLMMetadata, generate } from "../models/char_lm.ts";
import { loadSafetensors, readSafetensorsHeader } from "../io/safetensors.ts";
import type { TrainArgs } from "./args.ts";
import { checkpointHeader } from "./loop.ts";
import { makeOptimizer, trainLoop, trainingBatches, readText } from "./loop.ts";

export async function trainCharLM(args: TrainArgs): Promise<true | "SIGINT" | "SIGTERM"> {
  const file = args.text!;
  const text = await readText(file, "the text");
  const chars = charTokens(text);
  if (text.trim() === "") throw new FormatError(`${file}: the text is empty; give --text a file with the text to learn`);
  const resumed = args.resume ? charLMFromMetadata(...(await checkpointHeader(args.resume))) : null;
  const vocab = resumed?.vocab ?? Vocabulary.build([chars]);
  const ids = vocab.encode(chars);
  const cut = Math.floor(ids.length * 0.9);
  const train = nextTokenWindows(ids.subarray(0, cut), args.seqLen, `${file} (first 90 %, for training)`);
  const held = nextTokenWindows(ids.subarray(cut), args.seqLen, `${file} (last 10 %, held out)`);
  process.stderr.write(`train: ${file}: ${chars.length} characters, ${vocab.size - 2} distinct; ${train.count} training and ${held.count} held-out windows of ${args.seqLen}\n`);

  const model = resumed?.model ?? new CharLM(vocab.size, { hiddenSize: args.hidden ?? 128 });
  // the weights now; the optimizer's state and the epoch come with the training state (trainLoop)
  const resume = args.resume ? { path: args.resume, metadata: await loadSafetensors(model, args.resume) } : undefined;
  const opt = makeOptimizer(model, args, `character LSTM (embedding ${model.config.embeddingDim}, hidden ${model.config.hiddenSize}, vocabulary ${vocab.size})`);
  const lossSum = compile((x: Tensor, y: Tensor) => crossEntropy(model.forward(x), y, { reduction: "sum" }));
  return trainLoop({
    onNonFinite: args.onNonFinite, out: args.out,
    model, epochs: args.epochs, metric: "perplexity", unit: "char", unitsPerExample: args.seqLen,
    step: compileTrainStep(model, opt, { clipGradNorm: args.clip, meter: "loss" }),
    loader: trainingBatches(train.x, train.x, train.y, [args.seqLen], { batchSize: args.batch, shuffle: true, seed: args.seed, labelShape: [args.seqLen] }),
    evaluate: async () => {
      let total = 0;
      for (const { x, y } of new DataLoader(held.x, held.y, [args.seqLen], { batchSize: 64, labelShape: [args.seqLen] })) total += await lossSum(x, y).item();
      const sample = await generate(model, vocab, { prime: chars[0], length: 120, temperature: 0.8, seed: args.seed });
      process.stderr.write(`sample: ${JSON.stringify(chars[0] + sample)}\n`);
      return `held-out perplexity ${Math.exp(total / (held.count * args.seqLen)).toFixed(3)} (${held.count * args.seqLen} characters)`;
    },
    optimizer: opt, resume, seed: args.seed,
    metadata: () => charLMMetadata(model, vocab),
  });
}
