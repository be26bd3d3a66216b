/**
 * @file `npm run sample -- --ckpt FILE`: generates text from a character-level language model
 * trained with `npm run train -- --model charlm`. The checkpoint carries the vocabulary and
 * the model's sizes; the text goes to stdout (the prime first), messages to stderr.
 */
import { parseArgs } from "node:util";
import { setBackend } from "../index.ts";
import { charLMFromMetadata, generate } from "../models/char_lm.ts";
import { loadSafetensors, readSafetensorsMetadata } from "../io/safetensors.ts";

const USAGE = `usage: npm run sample -- --ckpt FILE [options]
  --ckpt FILE                a checkpoint saved by npm run train -- --model charlm --out FILE
  --temperature T            0 = always the likeliest character; higher = more varied (default 0.8)
  --length N                 characters to generate (default 500)
  --prime TEXT               text to start from (default: none)
  --seed S                   seed of the sampling (default 0)
  --backend auto|cpu|webgpu  where to run (default cpu: one character at a time is latency-bound)`;

function fail(msg: string): never {
  process.stderr.write(`sample: ${msg}\n\n${USAGE}\n`);
  process.exit(2);
}

async function main() {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        ckpt: { type: "string" }, temperature: { type: "string", default: "0.8" }, length: { type: "string", default: "500" },
        prime: { type: "string", default: "" }, seed: { type: "string", default: "0" }, backend: { type: "string", default: "cpu" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (e) {
    fail((e as Error).message);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  if (!values.ckpt) fail("--ckpt FILE is required");
  const temperature = Number(values.temperature);
  if (!(temperature >= 0)) fail(`--temperature must be a number ≥ 0, got "${values.temperature}"`);
  const length = Number(values.length);
  if (!(Number.isInteger(length) && length >= 1)) fail(`--length must be an integer ≥ 1, got "${values.length}"`);
  const seed = Number(values.seed);
  if (!(Number.isInteger(seed) && seed >= 0)) fail(`--seed must be an integer ≥ 0, got "${values.seed}"`);
  if (!["auto", "cpu", "webgpu"].includes(values.backend!)) fail(`--backend must be auto, cpu or webgpu, got "${values.backend}"`);

  await setBackend(values.backend as "auto" | "cpu" | "webgpu");
  const { model, vocab } = charLMFromMetadata(await readSafetensorsMetadata(values.ckpt), values.ckpt);
  await loadSafetensors(model, values.ckpt);
  const unknown = [...new Set(Array.from(values.prime!))].filter((c) => !vocab.has(c));
  if (unknown.length) process.stderr.write(`sample: the prime has characters the model never saw (${JSON.stringify(unknown.join(""))}); they are read as <unk>\n`);
  const text = await generate(model, vocab, { prime: values.prime, length, temperature, seed });
  process.stdout.write(`${values.prime}${text}\n`);
}

main().catch((e) => {
  process.stderr.write(`sample: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}\n`);
  process.exit(1);
});
