/**
 * @file `npm run synthetic-ner [-- --out DIR --train N --dev N]`: writes a SYNTHETIC BIO-tagged
 * corpus (src/text/synthetic_ner.ts: template sentences with PER, LOC, ORG and MISC names,
 * not real text) as CoNLL files, for trying `npm run train -- --model tagger` where no tagged
 * corpus is at hand: DIR/synthetic-train.conll and DIR/synthetic-dev.conll (other seeds).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseFlags } from "../src/cli/flags.ts";
import { formatConll } from "../src/text/conll.ts";
import { syntheticNer } from "../src/text/synthetic_ner.ts";

const USAGE = `usage: npm run synthetic-ner -- [options]
  --out DIR     where to write synthetic-train.conll and synthetic-dev.conll (default ner-data)
  --train N     training sentences (default 2000)
  --dev N       development sentences (default 500)
  --seed S      seed of the training sentences (the dev set uses S + 1; default 1)`;

const { values, int } = parseFlags("synthetic-ner", USAGE, {
  out: { type: "string", default: "ner-data" }, train: { type: "string", default: "2000" }, dev: { type: "string", default: "500" }, seed: { type: "string", default: "1" },
});
const out = values.out!;
const seed = int("seed", values.seed, 0)!;
mkdirSync(out, { recursive: true });
for (const [name, n, s] of [["synthetic-train.conll", int("train", values.train, 1)!, seed], ["synthetic-dev.conll", int("dev", values.dev, 1)!, seed + 1]] as const) {
  writeFileSync(join(out, name), `-DOCSTART- SYNTHETIC (template sentences from src/text/synthetic_ner.ts, not real text) O\n\n${formatConll(syntheticNer(n, s))}`);
  process.stderr.write(`synthetic-ner: ${n} synthetic sentences → ${join(out, name)}\n`);
}
