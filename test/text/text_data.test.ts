/** Tokenizers, the vocabulary, the label<TAB>text reader, padding, splits and next-token windows. */
import { describe, expect, it } from "vitest";
import { FormatError } from "../../src/index.ts";
import { Vocabulary, charTokens, wordTokens } from "../../src/text/vocab.ts";
import { nextTokenWindows, padSequences, parseLabeledTexts, splitIndices } from "../../src/data/text.ts";
import { DataLoader } from "../../src/data/loader.ts";

describe("tokenizers and vocabulary", () => {
  it("words are lower-cased letter/digit runs that keep inner apostrophes", () => {
    expect(wordTokens("Don't STOP, me now!! Call 0800-123 — café")).toEqual(["don't", "stop", "me", "now", "call", "0800", "123", "café"]);
    expect(wordTokens("  ...  ")).toEqual([]);
  });

  it("characters are code points, so an emoji is one token", () => {
    expect(charTokens("a😀b")).toEqual(["a", "😀", "b"]);
  });

  it("ids: <pad> 0, <unk> 1, then by count with ties in first-seen order", () => {
    const v = Vocabulary.build([["b", "a", "c", "a"], ["c", "d"]]);
    expect(v.tokens).toEqual(["<pad>", "<unk>", "a", "c", "b", "d"]);
    expect(Array.from(v.encode(["a", "zzz", "d"]))).toEqual([2, 1, 5]);
    expect(v.decode([3, 4, 0])).toEqual(["c", "b", "<pad>"]);
  });

  it("minCount and maxSize keep the frequent tokens; JSON round-trips", () => {
    const v = Vocabulary.build([["x", "x", "y", "z", "z", "z"]], { minCount: 2, maxSize: 3 });
    expect(v.tokens).toEqual(["<pad>", "<unk>", "z"]);
    expect(Vocabulary.fromJSON(JSON.stringify(v.toJSON()), "t").tokens).toEqual(v.tokens);
  });

  it("refuses a vocabulary that is not JSON, lacks <pad>/<unk> or repeats a token", () => {
    expect(() => Vocabulary.fromJSON("{oops", "ckpt.safetensors")).toThrow(/ckpt.safetensors: the vocabulary is not valid JSON/);
    expect(() => Vocabulary.fromJSON('["a","b"]', "f")).toThrow(FormatError);
    expect(() => new Vocabulary(["<pad>", "<unk>", "a", "a"])).toThrow(/token "a" appears twice \(ids 2 and 3\)/);
  });
});

describe("parseLabeledTexts", () => {
  it("reads label<TAB>text lines, skipping a header and blank lines; classes sorted", () => {
    const d = parseLabeledTexts("label\ttext\nspam\tWIN money now\n\nham\tsee you at 5\r\nspam\tfree prize\n", "sms.tsv");
    expect(d.classes).toEqual(["ham", "spam"]);
    expect(Array.from(d.y)).toEqual([1, 0, 1]);
    expect(d.texts).toEqual(["WIN money now", "see you at 5", "free prize"]);
  });

  it("reads label,text in a .csv, with quoted text", () => {
    const d = parseLabeledTexts('pos,"good, really ""good"""\nneg,bad\n', "reviews.csv");
    expect(d.texts).toEqual(['good, really "good"', "bad"]);
    expect(Array.from(d.y)).toEqual([1, 0]);
  });

  it("names the file and line of a malformed example", () => {
    expect(() => parseLabeledTexts("a\tfine\nno tab here\n", "x.tsv")).toThrow(/x.tsv:2: expected "label<TAB>text", found no tab in "no tab here"/);
    expect(() => parseLabeledTexts("a\tfine\n\tno label\n", "x.tsv")).toThrow(/x.tsv:2: empty label/);
    expect(() => parseLabeledTexts("a\tfine\nb\t  \n", "x.tsv")).toThrow(/x.tsv:2: empty text after the label "b"/);
  });

  it("refuses an empty file, a single class, and labels a trained model does not know", () => {
    expect(() => parseLabeledTexts("\n\n", "empty.tsv")).toThrow(/empty.tsv: no examples/);
    expect(() => parseLabeledTexts("a\tx\na\ty\n", "one.tsv")).toThrow(/every example has the label "a"; a classifier needs at least 2 classes/);
    expect(() => parseLabeledTexts("ham\tx\nspam\ty\neggs\tz\n", "new.tsv", ["ham", "spam"])).toThrow(/new.tsv:3: unknown label "eggs"; the model was trained on "ham", "spam"/);
  });
});

