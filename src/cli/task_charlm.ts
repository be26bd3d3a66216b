/**
 * @file `npm run train -- --model charlm --text file.txt`: a character-level LSTM language
 * model. The first 90 % of the text is cut into next-character windows of --seq-len for
 * training, the last 10 % is held out; after each epoch the held-out perplexity is reported
 * (exp of the mean cross-entropy per character) and a short sample is printed. The checkpoint
 * carries the vocabulary, so `npm run sample -- --ckpt FILE` needs nothing else.
 * With `--bptt K` (truncated backprop through time) the training text is instead read as
 * --batch contiguous streams, K characters a step, in order, and the LSTM's state is carried
 * from step to step on the device, detached: the model sees context beyond K characters, and
 * the gradient goes back K steps. Each epoch starts the streams from a zero state (a resumed
 * run does too); the held-out perplexity is still measured on independent --seq-len windows.
 */
import { compile, compileTrainStep, crossEntropy, zeros, type Tensor } from "../index.ts";
import { FormatError } from "../errors.ts";
import { DataLoader } from "../data/loader.ts";
import { nextTokenWindows, streamWindows } from "../data/text.ts";
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
  const trainWhat = `${file} (first 90 %, for training)`;
  const window = args.bptt ?? args.seqLen;
  const train = args.bptt ? streamWindows(ids.subarray(0, cut), args.batch, args.bptt, trainWhat) : nextTokenWindows(ids.subarray(0, cut), args.seqLen, trainWhat);
  const held = nextTokenWindows(ids.subarray(cut), args.seqLen, `${file} (last 10 %, held out)`);
  const how = args.bptt
    ? `${args.batch} contiguous training streams read ${args.bptt} characters a step (${train.count} steps an epoch; truncated BPTT, the state carried over)`
    : `${train.count} training windows of ${args.seqLen}`;
  process.stderr.write(`train: ${file}: ${chars.length} characters, ${vocab.size - 2} distinct; ${how}; ${held.count} held-out windows of ${args.seqLen}\n`);

  const model = resumed?.model ?? new CharLM(vocab.size, { hiddenSize: args.hidden ?? 128 });
  // the weights now; the optimizer's state and the epoch come with the training state (trainLoop)
  const resume = args.resume ? { path: args.resume, metadata: await loadSafetensors(model, args.resume) } : undefined;
  const opt = makeOptimizer(model, args, `character LSTM (embedding ${model.config.embeddingDim}, hidden ${model.config.hiddenSize}, vocabulary ${vocab.size})`);
  const { numLayers, hiddenSize } = model.config;
  const carry = args.bptt ? {
    state: [zeros([numLayers, args.batch, hiddenSize]), zeros([numLayers, args.batch, hiddenSize])],
    forward: (x: Tensor, s: Tensor[]): [Tensor, Tensor[]] => model.forwardWithState(x, [s[0], s[1]]),
  } : undefined;
  const lossSum = compile((x: Tensor, y: Tensor) => crossEntropy(model.forward(x), y, { reduction: "sum" }));
  return trainLoop({
    onNonFinite: args.onNonFinite, out: args.out, recipe: args,
    model, epochs: args.epochs, metric: "perplexity", unit: "char", unitsPerExample: window,
    step: compileTrainStep(model, opt, { clipGradNorm: args.clip, meter: "loss", carry }),
    // streams are read in order (row b of a batch continues row b of the one before)
    loader: trainingBatches(train.x, train.x, train.y, [window], { batchSize: args.batch, shuffle: !args.bptt, seed: args.seed, labelShape: [window] }),
    evaluate: async () => {
      let total = 0;
      for (const { x, y } of new DataLoader(held.x, held.y, [args.seqLen], { batchSize: 64, labelShape: [args.seqLen] })) total += await lossSum(x, y).item();
      const sample = await generate(model, vocab, { prime: chars[0], length: 120, temperature: 0.8, seed: args.seed });
      process.stderr.write(`sample: ${JSON.stringify(chars[0] + sample)}\n`);
      const ppl = Math.exp(total / (held.count * args.seqLen));
      return { summary: `held-out perplexity ${ppl.toFixed(3)} (${held.count * args.seqLen} characters)`, scores: { held_out_ppl: ppl }, best: { name: "held_out_ppl", value: ppl, higher: false } };
    },
    optimizer: opt, resume, seed: args.seed,
    metadata: () => charLMMetadata(model, vocab),
  });
}
