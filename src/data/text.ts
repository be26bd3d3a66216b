/**
 * @file Text data for the sequence models: a reader for labelled examples (`label<TAB>text`
 * lines, or `label,text` in a .csv), padding of token-id lists into a fixed [N, L] block, a
 * seeded train/test split, and next-token windows over a character corpus. Readers validate
 * at the boundary: every error names the file and the line, and says what was expected.
 */
import { FormatError } from "../errors.ts";
import { permutation } from "../random.ts";

export interface LabeledTexts {
  /** Class names, sorted; label i of `y` is `classes[i]`. */
  classes: string[];
  y: Int32Array;
  texts: string[];
}

/** Strips one level of CSV quoting ("…" with "" for a quote). */
function unquote(field: string): string {
  const f = field.trim();
  return f.length >= 2 && f.startsWith('"') && f.endsWith('"') ? f.slice(1, -1).replaceAll('""', '"') : f;
}

/**
 * Parses `label<TAB>text` lines (`label,text` when `file` ends in .csv: the first comma
 * separates). Blank lines and a `label<TAB>text` header are skipped. With `classes` given
 * (e.g. from a checkpoint), a label outside them is an error instead of a new class.
 */
export function parseLabeledTexts(source: string, file: string, classes?: readonly string[]): LabeledTexts {
  const sep = file.toLowerCase().endsWith(".csv") ? "," : "\t";
  const sepName = sep === "," ? "comma" : "tab";
  const form = sep === "," ? "label,text" : "label<TAB>text";
  const labels: string[] = [];
  const texts: string[] = [];
  const lines = source.split(/\r?\n/);
  lines.forEach((line, i) => {
    if (line.trim() === "") return;
    const at = line.indexOf(sep);
    if (at < 0) throw new FormatError(`${file}:${i + 1}: expected "${form}", found no ${sepName} in ${JSON.stringify(line.slice(0, 60))}`);
    const label = unquote(line.slice(0, at));
    const text = sep === "," ? unquote(line.slice(at + 1)) : line.slice(at + 1).trim();
    if (i === 0 && label.toLowerCase() === "label" && text.toLowerCase() === "text") return; // header
    if (label === "") throw new FormatError(`${file}:${i + 1}: empty label before the ${sepName}`);
    if (text === "") throw new FormatError(`${file}:${i + 1}: empty text after the label "${label}"`);
    if (classes && !classes.includes(label)) {
      throw new FormatError(`${file}:${i + 1}: unknown label "${label}"; the model was trained on ${classes.map((c) => `"${c}"`).join(", ")}`);
    }
    labels.push(label);
    texts.push(text);
  });
  if (texts.length === 0) throw new FormatError(`${file}: no examples; expected lines of "${form}"`);
  const names = classes ? [...classes] : [...new Set(labels)].sort();
  if (names.length < 2) throw new FormatError(`${file}: every example has the label "${names[0]}"; a classifier needs at least 2 classes`);
  return { classes: names, y: Int32Array.from(labels, (l) => names.indexOf(l)), texts };
}

/** Token-id lists → int32 [N, maxLen], truncated to maxLen and right-padded with 0 (`<pad>`). */
export function padSequences(seqs: readonly Int32Array[], maxLen: number): Int32Array {
  const out = new Int32Array(seqs.length * maxLen);
  seqs.forEach((s, i) => out.set(s.subarray(0, maxLen), i * maxLen));
  return out;
}

/** A seeded split of indices 0…n−1 into train and test (at least one of each when n ≥ 2). */
export function splitIndices(n: number, testFraction: number, seed: number): { train: Int32Array; test: Int32Array } {
  const order = permutation(n, seed ^ 0x5bd1e995); // a stream apart from the DataLoader's shuffle
  const nTest = Math.min(n - 1, Math.max(1, Math.round(n * testFraction)));
  return { train: order.slice(nTest), test: order.slice(0, nTest) };
}

/**
 * Non-overlapping next-token windows over a token stream: x [W, T] = ids[k·T … k·T+T−1],
 * y [W, T] = the following ids (the inputs shifted by one).
 */
export function nextTokenWindows(ids: Int32Array, seqLen: number, what: string): { x: Int32Array; y: Int32Array; count: number } {
  const count = Math.floor((ids.length - 1) / seqLen);
  if (count < 1) throw new FormatError(`${what}: ${ids.length} tokens are too few for one window of ${seqLen} + 1; use a longer text or a smaller --seq-len`);
  const x = new Int32Array(count * seqLen);
  const y = new Int32Array(count * seqLen);
  for (let k = 0; k < count; k++) {
    x.set(ids.subarray(k * seqLen, (k + 1) * seqLen), k * seqLen);
    y.set(ids.subarray(k * seqLen + 1, (k + 1) * seqLen + 1), k * seqLen);
  }
  return { x, y, count };
}
