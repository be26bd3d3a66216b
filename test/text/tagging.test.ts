/**
 * Sequence tagging: the CoNLL reader (the theory's four example sentences are the fixture),
 * conlleval's span rules and F1 on hand-worked cases, the tokenizer of `npm run tag`, and a
 * bidirectional-LSTM tagger that learns the synthetic corpus to ≥ 95 % held-out span F1 on
 * every backend.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { FormatError, compileTrainStep, manualSeed } from "../../src/index.ts";
import { Adam } from "../../src/optim/adam.ts";
import { DataLoader } from "../../src/data/loader.ts";
import { formatConll, parseConll, spanF1, spans, tagTokens } from "../../src/text/conll.ts";
import { syntheticNer } from "../../src/text/synthetic_ner.ts";
import { IGNORE, SequenceTagger, encodeSentences, tagSentences, tagSet, taggerLoss, taggerVocabulary, wordShape } from "../../src/models/tagger.ts";
import { onEachBackend, testBackends } from "../helpers/backends.ts";

const backends = await testBackends();
const THEORY = resolve(__dirname, "../fixtures/theory.conll");

describe("the CoNLL reader", () => {
  it("reads the theory's four sentences: tokens, BIO tags, -DOCSTART- skipped", () => {
    const s = parseConll(readFileSync(THEORY, "utf8"), THEORY);
    expect(s.map((x) => x.tokens.join(" "))).toEqual(["Tenzing Norgay climbed Mount Everest", "Obama visits Paris France", "Steve Jobs ' Apple Inc. changed tech", "Spain Italy win medals"]);
    expect(s[1].tags).toEqual(["B-PER", "O", "B-LOC", "B-LOC"]);
    expect(spans(s[2].tags)).toEqual([{ type: "PER", start: 0, end: 2 }, { type: "ORG", start: 3, end: 5 }]);
    // formatConll writes what parseConll reads
    expect(parseConll(formatConll(s), "round trip")).toEqual(s);
  });
  it("takes the token from the first column and the tag from the last (CoNLL-2003's four columns), with spaces or tabs", () => {
    expect(parseConll("EU NNP B-NP B-ORG\nrejects VBZ B-VP O\n\n\nGerman\tJJ\tB-MISC\r\n", "f")).toEqual([
      { tokens: ["EU", "rejects"], tags: ["B-ORG", "O"] }, { tokens: ["German"], tags: ["B-MISC"] },
    ]);
  });
  it("refuses a line without a tag, a tag that is not BIO, and an empty file, naming the file and line", () => {
    expect(() => parseConll("Obama B-PER\nvisits\n", "a.conll")).toThrow(new FormatError('a.conll:2: expected "token<TAB>tag" (the tag in the last column), found one column "visits"'));
    expect(() => parseConll("Obama PERSON\n", "b.conll")).toThrow(/b\.conll:1: the tag "PERSON" is not O, B-TYPE or I-TYPE/);
    expect(() => parseConll("\n-DOCSTART- O\n\n", "c.conll")).toThrow(/c\.conll: no tagged sentences/);
  });
});

describe("spans and span F1, as conlleval", () => {
  it("I- after O (or at the start, or after another type) starts an entity; B- always does", () => {
    expect(spans(["I-PER", "I-PER", "O", "I-LOC"])).toEqual([{ type: "PER", start: 0, end: 2 }, { type: "LOC", start: 3, end: 4 }]);
    // adjacent entities of one type need B-: B B is two, B I one
    expect(spans(["B-LOC", "B-LOC", "I-LOC"])).toEqual([{ type: "LOC", start: 0, end: 1 }, { type: "LOC", start: 1, end: 3 }]);
    // a type change inside a run splits it
    expect(spans(["B-PER", "I-LOC", "I-LOC"])).toEqual([{ type: "PER", start: 0, end: 1 }, { type: "LOC", start: 1, end: 3 }]);
  });
  it("counts an entity only with its type and both boundaries", () => {
    const gold = [["B-PER", "I-PER", "O", "B-LOC", "B-LOC"], ["B-ORG", "I-ORG", "O"]];
    const pred = [
      ["B-PER", "O", "O", "B-LOC", "B-LOC"], // PER cut short (wrong end); both LOCs right
      ["B-ORG", "I-ORG", "I-ORG"], // ORG one token too long
    ];
    const s = spanF1(gold, pred);
    expect(s.byType.LOC).toMatchObject({ gold: 2, predicted: 2, correct: 2, f1: 100 });
    expect(s.byType.PER).toMatchObject({ gold: 1, predicted: 1, correct: 0, f1: 0 });
    expect(s.byType.ORG).toMatchObject({ gold: 1, predicted: 1, correct: 0 });
    expect(s.overall).toMatchObject({ gold: 4, predicted: 4, correct: 2, precision: 50, recall: 50, f1: 50 });
  });
  it("merging two adjacent same-type entities (I- for B-) loses both; a wrong type is a miss and a false alarm", () => {
    const s = spanF1([["B-LOC", "B-LOC", "B-PER"]], [["B-LOC", "I-LOC", "B-ORG"]]);
    expect(s.overall).toMatchObject({ gold: 3, predicted: 2, correct: 0, f1: 0 });
    const p = spanF1([["B-PER", "O", "B-LOC"]], [["B-PER", "O", "O"]]).overall;
    expect([p.precision, p.recall]).toEqual([100, 50]);
    expect(p.f1).toBeCloseTo(200 / 3, 10);
    expect(() => spanF1([["O"]], [["O", "O"]])).toThrow(/sentence 0 has 1 gold tags but 2 predicted/);
  });
});

describe("tokens and features for tagging", () => {
  it("tagTokens keeps case and names, splits punctuation, keeps Inc.'s period", () => {
    expect(tagTokens("Steve Jobs' Apple Inc. changed tech")).toEqual(["Steve", "Jobs", "'", "Apple", "Inc.", "changed", "tech"]);
    expect(tagTokens("Obama visits Paris, France.")).toEqual(["Obama", "visits", "Paris", ",", "France", "."]);
  });
  it("word shapes: lower, Capitalised, CAPS, digit, punctuation", () => {
    expect(["tech", "Paris", "FIFA", "1998", ",", "a"].map(wordShape)).toEqual([1, 2, 3, 4, 5, 1]);
  });
  it("encodes right-padded ids and labels IGNORE at padding and for unknown tags", () => {
    const meta = { vocab: taggerVocabulary([{ tokens: ["Paris", "visits"] }]), tags: ["O", "B-LOC"], maxLen: 3 };
    const { x, y, truncated } = encodeSentences([{ tokens: ["paris", "Visits"], tags: ["B-LOC", "B-PER"] }, { tokens: ["a", "b", "c", "d"] }], meta);
    expect(Array.from(x.subarray(0, 6))).toEqual([meta.vocab.id("paris"), meta.vocab.id("visits"), 0, 1, 2, 0]);
    expect(Array.from(y)).toEqual([1, IGNORE, IGNORE, IGNORE, IGNORE, IGNORE]);
    expect(truncated).toBe(1);
  });
});

onEachBackend(backends, "a bidirectional LSTM tagger on the synthetic corpus", (backend) => {
  it("reaches ≥ 95 % span F1 on held-out sentences", async () => {
    manualSeed(0);
    const train = syntheticNer(400, 1), held = syntheticNer(100, 2);
    const meta = { vocab: taggerVocabulary(train), tags: tagSet(train), maxLen: 16 };
    const model = new SequenceTagger(meta.vocab.size, meta.tags.length, { embeddingDim: 32, hiddenSize: 32 });
    const step = compileTrainStep(model, new Adam(model.parameters(), { lr: 0.01 }), { loss: taggerLoss, clipGradNorm: 5 });
    const tr = encodeSentences(train, meta);
    const before = spanF1(held.map((s) => s.tags), await tagSentences(model, held, meta)).overall.f1;
    for (let epoch = 0; epoch < 4; epoch++) {
      model.train();
      for (const { x, y } of new DataLoader(tr.x, tr.y, [2, 16], { batchSize: 32, shuffle: true, seed: epoch, labelShape: [16] })) step(x, y);
    }
    const after = spanF1(held.map((s) => s.tags), await tagSentences(model, held, meta));
    expect(before, `untrained F1 on ${backend}`).toBeLessThan(50);
    expect(after.overall.f1, `held-out span F1 on ${backend}`).toBeGreaterThanOrEqual(95);
    expect(Object.keys(after.byType)).toEqual(["LOC", "MISC", "ORG", "PER"]);
  }, 240_000);
});
