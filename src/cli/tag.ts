/**
 * @file `npm run tag -- --ckpt tagger.safetensors "Obama visits Paris" …`: tags sentences
 * with a tagger trained by `npm run train -- --model tagger`. Each argument is a sentence
 * (without one, each line of stdin is); it is tokenised as `tagTokens` does (case kept,
 * punctuation apart), and printed as `token/TAG …` with its entities below, or as CoNLL
 * lines with --conll.
 */
import { parseFlags } from "./flags.ts";
import { setBackend } from "../index.ts";
import { tagSentences, taggerFromMetadata } from "../models/tagger.ts";
import { loadSafetensors } from "../io/safetensors.ts";
import { spans, tagTokens, formatConll } from "../text/conll.ts";
import { checkpointHeader } from "./loop.ts";

const USAGE = `usage: npm run tag -- --ckpt FILE [options] "a sentence" …
  --ckpt FILE                a checkpoint saved by npm run train -- --model tagger --out FILE
  --conll                    print token<TAB>tag lines (a blank line after each sentence)
  --backend auto|cpu|webgpu  where to run (default cpu)
  --cpu-mode fast|reference  the CPU backend's kernels (default fast; reference: float64 sums)
Each argument is a sentence; with none, each line of stdin is one.`;

async function main() {
  const { values, positionals, fail, oneOf, on } = parseFlags("tag", USAGE, { ckpt: { type: "string" }, backend: { type: "string", default: "cpu" }, "cpu-mode": { type: "string", default: "fast" } },
    process.argv.slice(2), { positionals: true, switches: ["conll"] });
  const conll = on.has("conll");
  const ckpt = values.ckpt || fail("--ckpt FILE is required");
  await setBackend(oneOf("backend", values.backend!, ["auto", "cpu", "webgpu"] as const), { mode: oneOf("cpu-mode", values["cpu-mode"]!, ["fast", "reference"] as const) });
  const { model, ...meta } = taggerFromMetadata(...(await checkpointHeader(ckpt)));
  await loadSafetensors(model, ckpt);
  let lines = positionals;
  if (lines.length === 0) {
    const { text } = await import("node:stream/consumers");
    lines = (await text(process.stdin)).split(/\r?\n/);
  }
  const sentences = lines.map((l) => ({ tokens: tagTokens(l) })).filter((s) => s.tokens.length > 0);
  const long = sentences.filter((s) => s.tokens.length > meta.maxLen).length;
  if (long) process.stderr.write(`tag: ${long} sentence(s) longer than the model's ${meta.maxLen} tokens; the rest of each is tagged O\n`);
  const tagged = await tagSentences(model, sentences, meta);
  sentences.forEach((s, i) => {
    const tags = s.tokens.map((_, j) => tagged[i][j] ?? "O");
    if (conll) return process.stdout.write(formatConll([{ tokens: s.tokens, tags }]));
    const found = spans(tags).map((e) => `${e.type}: ${s.tokens.slice(e.start, e.end).join(" ")}`);
    process.stdout.write(`${s.tokens.map((t, j) => `${t}/${tags[j]}`).join(" ")}\n  ${found.length ? found.join("; ") : "(no entities)"}\n`);
  });
}

main().catch((e) => {
  process.stderr.write(`tag: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}\n`);
  process.exit(1);
});
