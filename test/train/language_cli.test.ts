/**
 * The language commands as a user runs them: `--model tagger` on CoNLL files and `npm run
 * tag`; `--model skipgram` and `npm run similar` (on the checkpoint and on the word2vec text
 * it writes); `--model bow`, the text classifier's logistic-regression baseline; and their
 * refusals of bad input, with the file and line.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { expect, it } from "vitest";
import { formatConll } from "../../src/text/conll.ts";
import { syntheticNer } from "../../src/text/synthetic_ner.ts";
import { reviews } from "../helpers/corpora.ts";
import { seeded } from "../helpers/gradcheck.ts";

const root = resolve(__dirname, "../..");
const node = (script: string) => (args: string[], input?: string) => spawnSync("node", ["--import", "tsx", script, ...args], { cwd: root, encoding: "utf8", input });
const train = node("src/cli/train.ts"), tag = node("src/cli/tag.ts"), similar = node("src/cli/similar.ts");
const tmp = () => mkdtempSync(join(tmpdir(), "webgpu-dl-lang-"));
const THEORY = ["Tenzing Norgay climbed Mount Everest", "Obama visits Paris France", "Steve Jobs' Apple Inc. changed tech", "Spain Italy win medals"];

it("--model tagger trains on CoNLL files and scores spans per type; npm run tag tags sentences from its checkpoint", () => {
  const dir = tmp();
  const [data, dev] = [join(dir, "train.conll"), join(dir, "dev.conll")];
  writeFileSync(data, formatConll(syntheticNer(300, 1)));
  writeFileSync(dev, formatConll(syntheticNer(60, 2)));
  const ckpt = join(dir, "nested", "tagger.safetensors"); // the folder is made
  const r = train(["--model", "tagger", "--data", data, "--dev", dev, "--epochs", "3", "--lr", "0.01", "--hidden", "32", "--backend", "cpu", "--out", ckpt]);
  expect(r.status, r.stderr).toBe(0);
  expect(r.stderr).toMatch(/train\.conll: 300 training sentences, 60 held out \(.*dev\.conll\); \d+ words, entity types LOC, MISC, ORG, PER/);
  expect(r.stderr).toMatch(/^PER +precision +[\d.]+% +recall +[\d.]+% +F1 +[\d.]+ +\(\d+ gold/m);
  const f1 = Number(/epoch 3: train loss [\d.]+, held-out span F1 ([\d.]+) \(precision/.exec(r.stdout)![1]);
  expect(f1).toBeGreaterThanOrEqual(90);
  expect(existsSync(ckpt)).toBe(true);

  const t = tag(["--ckpt", ckpt, ...THEORY]);
  expect(t.status, t.stderr).toBe(0);
  const lines = t.stdout.trim().split("\n");
  expect(lines).toHaveLength(8); // each sentence, then its entities
  expect(lines[4]).toMatch(/^Steve\/\S+ Jobs\/\S+ '\/\S+ Apple\/\S+ Inc\.\/\S+ changed\/\S+ tech\/\S+$/);
  expect(lines[1]).toMatch(/^ {2}(\(no entities\)|[A-Z]+: .+)$/);
  // from stdin, as CoNLL lines
  const c = tag(["--ckpt", ckpt, "--conll"], "Obama visits Paris\n");
  expect(c.stdout).toMatch(/^Obama\t[BIO][-A-Z]*\nvisits\t\S+\nParis\t\S+\n\n$/);

  writeFileSync(join(dir, "bad.conll"), "Obama B-PER\nvisits O\n\nParis LOCATION\n");
  const bad = train(["--model", "tagger", "--data", join(dir, "bad.conll"), "--backend", "cpu"]);
  expect(bad.status).toBe(1);
  expect(bad.stderr).toMatch(/bad\.conll:4: the tag "LOCATION" is not O, B-TYPE or I-TYPE/);
  const wrong = tag(["--ckpt", ckpt.replace("tagger", "missing"), "Obama"]);
  expect(wrong.status).toBe(1);
}, 300_000);

it("--model skipgram writes a checkpoint and word2vec text; npm run similar reads both", () => {
  const dir = tmp();
  const rng = seeded(3);
  // one planted group per line (a_k b_k then x_k or y_k) among random fillers, paragraphs of 3 lines
  const lines = Array.from({ length: 1200 }, (_, i) => {
    const k = i % 4;
    const words = Array.from({ length: 6 }, () => `f${Math.floor(rng() * 30)}`);
    words.splice(Math.floor(rng() * 6), 0, `a${k}`, `b${k}`, rng() < 0.5 ? `x${k}` : `y${k}`);
    return words.join(" ") + (i % 3 === 2 ? "\n" : "");
  });
  const text = join(dir, "planted.txt");
  writeFileSync(text, lines.join("\n"));
  const ckpt = join(dir, "emb.safetensors");
  const r = train(["--model", "skipgram", "--text", text, "--epochs", "3", "--dim", "16", "--window", "2", "--min-count", "2", "--subsample", "0", "--batch", "512", "--lr", "0.02", "--backend", "cpu", "--out", ckpt]);
  expect(r.status, r.stderr).toBe(0);
  expect(r.stderr).toMatch(/planted\.txt: \d+ words in 400 paragraphs; vocabulary 46 words seen ≥ 2 times/);
  expect(r.stderr).toMatch(/skip-gram \(2 tables of 48 × 16, updated by the rows each step uses \(lazy Adam\)\)/);
  expect(r.stdout).toMatch(/^epoch 3: train loss [\d.]+, 46 word vectors of 16/m);
  const vec = join(dir, "emb.w2v.txt");
  expect(readFileSync(vec, "utf8").split("\n")[0]).toBe("46 16");

  for (const file of [ckpt, vec]) {
    const s = similar(["--ckpt", file, "--word", "x1", "--k", "3"]);
    expect(s.status, s.stderr).toBe(0);
    expect(s.stdout).toMatch(/^x1:\n {2}y1 +0\.\d{4}\n/);
  }
  // the vectors as a tagger's starting point: their size sets the embedding size
  const conll = join(dir, "t.conll");
  writeFileSync(conll, "x1 B-X\nf2 O\nzzz O\n\na1 O\nx2 B-X\n");
  const t = train(["--model", "tagger", "--data", conll, "--dev", conll, "--embeddings", vec, "--epochs", "1", "--hidden", "4", "--backend", "cpu"]);
  expect(t.status, t.stderr).toBe(0);
  expect(t.stderr).toMatch(/emb\.w2v\.txt: 46 vectors of 16; they cover 4 of the 5 words of the vocabulary/);
  expect(t.stderr).toMatch(/sequence tagger \(embedding 16 \+ word shape/);

  const a = similar(["--ckpt", vec, "--word", "x2 - y2 + y3", "--word", "nosuchword"]);
  expect(a.stdout).toMatch(/^x2 - y2 \+ y3:\n( {2}\S+ +-?\d\.\d{4}\n){10}$/);
  expect(a.stderr).toMatch(/"nosuchword" not in the vocabulary/);
  expect(a.status).toBe(1);
}, 300_000);

it("--model bow, the bag-of-words logistic regression, learns the reviews and refuses a textclf checkpoint", () => {
  const dir = tmp();
  const { texts, y } = reviews(300, 7);
  const data = join(dir, "reviews.tsv");
  writeFileSync(data, texts.map((t, i) => `${y[i] ? "pos" : "neg"}\t${t}`).join("\n"));
  const ckpt = join(dir, "bow.safetensors");
  const r = train(["--model", "bow", "--data", data, "--val", "0", "--epochs", "6", "--lr", "0.1", "--backend", "cpu", "--out", ckpt]);
  expect(r.status, r.stderr).toBe(0);
  expect(r.stderr).toMatch(/bag-of-words logistic regression, \d+ parameters, adam lr 0.1/);
  expect(Number(/epoch 6: .* test acc ([\d.]+)%/.exec(r.stdout)![1])).toBeGreaterThanOrEqual(90);
  const wrong = train(["--model", "textclf", "--data", data, "--resume", ckpt, "--epochs", "7", "--backend", "cpu"]);
  expect(wrong.status).toBe(1);
  expect(wrong.stderr).toMatch(/a bow checkpoint; pass --model bow to resume it/);
}, 300_000);
