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

/** Strips one level of CSV quoting ("…" with "" for a quote): for a TSV's label. */
function unquote(field: string): string {
  const f = field.trim();
  return f.length >= 2 && f.startsWith('"') && f.endsWith('"') ? f.slice(1, -1).replaceAll('""', '"') : f;
}

/**
 * Text from UTF-8 bytes, strictly: invalid UTF-8 (a Latin-1 or binary file) or a NUL
 * character is a FormatError naming the file and the line, never U+FFFD trained on.
 */
export function decodeText(bytes: Uint8Array, file: string): string {
  const fatal = new TextDecoder("utf-8", { fatal: true });
  let text: string;
  try {
    text = fatal.decode(bytes);
  } catch {
    let line = 1;
    for (let at = 0; at <= bytes.length; line++) {
      let end = bytes.indexOf(0x0a, at);
      if (end < 0) end = bytes.length;
      try {
        fatal.decode(bytes.subarray(at, end));
      } catch {
        break;
      }
      at = end + 1;
    }
    throw new FormatError(`${file}: line ${line} is not valid UTF-8 (a binary file, or another encoding? convert it with iconv -t UTF-8)`);
  }
  const nul = text.indexOf("\0");
  if (nul >= 0) throw new FormatError(`${file}: line ${lineAt(text, nul)} holds a NUL character: a binary file?`);
  return text;
}

/** The 1-based line of offset `at`, counting \r\n, \n and \r as line ends. */
function lineAt(text: string, at: number): number {
  return (text.slice(0, at).match(/\r\n|\n|\r/g)?.length ?? 0) + 1;
}

/**
 * RFC 4180 records: fields separated by commas; a field in double quotes may hold commas,
 * line breaks and "" (one quote). \r\n, \n and \r all end a record. Each record comes with
 * the line it starts on. An unclosed quote or text right after a closing quote is an error.
 */
function csvRecords(text: string, file: string): { fields: string[]; line: number }[] {
  const records: { fields: string[]; line: number }[] = [];
  let fields: string[] = [];
  let field = "";
  let line = 1, start = 1, i = 0;
  let inRecord = false; // something of the current record has been read
  const endField = () => {
    fields.push(field);
    field = "";
  };
  while (i < text.length) {
    const ch = text[i];
    inRecord = true;
    if (ch === '"' && field === "") {
      const opened = line;
      for (i++; ; i++) {
        if (i >= text.length) throw new FormatError(`${file}:${opened}: a quoted field is never closed`);
        if (text[i] === '"') {
          if (text[i + 1] !== '"') break;
          i++;
        } else if (text[i] === "\n" || (text[i] === "\r" && text[i + 1] !== "\n")) line++;
        field += text[i];
      }
      i++;
      if (i < text.length && !",\r\n".includes(text[i])) throw new FormatError(`${file}:${line}: text after a closing quote; a quote inside a field is written ""`);
      continue;
    }
    if (ch === ",") {
      endField();
      i++;
    } else if (ch === "\r" || ch === "\n") {
      endField();
      records.push({ fields, line: start });
      fields = [];
      inRecord = false;
      i += ch === "\r" && text[i + 1] === "\n" ? 2 : 1;
      start = ++line;
    } else {
      field += ch;
      i++;
    }
  }
  if (inRecord) {
    endField();
    records.push({ fields, line: start });
  }
  return records;
}

/**
 * Parses `label<TAB>text` lines, or RFC 4180 `label,text` records when `file` ends in .csv
 * (quoted fields may hold commas, quotes and line breaks; unquoted commas after the first
 * belong to the text). `source` is text, or bytes that must be UTF-8. Blank lines and a
 * `label,text` header are skipped; \r\n, \n and \r all end lines. With `classes` given
 * (e.g. from a checkpoint), a label outside them is an error instead of a new class.
 */
export function parseLabeledTexts(source: string | Uint8Array, file: string, classes?: readonly string[]): LabeledTexts {
  const text = typeof source === "string" ? source : decodeText(source, file);
  const csv = file.toLowerCase().endsWith(".csv");
  const sepName = csv ? "comma" : "tab";
  const form = csv ? "label,text" : "label<TAB>text";
  const rows = csv
    ? csvRecords(text, file)
    : text.split(/\r\n|\n|\r/).map((l, i) => ({ fields: l.includes("\t") ? [unquote(l.slice(0, l.indexOf("\t"))), l.slice(l.indexOf("\t") + 1).trim()] : [l], line: i + 1 }));
  const labels: string[] = [];
  const texts: string[] = [];
  rows.forEach(({ fields, line }, k) => {
    if (fields.length === 1 && fields[0].trim() === "") return;
    if (fields.length < 2) throw new FormatError(`${file}:${line}: expected "${form}", found no ${sepName} in ${JSON.stringify(fields[0].slice(0, 60))}`);
    const label = fields[0].trim();
    const body = (csv ? fields.slice(1).join(",") : fields[1]).trim();
    if (k === 0 && label.toLowerCase() === "label" && body.toLowerCase() === "text") return; // header
    if (label === "") throw new FormatError(`${file}:${line}: empty label before the ${sepName}`);
    if (body === "") throw new FormatError(`${file}:${line}: empty text after the label "${label}"`);
    if (classes && !classes.includes(label)) {
      throw new FormatError(`${file}:${line}: unknown label "${label}"; the model was trained on ${classes.map((c) => `"${c}"`).join(", ")}`);
    }
    labels.push(label);
    texts.push(body);
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
 * Contiguous next-token streams for truncated backprop through time: the tokens are cut into
 * `batch` rows of equal length S, and batch t holds columns [t·K, t·K + K) of every row, so
 * row b of batch t + 1 continues row b of batch t (a carried state stays meaningful). x is
 * [count·batch, K], batch t being examples t·batch … t·batch + batch − 1 (read them in order,
 * unshuffled); y is x shifted by one token.
 */
export function streamWindows(ids: Int32Array, batch: number, bptt: number, what: string): { x: Int32Array; y: Int32Array; count: number } {
  const S = Math.floor((ids.length - 1) / batch);
  const count = Math.floor(S / bptt);
  if (count < 1) throw new FormatError(`${what}: ${ids.length} tokens are too few for ${batch} streams of ${bptt} + 1; use a longer text, a smaller --batch or a smaller --bptt`);
  const x = new Int32Array(count * batch * bptt);
  const y = new Int32Array(count * batch * bptt);
  for (let t = 0; t < count; t++) {
    for (let b = 0; b < batch; b++) {
      const from = b * S + t * bptt, at = (t * batch + b) * bptt;
      x.set(ids.subarray(from, from + bptt), at);
      y.set(ids.subarray(from + 1, from + bptt + 1), at);
    }
  }
  return { x, y, count };
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
