/**
 * @file `npm run fortunes [-- --out DIR --classes a,b,…]`: turns Debian's `fortunes` package
 * (`apt-get install fortunes`: ~2.5 MB of real English in ~40 files, one `%` line between
 * fortunes) into the text tasks' data:
 *   DIR/classes.tsv   `label<TAB>text` lines, the label being the file the fortune comes from
 *                     (for --model textclf / bow), over --classes
 *   DIR/all.txt       every fortune of every file, a blank line between them (for --model
 *                     skipgram and charlm)
 * Fortunes are kept as they are except that a classified one is put on one line (its line
 * breaks and tabs become spaces) and ascii-art files are left out.
 */
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseFlags } from "../src/cli/flags.ts";
import { decodeText } from "../src/data/text.ts";

const USAGE = `usage: npm run fortunes -- [options]
  --source DIR     the fortune files (default /usr/share/games/fortunes)
  --out DIR        where to write classes.tsv and all.txt (default fortunes-data)
  --classes LIST   the files whose fortunes are the classes of classes.tsv
                   (default computers,politics,science,songs-poems,work,men-women)`;

const { values, fail } = parseFlags("fortunes", USAGE, {
  source: { type: "string", default: "/usr/share/games/fortunes" }, out: { type: "string", default: "fortunes-data" },
  classes: { type: "string", default: "computers,politics,science,songs-poems,work,men-women" },
});
const source = values.source!;
let names: string[] = [];
try {
  names = readdirSync(source).filter((f) => !f.includes(".") && !["art", "ascii-art"].includes(f)).sort();
} catch (e) {
  fail(`cannot read ${source} (${(e as Error).message}); install the fortunes with: apt-get install fortunes`);
}
if (names.length === 0) fail(`${source} holds no fortune files; install them with: apt-get install fortunes`);
const fortunes = new Map<string, string[]>();
for (const name of names) {
  const file = join(source, name);
  const text = decodeText(new Uint8Array(readFileSync(file)), file);
  fortunes.set(name, text.split(/\r?\n%\r?\n/).map((f) => f.replace(/\r?\n%\s*$/, "").trim()).filter((f) => f !== ""));
}
const classes = values.classes!.split(",").map((c) => c.trim());
const missing = classes.filter((c) => !fortunes.has(c));
if (missing.length) fail(`no fortune file ${missing.join(", ")} in ${source}; there are ${names.join(", ")}`);
const out = values.out!;
mkdirSync(out, { recursive: true });
const rows = classes.flatMap((c) => fortunes.get(c)!.map((f) => `${c}\t${f.replace(/\s+/g, " ")}`));
writeFileSync(join(out, "classes.tsv"), rows.join("\n") + "\n");
const all = [...fortunes.values()].flat();
writeFileSync(join(out, "all.txt"), all.join("\n\n") + "\n");
const chars = all.reduce((n, f) => n + f.length, 0);
process.stderr.write(`fortunes: ${names.length} files, ${all.length} fortunes, ${(chars / 1e6).toFixed(2)} M characters → ${join(out, "all.txt")}\n`);
process.stderr.write(`fortunes: ${rows.length} labelled fortunes (${classes.map((c) => `${c} ${fortunes.get(c)!.length}`).join(", ")}) → ${join(out, "classes.tsv")}\n`);
