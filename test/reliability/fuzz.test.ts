/**
 * Fuzzed files never crash a reader: seeded mutations of a valid safetensors checkpoint and
 * of valid IDX files (bit flips, truncation, header lengths, offsets, dtypes, shapes,
 * duplicate keys, huge claimed sizes). Each one either loads a file that is valid by the
 * format or throws FormatError; never another class, never a hang, never a changed model.
 */
import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FormatError, manualSeed } from "../../src/index.ts";
import { Linear } from "../../src/nn/index.ts";
import { loadStateDictBytes, parseSafetensors, serializeSafetensors, stateDictBytes } from "../../src/io/safetensors.ts";
import { parseIdx } from "../../src/data/idx.ts";
import { loadMnist } from "../../src/data/mnist.ts";
import { seeded } from "../helpers/gradcheck.ts";

type Outcome = "loaded" | "FormatError";

/** Runs `f`; a FormatError is an outcome, anything else thrown fails the test with the case. */
function outcome(what: string, f: () => void): Outcome {
  try {
    f();
    return "loaded";
  } catch (e) {
    if (e instanceof FormatError) return "FormatError";
    throw new Error(`${what}: threw ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`);
  }
}

const int = (rng: () => number, n: number) => Math.floor(rng() * n);

function headerOf(bytes: Uint8Array): { n: number; json: Record<string, unknown> } {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return { n, json: JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) };
}

function withHeader(text: string, data: Uint8Array): Uint8Array {
  const head = new TextEncoder().encode(text);
  const out = new Uint8Array(8 + head.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(head.length), true);
  out.set(head, 8);
  out.set(data, 8 + head.length);
  return out;
}

const WEIRD = [0, -1, 1, 7, 8, 12, 4096, 2 ** 31, 2 ** 32, 2 ** 53, 1e300, 1.5, "8", null, [], {}, true];
const DTYPES = ["F32", "F64", "I32", "BOOL", "F16", "BF16", "I64", "U8", "toString", "constructor", "__proto__", "hasOwnProperty", ["F32"], 4, null];

