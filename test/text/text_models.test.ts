/**
 * The text models on the CPU: a TextClassifier learns a small generated corpus, its pooling
 * ignores padding; a CharLM's held-out perplexity falls on a generated corpus; sampling is
 * seeded; checkpoints carry the vocabulary; bad input is refused with the model's name.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { compile, compileTrainStep, crossEntropy, fromArray, manualSeed, setBackend, FormatError, ShapeError, type Tensor } from "../../src/index.ts";
import { Adam } from "../../src/optim/adam.ts";
import { DataLoader } from "../../src/data/loader.ts";
import { nextTokenWindows, padSequences, splitIndices } from "../../src/data/text.ts";
import { Vocabulary, charTokens, wordTokens } from "../../src/text/vocab.ts";
import { TextClassifier, textClassifierFromMetadata, textClassifierMetadata } from "../../src/models/text_classifier.ts";
import { CharLM, charLMFromMetadata, charLMMetadata, generate } from "../../src/models/char_lm.ts";
import { loadStateDictBytes, stateDictBytes } from "../../src/io/safetensors.ts";
import { corpus, reviews } from "../helpers/corpora.ts";
import { values } from "../helpers/values.ts";
import { expectClose } from "../tolerance.ts";

beforeAll(() => setBackend("cpu"));

describe("TextClassifier", () => {
  it("learns a generated sentiment corpus (≥ 95 % on its held-out split)", async () => {
    manualSeed(0);
    const { texts, y } = reviews(400, 1);
    const tokens = texts.map(wordTokens);
    const { train, test } = splitIndices(texts.length, 0.25, 0);
    const vocab = Vocabulary.build(Array.from(train, (i) => tokens[i]));
    const L = 12;
    const block = (idx: Int32Array) => ({ x: padSequences(Array.from(idx, (i) => vocab.encode(tokens[i])), L), y: Int32Array.from(idx, (i) => y[i]) });
    const tr = block(train), te = block(test);
    const model = new TextClassifier(vocab.size, 2, { embeddingDim: 16, hiddenSize: 16 });
    const step = compileTrainStep(model, new Adam(model.parameters(), { lr: 1e-2 }), { clipGradNorm: 5 });
    for (let epoch = 0; epoch < 4; epoch++) {
      for (const { x, y: yb } of new DataLoader(tr.x, tr.y, [L], { batchSize: 32, shuffle: true, seed: epoch, dropLast: true })) await step(x, yb).loss.item();
    }
    model.eval();
    const logits = await model.forward(fromArray(te.x, [test.length, L], "int32")).data();
    let correct = 0;
    for (let i = 0; i < test.length; i++) if ((logits[2 * i + 1] > logits[2 * i] ? 1 : 0) === te.y[i]) correct++;
    expect(correct / test.length).toBeGreaterThanOrEqual(0.95);
  }, 300_000);

  it("pooling ignores padding: extra padding leaves a one-directional model's logits unchanged", async () => {
    manualSeed(2);
    const model = new TextClassifier(10, 3, { embeddingDim: 4, hiddenSize: 5, bidirectional: false, cell: "gru" });
    const short = await values(model.forward(fromArray(Int32Array.of(3, 4, 5, 6, 7, 0), [2, 3], "int32")));
    const long = await values(model.forward(fromArray(Int32Array.of(3, 4, 5, 0, 0, 6, 7, 0, 0, 0), [2, 5], "int32")));
    expectClose(long, short, { atol: 1e-7, rtol: 1e-6, why: "the same f32 math; only the length of the masked sums over time differs (adding exact zeros)" }, "logits");
  });

  it("refuses token ids that are not int32 [N, L], naming the model", () => {
    const model = new TextClassifier(10, 2);
    expect(() => model.forward(fromArray(new Float32Array(6), [2, 3]))).toThrow(ShapeError);
    expect(() => model.forward(fromArray(new Float32Array(6), [2, 3]))).toThrow("TextClassifier: expected int32 token ids [N, L], got float32[2,3]");
    expect(() => new TextClassifier(10, 1)).toThrow(/at least 2 classes/);
  });

  it("its checkpoint metadata rebuilds the same model, vocabulary, classes and length", async () => {
    manualSeed(3);
    const vocab = Vocabulary.build([["spam", "win", "ham"]]);
    const model = new TextClassifier(vocab.size, 2, { hiddenSize: 8, cell: "gru" });
    const bytes = await stateDictBytes(model, textClassifierMetadata(model, { vocab, classes: ["ham", "spam"], maxLen: 7 }));
    const meta = loadStateDictBytes(new TextClassifier(vocab.size, 2, { hiddenSize: 8, cell: "gru" }), bytes);
    const back = textClassifierFromMetadata(meta, "clf.safetensors");
    expect(back.model.config).toEqual(model.config);
    expect(back.vocab.tokens).toEqual(vocab.tokens);
    expect(back.classes).toEqual(["ham", "spam"]);
    expect(back.maxLen).toBe(7);
    loadStateDictBytes(back.model, bytes);
    expect(back.model).toBeInstanceOf(TextClassifier);
    expect(await values((back.model as TextClassifier).fc.weight)).toEqual(await values(model.fc.weight));
    expect(() => textClassifierFromMetadata({ model: "lenet5" }, "lenet.safetensors")).toThrow(/lenet\.safetensors: a checkpoint of --model lenet5, not textclf or bow; use it with npm run predict -- --ckpt lenet\.safetensors IMAGE\.png/);
  });
});

describe("CharLM", () => {
  it("held-out perplexity falls from about the vocabulary size to under 3 on a generated corpus", async () => {
    manualSeed(0);
    const text = corpus(400, 5);
    const chars = charTokens(text);
    const vocab = Vocabulary.build([chars]);
    const ids = vocab.encode(chars);
    const cut = Math.floor(ids.length * 0.9);
    const T = 16;
    const train = nextTokenWindows(ids.subarray(0, cut), T, "train");
    const held = nextTokenWindows(ids.subarray(cut), T, "held-out");
    const model = new CharLM(vocab.size, { embeddingDim: 16, hiddenSize: 48 });
    const lossSum = compile((x: Tensor, y: Tensor) => crossEntropy(model.forward(x), y, { reduction: "sum" }));
    const perplexity = async () => {
      model.eval();
      const x = fromArray(held.x, [held.count, T], "int32"), y = fromArray(held.y, [held.count, T], "int32");
      const p = Math.exp((await lossSum(x, y).item()) / (held.count * T));
      model.train();
      return p;
    };
    const before = await perplexity();
    expect(before).toBeGreaterThan(vocab.size / 2);
    const step = compileTrainStep(model, new Adam(model.parameters(), { lr: 1e-2 }), { clipGradNorm: 5 });
    for (let epoch = 0; epoch < 3; epoch++) {
      for (const { x, y } of new DataLoader(train.x, train.y, [T], { batchSize: 32, shuffle: true, seed: epoch, labelShape: [T], dropLast: true })) await step(x, y).loss.item();
    }
    const after = await perplexity();
    expect(after).toBeLessThan(3);
  }, 300_000);

  it("generate: the same seed gives the same text, only known characters, the asked length", async () => {
    manualSeed(4);
    const vocab = Vocabulary.build([charTokens("hello world")]);
    const model = new CharLM(vocab.size, { embeddingDim: 4, hiddenSize: 8 });
    const a = await generate(model, vocab, { prime: "he", length: 30, seed: 1 });
    expect(charTokens(a)).toHaveLength(30);
    expect(charTokens(a).every((c) => vocab.has(c) && c !== "<pad>" && c !== "<unk>")).toBe(true);
    expect(await generate(model, vocab, { prime: "he", length: 30, seed: 1 })).toBe(a);
    expect(await generate(model, vocab, { prime: "he", length: 30, seed: 2, temperature: 5 })).not.toBe(a);
    expect(await generate(model, vocab, { prime: "he", length: 10, seed: 1, temperature: 0 })).toBe(await generate(model, vocab, { prime: "he", length: 10, seed: 9, temperature: 0 }));
    await expect(generate(model, vocab, { temperature: -1 })).rejects.toThrow(/temperature must be ≥ 0/);
  });

  it("its checkpoint metadata carries the vocabulary; another model's checkpoint is refused", async () => {
    manualSeed(5);
    const vocab = Vocabulary.build([charTokens("abcab")]);
    const model = new CharLM(vocab.size, { hiddenSize: 6, numLayers: 2 });
    const meta = charLMMetadata(model, vocab);
    const shapes = new Map([...model.stateDict()].map(([k, t]) => [k, [...t.shape]]));
    const back = charLMFromMetadata(meta, "lm.safetensors", shapes);
    expect(back.vocab.tokens).toEqual(vocab.tokens);
    expect(back.model.config).toEqual(model.config);
    loadStateDictBytes(back.model, await stateDictBytes(model, meta));
    // sizes the file's tensors do not back are refused before anything is allocated
    expect(() => charLMFromMetadata({ ...meta, config: JSON.stringify({ ...model.config, hiddenSize: 8000 }) }, "big.safetensors", shapes)).toThrow("big.safetensors: the metadata implies fc.weight of [5,8000], the file holds [5,6]");
    expect(() => charLMFromMetadata({ model: "textclf" }, "x.safetensors", shapes)).toThrow(/x\.safetensors: a checkpoint of --model textclf, not charlm; use it with npm run predict -- --ckpt x\.safetensors "some text", or train a charlm with npm run train -- --model charlm --text FILE --out charlm\.safetensors/);
    expect(() => charLMFromMetadata({}, "y.safetensors", shapes)).toThrow(/y\.safetensors: not a checkpoint of --model charlm \(its metadata names no model webgpu-dl knows: null\)/);
    expect(() => model.forward(fromArray(Int32Array.of(1, 2), [2]))).toThrow("CharLM: expected int32 token ids [B, T], got int32[2]");
  });
});
