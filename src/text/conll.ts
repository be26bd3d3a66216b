/**
 * @file Sequence tagging data: a CoNLL reader, BIO span extraction and span-level precision,
 * recall and F1 scored the way CoNLL-2003's `conlleval` script scores them.
 *
 * The file format: one token per line, its columns separated by tabs or spaces, the token
 * first and the tag last (CoNLL-2003's `EU NNP B-NP B-ORG` works as well as `EU<TAB>B-ORG`);
 * a blank line ends a sentence; `-DOCSTART-` lines are skipped. Tags are `O`, `B-TYPE` or
 * `I-TYPE` (IOB1 files, where `I-` starts an entity, read the same: see `spans`).
 */
import { FormatError } from "../errors.ts";

export interface TaggedSentence {
  tokens: string[];
  tags: string[];
}

const TAG = /^(?:O|[BI]-\S+)$/;

/**
 * Parses CoNLL text; `file` names the source in errors. A line with one column, or a tag
 * that is not O / B-X / I-X, is a FormatError naming the file and the line.
 */
export function parseConll(text: string, file: string): TaggedSentence[] {
  const sentences: TaggedSentence[] = [];
  let cur: TaggedSentence = { tokens: [], tags: [] };
  const end = () => {
    if (cur.tokens.length) sentences.push(cur);
    cur = { tokens: [], tags: [] };
  };
  text.split(/\r\n|\n|\r/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === "") return end();
    const cols = line.split(/[\t ]+/);
    if (cols[0] === "-DOCSTART-") return end();
    if (cols.length < 2) throw new FormatError(`${file}:${i + 1}: expected "token<TAB>tag" (the tag in the last column), found one column ${JSON.stringify(line.slice(0, 60))}`);
    const tag = cols[cols.length - 1];
    if (!TAG.test(tag)) throw new FormatError(`${file}:${i + 1}: the tag ${JSON.stringify(tag)} is not O, B-TYPE or I-TYPE (BIO tags, as CoNLL-2003)`);
    cur.tokens.push(cols[0]);
    cur.tags.push(tag);
  });
  end();
  if (sentences.length === 0) throw new FormatError(`${file}: no tagged sentences; expected "token<TAB>tag" lines with a blank line between sentences`);
  return sentences;
}

/** Sentences back to CoNLL text (`token<TAB>tag`, a blank line after each sentence). */
export function formatConll(sentences: readonly TaggedSentence[]): string {
  return sentences.map((s) => s.tokens.map((t, i) => `${t}\t${s.tags[i]}\n`).join("") + "\n").join("");
}

/** An entity: its type and the tokens [start, end) it covers. */
export interface Span {
  type: string;
  start: number;
  end: number;
}

/**
 * The entities of a tag sequence, as conlleval reads them: `B-X` always starts an entity;
 * `I-X` continues the open entity when it has type X and starts a new one otherwise (after
 * `O`, at the start, or after another type); `O` closes the open entity. So `B-X B-X` is two
 * adjacent entities, `O I-X I-X` one.
 */
export function spans(tags: readonly string[]): Span[] {
  const out: Span[] = [];
  let open: Span | null = null;
  tags.forEach((tag, i) => {
    if (tag === "O" || !TAG.test(tag)) {
      open = null;
      return;
    }
    const type = tag.slice(2);
    if (tag[0] === "B" || open === null || open.type !== type) {
      open = { type, start: i, end: i + 1 };
      out.push(open);
    } else open.end = i + 1;
  });
  return out;
}

export interface SpanScore {
  precision: number;
  recall: number;
  f1: number;
  /** Entities in the gold tags, in the predicted tags, and predicted exactly (type and both boundaries). */
  gold: number;
  predicted: number;
  correct: number;
}

function score(gold: number, predicted: number, correct: number): SpanScore {
  const precision = predicted ? (100 * correct) / predicted : 0;
  const recall = gold ? (100 * correct) / gold : 0;
  const f1 = precision + recall ? (2 * precision * recall) / (precision + recall) : 0;
  return { precision, recall, f1, gold, predicted, correct };
}

/**
 * Span-level scores (in %) overall and per entity type: an entity counts as correct only when
 * the prediction has one with the same type and both boundaries. `gold[i]` and `predicted[i]`
 * are the tags of sentence i and must have the same length.
 */
export function spanF1(gold: readonly (readonly string[])[], predicted: readonly (readonly string[])[]): { overall: SpanScore; byType: Record<string, SpanScore> } {
  if (gold.length !== predicted.length) throw new FormatError(`spanF1: ${gold.length} gold sentences but ${predicted.length} predicted`);
  const counts = new Map<string, [number, number, number]>();
  const at = (t: string) => counts.get(t) ?? (counts.set(t, [0, 0, 0]), counts.get(t)!);
  gold.forEach((g, i) => {
    if (g.length !== predicted[i].length) throw new FormatError(`spanF1: sentence ${i} has ${g.length} gold tags but ${predicted[i].length} predicted`);
    const key = (s: Span) => `${s.type}\t${s.start}\t${s.end}`;
    const want = new Set(spans(g).map(key));
    for (const s of spans(g)) at(s.type)[0]++;
    for (const s of spans(predicted[i])) {
      const c = at(s.type);
      c[1]++;
      if (want.has(key(s))) c[2]++;
    }
  });
  const byType: Record<string, SpanScore> = {};
  let [g, p, c] = [0, 0, 0];
  for (const t of [...counts.keys()].sort()) {
    const [tg, tp, tc] = counts.get(t)!;
    byType[t] = score(tg, tp, tc);
    g += tg;
    p += tp;
    c += tc;
  }
  return { overall: score(g, p, c), byType };
}

/** A conlleval-style table of `spanF1`'s scores. */
export function formatSpanScores(s: ReturnType<typeof spanF1>): string {
  const row = (name: string, v: SpanScore) =>
    `${name.padEnd(8)} precision ${v.precision.toFixed(2).padStart(6)}%  recall ${v.recall.toFixed(2).padStart(6)}%  F1 ${v.f1.toFixed(2).padStart(6)}  (${v.gold} gold, ${v.predicted} predicted, ${v.correct} correct)`;
  return [row("overall", s.overall), ...Object.entries(s.byType).map(([t, v]) => row(t, v))].join("\n");
}

/**
 * Tokens of raw text for tagging, case kept: runs of letters and digits (inner `.`, `'`, `-`
 * kept, as in `U.S.`-style names, `O'Neil`, `Jean-Paul`), a short capitalised word's final
 * period (`Inc.`, `Mr.`, `St.`), and each other non-space character alone.
 */
export function tagTokens(text: string): string[] {
  return text.match(/[\p{Lu}][\p{L}]{0,2}\.(?=\s|$)|[\p{L}\p{N}]+(?:['’.-][\p{L}\p{N}]+)*|[^\s\p{L}\p{N}]/gu) ?? [];
}
