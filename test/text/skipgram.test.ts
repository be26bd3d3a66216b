/**
 * Skip-gram with negative sampling: word2vec's data rules (minimum count, subsampling,
 * dynamic windows inside a document, unigram^0.75 negatives), the loss against its formula,
 * the word2vec text format both ways, neighbours and analogies on hand-made vectors, and a
 * model that puts planted co-occurring pairs nearest to each other on every backend.
 */
import { describe, expect, it } from "vitest";
import { FormatError, PAD, UNK, Vocabulary, compileTrainStep, fromArray, manualSeed, nn } from "../../src/index.ts";
import { initEmbedding } from "../../src/cli/word_vectors.ts";
import { Adam } from "../../src/optim/adam.ts";
import { SkipGramBatches, noiseDistribution, skipGramCorpus, skipGramPairs } from "../../src/text/skipgram.ts";
import { SkipGram, WordVectors, parseQuery, skipGramLoss } from "../../src/models/skipgram.ts";
import { paragraphs } from "../../src/cli/task_skipgram.ts";
import { seeded } from "../helpers/gradcheck.ts";
import { onEachBackend, testBackends } from "../helpers/backends.ts";

const backends = await testBackends();

describe("skip-gram data", () => {
  it("drops words under the minimum count (not to <unk>) and never pairs across documents", () => {
    const c = skipGramCorpus([["a", "b", "rare", "a"], ["b", "a"]], 2);
    expect(c.vocab.tokens.slice(2)).toEqual(["a", "b"]);
    expect(c.docs.map((d) => Array.from(d, (i) => c.vocab.tokens[i]))).toEqual([["a", "b", "a"], ["b", "a"]]);
    expect(Array.from(c.counts)).toEqual([0, 0, 3, 2]);
    const pairs = skipGramPairs(c, { window: 1, subsample: 0 }, 0);
    // neighbours within a document only: a→b, b→a, b→a, a→b in the first, b→a, a→b in the second
    expect(Array.from(pairs, (i) => c.vocab.tokens[i]).join("")).toBe("abbabaab" + "baab");
    expect(() => skipGramCorpus([["x", "y"]], 2)).toThrow(FormatError);
  });
  it("a dynamic window: pairs at distance d ≤ W occur with probability (W − d + 1)/W", () => {
    const W = 3, n = 20000;
    const c = skipGramCorpus([Array.from({ length: n }, (_, i) => `w${i % 50}`)], 1);
    const pairs = skipGramPairs(c, { window: W, subsample: 0, seed: 3 }, 0);
    // the pairs of a centre come in order of position: recover the distance from the ids (i % 50)
    const id = (k: number) => Number(c.vocab.tokens[pairs[k]].slice(1));
    const byDistance = [0, 0, 0, 0, 0];
    for (let k = 0; k < pairs.length; k += 2) byDistance[Math.min(4, Math.abs(((id(k + 1) - id(k) + 75) % 50) - 25))]++;
    expect(byDistance[4]).toBe(0);
    const perSide = (d: number) => byDistance[d] / (2 * n);
    for (let d = 1; d <= W; d++) expect(perSide(d)).toBeCloseTo((W - d + 1) / W, 1);
  });
  it("subsamples a frequent word with word2vec's keep probability (√(f/t) + 1)·t/f", () => {
    // "the" is half of the corpus: f = 0.5, t = 1e-2 → keep ≈ (√50 + 1)/50 = 0.161; rare words are kept
    const words = Array.from({ length: 40000 }, (_, i) => (i % 2 ? "the" : `w${i % 200}`));
    const c = skipGramCorpus([words], 1);
    const kept = (epoch: number) => {
      const pairs = skipGramPairs(c, { window: 1, subsample: 1e-2, seed: 1 }, epoch);
      let the = 0;
      for (let k = 0; k < pairs.length; k += 2) if (c.vocab.tokens[pairs[k]] === "the") the++;
      return the / pairs.length * 2;
    };
    const share = kept(0);
    const keep = (Math.sqrt(0.5 / 1e-2) + 1) * 1e-2 / 0.5;
    expect(share).toBeCloseTo((20000 * keep) / (20000 * keep + 20000), 1);
    expect(kept(1)).not.toBe(share); // each epoch draws its own subsample
  });
  it("draws negatives from the unigram distribution to the 0.75 and targets [1, 0 … 0]; each epoch has the same number of pairs", async () => {
    const words = Array.from({ length: 6000 }, (_, i) => (i % 10 < 6 ? "a" : i % 10 < 9 ? "b" : "c"));
    const c = skipGramCorpus([words], 1);
    const cdf = noiseDistribution(c.counts);
    const p = [6, 3, 1].map((x) => x ** 0.75), z = p.reduce((s, x) => s + x, 0);
    expect(cdf[2]).toBeCloseTo(p[0] / z, 12);
    const loader = new SkipGramBatches(c, { window: 2, negatives: 4, subsample: 0, batchSize: 512, seed: 2 });
    const seen = new Map<number, number>();
    let rows = 0, same = 0, negatives = 0;
    for (const { x, y } of loader.epochBatches(0)) {
      const [xs, ys] = [await x.data(), await y.data()];
      expect(y.shape).toEqual([x.shape[0], 5]);
      for (let r = 0; r < x.shape[0]; r++) {
        expect(Array.from(ys.subarray(r * 5, r * 5 + 5))).toEqual([1, 0, 0, 0, 0]);
        for (let q = 2; q < 6; q++) {
          negatives++;
          if (xs[r * 6 + q] === xs[r * 6 + 1]) same++;
          // the shape of the distribution among the negatives of context "a" (id 2), which redraws of "a" leave alone
          else if (xs[r * 6 + 1] === 2) seen.set(xs[r * 6 + q], (seen.get(xs[r * 6 + q]) ?? 0) + 1);
        }
      }
      rows += x.shape[0];
    }
    expect(rows).toBe(loader.pairs);
    // b : c = 3^0.75 : 1 (2.28; plain unigram counts would give 3); a negative equal to its context is drawn again
    expect(seen.get(3)! / seen.get(4)!).toBeCloseTo(p[1] / p[2], 0);
    expect(Math.abs(seen.get(3)! / seen.get(4)! - 3)).toBeGreaterThan(0.4);
    expect(same / negatives).toBeLessThan(0.05);
    expect([...loader.epochBatches(1)].length).toBe(loader.length);
  });
  it("paragraphs split at blank lines and at fortune's % lines", () => {
    expect(paragraphs("a b\nc\n%\nd e\n%\nf\n\n\ng h\n%\n")).toEqual(["a b\nc", "d e", "f", "g h"]);
  });
});