/** One structural mutation of the header's JSON (and sometimes the data's length). */
function mutateHeader(rng: () => number, good: Uint8Array): Uint8Array {
  const { n, json } = headerOf(good);
  let data = good.subarray(8 + n);
  const names = Object.keys(json).filter((k) => k !== "__metadata__");
  const name = names[int(rng, names.length)];
  const entry = { ...(json[name] as Record<string, unknown>) };
  const pick = <T>(xs: readonly T[]) => xs[int(rng, xs.length)];
  let text: string | null = null;
  switch (int(rng, 9)) {
    case 0: entry.data_offsets = [pick(WEIRD), pick(WEIRD)]; break;
    case 1: entry.data_offsets = pick([[0], [0, 8, 8], "0,8", null, [8, 0], [0, 1e20]]); break;
    case 2: entry.dtype = pick(DTYPES); break;
    case 3: entry.shape = pick([[], [0], [-1], [1.5], [2 ** 32, 2 ** 32], ["3"], null, [1e300], [3, 4, 0]]); break;
    case 4: { // shift one tensor's range
      const [b, e] = entry.data_offsets as number[];
      const d = int(rng, 17) - 8;
      entry.data_offsets = [b + d, e + d];
      break;
    }
    case 5: // a duplicate key (JSON.parse alone would keep the last)
      text = JSON.stringify(json).replace(/^\{/, `{${JSON.stringify(name)}:${JSON.stringify(json[name])},`);
      break;
    case 6: json.__metadata__ = pick([{ k: 3 }, { k: null }, "x", [1], { k: "v" }, null]); break;
    case 7: data = int(rng, 2) ? data.subarray(0, Math.max(0, data.length - 1 - int(rng, 8))) : Uint8Array.from([...data, ...new Uint8Array(1 + int(rng, 8))]); break;
    default: delete json[name]; break;
  }
  if (text === null) {
    if (json[name] !== undefined) json[name] = entry;
    text = JSON.stringify(json);
  }
  return withHeader(text, data);
}

function mutateBytes(rng: () => number, good: Uint8Array): Uint8Array {
  const bytes = good.slice();
  switch (int(rng, 3)) {
    case 0: { // flip 1–4 bits, mostly in the header
      for (let k = 1 + int(rng, 4); k > 0; k--) bytes[int(rng, Math.min(bytes.length, int(rng, 2) ? 200 : bytes.length))] ^= 1 << int(rng, 8);
      return bytes;
    }
    case 1: return bytes.subarray(0, int(rng, bytes.length));
    default: { // a new header length
      const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
      const choices = [0n, 1n, BigInt(n - 1), BigInt(n + 1), BigInt(n + 8), BigInt(bytes.length), 100_000_001n, 2n ** 63n, 2n ** 64n - 1n, BigInt(int(rng, 1 << 30))];
      new DataView(bytes.buffer).setBigUint64(0, choices[int(rng, choices.length)], true);
      return bytes;
    }
  }
}

describe("fuzzed files", () => {
  it("1 500 mutated safetensors files: each loads a valid file or is a FormatError, and a refused one leaves the model as it was", async () => {
    manualSeed(1);
    const model = new Linear(5, 3);
    const good = await stateDictBytes(model, { epoch: "2", note: "fuzz" });
    const before = await Promise.all(model.parameters().map((p) => p.data()));
    const rng = seeded(2024);
    const counts: Record<string, number> = {};
    for (let i = 0; i < 1500; i++) {
      const bytes = i % 2 ? mutateHeader(rng, good) : mutateBytes(rng, good);
      const what = `case ${i}`;
      const parsed = outcome(what, () => {
        const { tensors, metadata } = parseSafetensors(bytes, "fuzz.st");
        // what loaded is valid: it serializes and parses back the same, every length consistent
        for (const t of tensors.values()) expect(t.data.length).toBe(t.shape.reduce((a, b) => a * b, 1));
        expect(Object.values(metadata).every((v) => typeof v === "string")).toBe(true);
        expect(parseSafetensors(serializeSafetensors(tensors, metadata), "again").tensors.size).toBe(tensors.size);
      });
      const loaded = outcome(what, () => loadStateDictBytes(model, bytes, "fuzz.st"));
      if (loaded === "FormatError") {
        const now = await Promise.all(model.parameters().map((p) => p.data()));
        now.forEach((a, k) => expect(Array.from(a), `${what}: model changed`).toEqual(Array.from(before[k])));
      } else {
        // a mutation that kept the file valid and the model's keys loads what the file holds; put the model back
        loadStateDictBytes(model, good, "good.st");
      }
      const key = `parse ${parsed}, load ${loaded}`;
      counts[key] = (counts[key] ?? 0) + 1;
    }
    console.info(`safetensors fuzz (1500 cases): ${JSON.stringify(counts)}`);
    expect(counts["parse FormatError, load FormatError"]).toBeGreaterThan(1000);
  }, 60_000);

  it("1 200 mutated IDX files: each parses to consistent dimensions or is a FormatError; loadMnist refuses the bad ones", async () => {
    const rng = seeded(77);
    const n = 3;
    const images = new Uint8Array(16 + n * 784);
    images.set([0, 0, 8, 3]);
    new DataView(images.buffer).setUint32(4, n, false);
    new DataView(images.buffer).setUint32(8, 28, false);
    new DataView(images.buffer).setUint32(12, 28, false);
    for (let i = 16; i < images.length; i++) images[i] = int(rng, 256);
    const labels = Uint8Array.from([0, 0, 8, 1, 0, 0, 0, n, 3, 1, 4]);
    const dir = mkdtempSync(join(tmpdir(), "webgpu-dl-fuzz-"));
    const counts: Record<string, number> = {};
    for (let i = 0; i < 1200; i++) {
      const base = i % 4 === 3 ? labels : images;
      let bytes = base.slice();
      switch (int(rng, 4)) {
        case 0: for (let k = 1 + int(rng, 3); k > 0; k--) bytes[int(rng, Math.min(bytes.length, 16))] ^= 1 << int(rng, 8); break;
        case 1: bytes = bytes.subarray(0, int(rng, bytes.length)); break;
        case 2: new DataView(bytes.buffer).setUint32(4 + 4 * int(rng, Math.max(1, Math.min(3, bytes[3]))), [0, 1, 2 ** 31, 2 ** 32 - 1, int(rng, 1 << 20)][int(rng, 5)], false); break;
        default: bytes[2] = [0x08, 0x09, 0x0b, 0x0c, 0x0d, 0x0e, 0x00, 0xff, 0x0a][int(rng, 9)]; bytes[3] = int(rng, 6); break;
      }
      const got = outcome(`IDX case ${i}`, () => {
        const a = parseIdx(bytes, "fuzz.idx");
        expect(a.data.length).toBe(a.dims.reduce((x, y) => x * y, 1));
      });
      // a tenth of them through loadMnist from a folder, as a user would point --data at it
      if (i % 10 === 0) {
        const folder = join(dir, String(i));
        mkdirSync(folder);
        writeFileSync(join(folder, "t10k-images-idx3-ubyte"), base === images ? bytes : images);
        writeFileSync(join(folder, "t10k-labels-idx1-ubyte"), base === labels ? bytes : labels);
        const r = await loadMnist({ split: "test", source: folder }).then(() => "loaded" as const, (e: unknown) => {
          if (e instanceof FormatError) return "FormatError" as const;
          throw new Error(`loadMnist case ${i}: threw ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`);
        });
        counts[`loadMnist ${r}`] = (counts[`loadMnist ${r}`] ?? 0) + 1;
      }
      counts[`parseIdx ${got}`] = (counts[`parseIdx ${got}`] ?? 0) + 1;
    }
    console.info(`IDX fuzz (1200 cases): ${JSON.stringify(counts)}`);
    expect(counts["parseIdx FormatError"]).toBeGreaterThan(600);
  }, 60_000);
});
