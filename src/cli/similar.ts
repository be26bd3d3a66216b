/**
 * @file `npm run similar -- --ckpt emb.safetensors --word W [--k 10]`: the nearest neighbours
 * of a word by cosine in embeddings trained by `npm run train -- --model skipgram`, or an
 * analogy `--word "paris - france + italy"` (3CosAdd: the words nearest to a − b + c, the
 * query's words left out). --ckpt may also be a word2vec text file (`X.w2v.txt`, or one
 * written by gensim or word2vec). --word may be repeated.
 */
import { parseFlags } from "./flags.ts";
import { setBackend } from "../index.ts";
import { parseQuery } from "../models/skipgram.ts";
import { loadWordVectors } from "./word_vectors.ts";

const USAGE = `usage: npm run similar -- --ckpt FILE --word W [--word "a - b + c" …] [--k 10]
  --ckpt FILE    a checkpoint saved by npm run train -- --model skipgram --out FILE, or a
                 word2vec text file (.txt / .vec)
  --word W       a word (its nearest neighbours) or "a - b + c" (an analogy); repeatable
  --k N          how many neighbours (default 10)`;

async function main() {
  const { values, fail, int, all } = parseFlags("similar", USAGE, { ckpt: { type: "string" }, word: { type: "string", multiple: true }, k: { type: "string", default: "10" } });
  const ckpt = values.ckpt || fail("--ckpt FILE is required");
  const queries = all("word");
  if (queries.length === 0) fail("--word W is required");
  const k = int("k", values.k, 1)!;
  await setBackend("cpu");
  const vectors = await loadWordVectors(ckpt);
  for (const q of queries) {
    const terms = parseQuery(q);
    const unknown = terms.filter((t) => !vectors.has(t.word)).map((t) => t.word);
    if (unknown.length) {
      process.stderr.write(`similar: ${unknown.map((w) => `"${w}"`).join(", ")} not in the vocabulary of ${ckpt} (${vectors.words.length} words)\n`);
      process.exitCode = 1;
      continue;
    }
    const found = terms.length === 1 && terms[0].sign === 1 ? vectors.similar(terms[0].word, k) : vectors.analogy(terms, k);
    process.stdout.write(`${terms.map((t, i) => `${i === 0 ? (t.sign < 0 ? "-" : "") : t.sign < 0 ? " - " : " + "}${t.word}`).join("")}:\n${found.map((n) => `  ${n.word.padEnd(16)} ${n.cosine.toFixed(4)}`).join("\n")}\n`);
  }
}

main().catch((e) => {
  process.stderr.write(`similar: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}\n`);
  process.exit(1);
});
