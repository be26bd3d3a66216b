/**
 * @file Tokenizers and a vocabulary for the text models. Words: lower-cased runs of letters
 * and digits (Unicode-aware, apostrophes kept inside words); characters: code points. The
 * vocabulary maps tokens to ids with `<pad>` = 0 and `<unk>` = 1 first, then tokens by
 * descending count (ties in first-seen order, so building is deterministic). It serialises
 * to JSON so a checkpoint carries the vocabulary its embedding rows were trained with.
 */
import { FormatError } from "../errors.ts";

export const PAD = "<pad>";
export const UNK = "<unk>";

/** Lower-cased words: runs of letters/digits, with inner apostrophes (`don't`). */
export function wordTokens(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+(?:['’][\p{L}\p{N}]+)*/gu) ?? [];
}

/** Code points (so an emoji or an accented letter is one token). */
export function charTokens(text: string): string[] {
  return Array.from(text);
}

export interface VocabularyOptions {
  /** Drop tokens seen fewer times (default 1: keep all). */
  minCount?: number;
  /** Keep at most this many ids in all, `<pad>` and `<unk>` included. */
  maxSize?: number;
}

export class Vocabulary {
  private readonly ids = new Map<string, number>();

  constructor(readonly tokens: readonly string[]) {
    if (tokens[0] !== PAD || tokens[1] !== UNK) throw new FormatError(`Vocabulary: ids 0 and 1 must be ${PAD} and ${UNK}, got ${JSON.stringify(tokens.slice(0, 2))}`);
    tokens.forEach((t, i) => {
      if (this.ids.has(t)) throw new FormatError(`Vocabulary: token ${JSON.stringify(t)} appears twice (ids ${this.ids.get(t)} and ${i})`);
      this.ids.set(t, i);
    });
  }

  /** Counts tokens over a corpus (an iterable of token lists) and keeps the frequent ones. */
  static build(docs: Iterable<readonly string[]>, opts: VocabularyOptions = {}): Vocabulary {
    const counts = new Map<string, number>();
    for (const doc of docs) for (const t of doc) counts.set(t, (counts.get(t) ?? 0) + 1);
    const minCount = opts.minCount ?? 1;
    const kept = [...counts].filter(([t, c]) => c >= minCount && t !== PAD && t !== UNK);
    kept.sort((a, b) => b[1] - a[1]); // stable: ties stay in first-seen order
    const max = opts.maxSize === undefined ? Infinity : Math.max(2, opts.maxSize);
    return new Vocabulary([PAD, UNK, ...kept.slice(0, max - 2).map(([t]) => t)]);
  }

  get size(): number {
    return this.tokens.length;
  }

  /** The id of a token; unknown tokens map to `<unk>` (1). */
  id(token: string): number {
    return this.ids.get(token) ?? 1;
  }

  has(token: string): boolean {
    return this.ids.has(token);
  }

  encode(tokens: readonly string[]): Int32Array {
    return Int32Array.from(tokens, (t) => this.id(t));
  }

  decode(ids: ArrayLike<number>): string[] {
    return Array.from(ids, (i) => this.tokens[i] ?? UNK);
  }

  toJSON(): string[] {
    return [...this.tokens];
  }

  /** Reads `toJSON()` output back; `from` names the source in errors. */
  static fromJSON(json: string, from: string): Vocabulary {
    let tokens: unknown;
    try {
      tokens = JSON.parse(json);
    } catch (e) {
      throw new FormatError(`${from}: the vocabulary is not valid JSON (${(e as Error).message})`);
    }
    if (!Array.isArray(tokens) || !tokens.every((t) => typeof t === "string")) throw new FormatError(`${from}: the vocabulary must be a JSON array of strings`);
    try {
      return new Vocabulary(tokens);
    } catch (e) {
      throw new FormatError(`${from}: ${(e as Error).message}`);
    }
  }
}
