/**
 * @file `npm run sample -- --ckpt FILE`: generates text from a character-level language model
 * trained with `npm run train -- --model charlm`. The checkpoint carries the vocabulary and
 * the model's sizes; the text goes to stdout (the prime first), messages to stderr.
 */
import { parseFlags } from "./flags.ts";
import { setBackend } from "../index.ts";
import { charLMFromMetadata, generate } from "../models/char_lm.ts";
import { loadSafetensors } from "../io/safetensors.ts";
import { checkpointHeader } from "./loop.ts";

const USAGE = `usage: npm run sample -- --ckpt FILE [options]
  --ckpt FILE                a checkpoint saved by npm run train -- --model charlm --out FILE
  --temperature T            0 = always the likeliest character; higher = more varied (default 0.8)
  --length N                 characters to generate (default 500)
  --prime TEXT               text to start from (default: none)
  --seed S                   seed of the sampling (default 0)
  --backend auto|cpu|webgpu  where to run (default cpu: one character at a time is latency-bound)
  --cpu-mode fast|reference  the CPU backend's kernels (default fast; reference: float64 sums)`;

async function main() {
  const { values, fail, int, oneOf } = parseFlags("sample", USAGE, {
    ckpt: { type: "string" }, temperature: { type: "string", default: "0.8" }, length: { type: "string", default: "500" },
    prime: { type: "string", default: "" }, seed: { type: "string", default: "0" }, backend: { type: "string", default: "cpu" }, "cpu-mode": { type: "string", default: "fast" },
  });
  const ckpt = values.ckpt || fail("--ckpt FILE is required");
  const temperature = Number(values.temperature!);
  if (!(temperature >= 0)) fail(`--temperature must be a number ≥ 0, got "${values.temperature}"`);
  const length = int("length", values.length!, 1)!;
  const seed = int("seed", values.seed!, 0)!;
  const backend = oneOf("backend", values.backend!, ["auto", "cpu", "webgpu"] as const);

  await setBackend(backend, { mode: oneOf("cpu-mode", values["cpu-mode"]!, ["fast", "reference"] as const) });
  const { model, vocab } = charLMFromMetadata(...(await checkpointHeader(ckpt)));
  await loadSafetensors(model, ckpt);
  const unknown = [...new Set(Array.from(values.prime!))].filter((c) => !vocab.has(c));
  if (unknown.length) process.stderr.write(`sample: the prime has characters the model never saw (${JSON.stringify(unknown.join(""))}); they are read as <unk>\n`);
  const text = await generate(model, vocab, { prime: values.prime, length, temperature, seed });
  process.stdout.write(`${values.prime}${text}\n`);
}

main().catch((e) => {
  process.stderr.write(`sample: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}\n`);
  process.exit(1);
});