describe("the skip-gram loss and word vectors", () => {
  it("is −log σ(u_o·v_c) − Σ log σ(−u_n·v_c), averaged over the batch", async () => {
    const scores = fromArray(new Float32Array([2, -1, 0.5, 0, 3, -3]), [2, 3]);
    const targets = fromArray(new Int32Array([1, 0, 0, 1, 0, 0]), [2, 3], "int32");
    const ls = (x: number) => Math.log(1 / (1 + Math.exp(-x)));
    const want = (-(ls(2) + ls(1) + ls(-0.5)) - (ls(0) + ls(-3) + ls(3))) / 2;
    expect(await skipGramLoss(scores, targets).item()).toBeCloseTo(want, 5);
  });
  it("finds neighbours by cosine and answers a − b + c, leaving out the query's words", () => {
    const v = new WordVectors(["king", "queen", "man", "woman", "apple"], new Float32Array([1, 1, 0, 0, 1, 1, 1, 0, 0, 0, 0, 1, 0.2, 0, 0]), 3);
    // cos(king, man) = 1/√2, cos(king, queen) = 1/2 = cos(king, apple)·√2
    expect(v.similar("king", 2).map((n) => n.word)).toEqual(["man", "apple"]);
    expect(v.similar("king", 1)[0].cosine).toBeCloseTo(Math.SQRT1_2, 6);
    expect(v.analogy(parseQuery("king - man + woman"), 1)[0].word).toBe("queen");
    expect(parseQuery("Paris - France+italy")).toEqual([{ word: "paris", sign: 1 }, { word: "france", sign: -1 }, { word: "italy", sign: 1 }]);
    expect(() => v.vector("pear")).toThrow(/"pear" is not in the vocabulary/);
  });
  it("initEmbedding copies the known words' vectors into an embedding table; the rest and the padding row stay", async () => {
    const vocab = new Vocabulary([PAD, UNK, "cat", "dog", "emu"]);
    const emb = new nn.Embedding(5, 2, { paddingIdx: 0 });
    const before = Array.from(await emb.weight.data());
    const found = await initEmbedding(emb, vocab, new WordVectors(["dog", "cat", "owl"], new Float32Array([1, 2, 3, 4, 5, 6]), 2));
    expect(found).toBe(2);
    expect(Array.from(await emb.weight.data())).toEqual([0, 0, ...before.slice(2, 4), 3, 4, 1, 2, ...before.slice(8)]);
  });
  it("round-trips the word2vec text format and refuses a bad line with the file and line", () => {
    const v = new WordVectors(["a", "b"], new Float32Array([0.1, -2.5e-3, 3, 1 / 3]), 2);
    const text = v.toWord2vecText();
    expect(text.split("\n")[0]).toBe("2 2");
    const back = WordVectors.fromWord2vecText(text, "v.txt");
    expect(back.words).toEqual(["a", "b"]);
    expect(Array.from(back.vectors)).toEqual(Array.from(v.vectors));
    expect(() => WordVectors.fromWord2vecText("2 2\na 1 2\nb 1\n", "bad.txt")).toThrow(new FormatError('bad.txt:3: expected a word and 2 numbers, found 1 field(s) after "b"'));
    expect(() => WordVectors.fromWord2vecText("a 1 2\n", "nohead.txt")).toThrow(/nohead\.txt:1: expected the word2vec header/);
  });
});