describe("batching text", () => {
  it("pads on the right with 0 and truncates to maxLen", () => {
    expect(Array.from(padSequences([Int32Array.of(5, 6), Int32Array.of(7, 8, 9, 10)], 3))).toEqual([5, 6, 0, 7, 8, 9]);
  });

  it("splits indices reproducibly into disjoint train and test parts", () => {
    const a = splitIndices(50, 0.1, 3);
    expect(a.test.length).toBe(5);
    expect([...a.train, ...a.test].sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(Array.from(splitIndices(50, 0.1, 3).test)).toEqual(Array.from(a.test));
    expect(Array.from(splitIndices(50, 0.1, 4).test)).not.toEqual(Array.from(a.test));
    expect(splitIndices(2, 0.1, 0).train.length).toBe(1);
  });

  it("next-token windows: targets are the inputs shifted by one", () => {
    const w = nextTokenWindows(Int32Array.from({ length: 10 }, (_, i) => i), 3, "t");
    expect(w.count).toBe(3);
    expect(Array.from(w.x)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(Array.from(w.y)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(() => nextTokenWindows(Int32Array.of(1, 2), 3, "tiny.txt")).toThrow(/tiny.txt: 2 tokens are too few for one window of 3 \+ 1/);
  });

  it("DataLoader batches int32 token ids with a block of labels per example", async () => {
    const w = nextTokenWindows(Int32Array.from({ length: 13 }, (_, i) => i), 4, "t");
    const [b] = [...new DataLoader(w.x, w.y, [4], { batchSize: 2, labelShape: [4] })];
    expect(b.x.dtype).toBe("int32");
    expect(b.x.shape).toEqual([2, 4]);
    expect(b.y.shape).toEqual([2, 4]);
    expect(Array.from(await b.y.data())).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(() => new DataLoader(w.x, w.y.subarray(1), [4], { batchSize: 2, labelShape: [4] })).toThrow(/DataLoader: 12 input values are not 2 examples of \[4\] with labels \[4\] \(11 label values\)/);
  });
});

describe("text files to the letter", () => {
  it("CSV follows RFC 4180: quoted commas, quotes and line breaks stay in their field", () => {
    const d = parseLabeledTexts('label,text\n"p,os","a, b"\r\nneg,"two\nlines"\rpos,unquoted, commas stay text\n"neg","say ""hi"""', "q.csv");
    expect(d.classes).toEqual(["neg", "p,os", "pos"]);
    expect(d.texts).toEqual(["a, b", "two\nlines", "unquoted, commas stay text", 'say "hi"']);
    expect(() => parseLabeledTexts('a,"never closed\nb,x\n', "open.csv")).toThrow("open.csv:1: a quoted field is never closed");
    expect(() => parseLabeledTexts('a,"x"y\nb,z\n', "stray.csv")).toThrow(/stray.csv:1: text after a closing quote/);
  });
  it("\\r, \\n and \\r\\n all end lines, and line numbers count each", () => {
    const d = parseLabeledTexts("a\tone\rb\ttwo\r\na\tthree\nb\tfour", "cr.tsv");
    expect(d.texts).toEqual(["one", "two", "three", "four"]);
    expect(() => parseLabeledTexts("a\tone\rb\ttwo\rno tab", "cr.tsv")).toThrow(/cr.tsv:3: expected "label<TAB>text"/);
  });
  it("bytes that are not UTF-8, or hold a NUL, are a FormatError with the line", () => {
    const latin1 = Uint8Array.from([...new TextEncoder().encode("pos\tok\nneg\tfine\n"), 0x70, 0x6f, 0x73, 0x09, 0x63, 0x61, 0x66, 0xe9, 0x0a]);
    expect(() => parseLabeledTexts(latin1, "latin1.tsv")).toThrow("latin1.tsv: line 3 is not valid UTF-8");
    expect(() => parseLabeledTexts(new TextEncoder().encode("pos\tok\nneg\tb\0d\n"), "nul.tsv")).toThrow("nul.tsv: line 2 holds a NUL character");
    expect(parseLabeledTexts(new TextEncoder().encode("pos\tcafé\nneg\tnaïve\n"), "utf8.tsv").texts).toEqual(["café", "naïve"]);
  });
});