/**
 * Sentences of random filler words, each with one planted group: the context words a_k b_k
 * followed by x_k or y_k (a coin flip). So x_k and y_k co-occur with the same words, as
 * synonyms do, and nothing else ties them.
 */
function plantedCorpus(sentences: number, seed: number): string[][] {
  const rng = seeded(seed);
  const filler = Array.from({ length: 40 }, (_, i) => `f${i}`);
  return Array.from({ length: sentences }, () => {
    const words = Array.from({ length: 8 }, () => filler[Math.floor(rng() * filler.length)]);
    const k = Math.floor(rng() * 6);
    words.splice(Math.floor(rng() * 8), 0, `a${k}`, `b${k}`, rng() < 0.5 ? `x${k}` : `y${k}`);
    return words;
  });
}

onEachBackend(backends, "skip-gram on planted co-occurrences", (backend) => {
  it("puts each planted pair nearest to each other", async () => {
    manualSeed(0);
    const corpus = skipGramCorpus(plantedCorpus(1500, 7), 1);
    const loader = new SkipGramBatches(corpus, { window: 2, negatives: 5, subsample: 0, batchSize: 1024, seed: 0 });
    const model = new SkipGram(corpus.vocab.size, 16);
    const step = compileTrainStep(model, new Adam(model.parameters(), { lr: 0.02 }), { loss: skipGramLoss });
    for (let epoch = 0; epoch < 3; epoch++) for (const { x, y } of loader.epochBatches(epoch)) step(x, y);
    const vectors = await WordVectors.of(model, corpus.vocab);
    for (let k = 0; k < 6; k++) {
      expect(vectors.similar(`x${k}`, 1)[0].word, `nearest to x${k} on ${backend}`).toBe(`y${k}`);
      expect(vectors.similar(`y${k}`, 1)[0].word, `nearest to y${k} on ${backend}`).toBe(`x${k}`);
    }
  }, 240_000);
});
