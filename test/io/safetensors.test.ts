import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FormatError, manualSeed, tensor } from "../../src/index.ts";
import { LeNet5 } from "../../src/models/lenet5.ts";
import { Linear } from "../../src/nn/index.ts";
import { loadSafetensors, loadStateDictBytes, parseSafetensors, saveSafetensors, serializeSafetensors, stateDictBytes } from "../../src/io/safetensors.ts";
import { values } from "../helpers/values.ts";

const dir = mkdtempSync(join(tmpdir(), "webgpu-dl-st-"));

async function snapshot(m: LeNet5): Promise<number[][]> {
  return Promise.all(m.parameters().map((p) => values(p)));
}

describe("safetensors checkpoints", () => {
  it("writes the layout of the spec: u64 LE header size, JSON header, 8-byte aligned data", () => {
    const bytes = serializeSafetensors(new Map([["w", { dtype: "float32" as const, shape: [2], data: Float32Array.from([1, -2]) }]]));
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(n % 8).toBe(0);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
    expect(header).toEqual({ w: { dtype: "F32", shape: [2], data_offsets: [0, 8] } });
    expect(Array.from(new Float32Array(bytes.slice(8 + n).buffer))).toEqual([1, -2]);
  });

  it("round-trips a LeNet-5 bit for bit through a file", async () => {
    manualSeed(5);
    const a = new LeNet5();
    manualSeed(6);
    const b = new LeNet5();
    const path = join(dir, "lenet.safetensors");
    await saveSafetensors(a, path, { epoch: "1" });
    const meta = await loadSafetensors(b, path);
    expect(meta).toEqual({ epoch: "1" });
    const [pa, pb] = [await snapshot(a), await snapshot(b)];
    pa.forEach((v, i) => expect(new Uint32Array(Float32Array.from(pb[i]).buffer)).toEqual(new Uint32Array(Float32Array.from(v).buffer)));
    expect(readdirSync(dir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });

  it("rejects wrong shapes, missing keys, bad dtypes and corrupt headers, leaving the model unchanged", async () => {
    const m = new LeNet5();
    const before = await snapshot(m);
    const good = await stateDictBytes(m);
    const other = await stateDictBytes(new LeNet5("classic"));
    const wrongShape = serializeSafetensors(new Map([...parseSafetensors(good, "g").tensors].map(([k, v]) => [k, k === "fc3.bias" ? { dtype: "float32" as const, shape: [11], data: new Float32Array(11) } : v])));
    const missing = serializeSafetensors(new Map([...parseSafetensors(good, "g").tensors].filter(([k]) => k !== "conv2.weight")));
    const corrupt = good.slice();
    corrupt[8] = 0x5d; // the header's opening '{' becomes ']': not JSON any more
    const truncated = good.slice(0, good.length - 100);
    expect(() => loadStateDictBytes(m, wrongShape, "w.st")).toThrow("w.st: fc3.bias is float32[11] in the file, the model has float32[10]");
    expect(() => loadStateDictBytes(m, missing, "m.st")).toThrow("m.st: keys do not match the model (missing: conv2.weight; unexpected: none)");
    expect(() => loadStateDictBytes(m, corrupt, "c.st")).toThrow(/c.st: corrupt safetensors header/);
    expect(() => loadStateDictBytes(m, truncated, "t.st")).toThrow(/t.st: the tensors need \d+ bytes of data, the file has \d+ after the header \(truncated\?\)/);
    expect(() => loadStateDictBytes(m, Uint8Array.from([1, 2, 3]), "tiny.st")).toThrow(FormatError);
    loadStateDictBytes(m, other, "classic.st"); // same names and shapes: loads fine
    loadStateDictBytes(m, good, "good.st");
    expect(await snapshot(m)).toEqual(before);
    const i32 = serializeSafetensors(new Map([["weight", { dtype: "int32" as const, shape: [1, 1], data: Int32Array.from([1]) }], ["bias", { dtype: "float32" as const, shape: [1], data: new Float32Array(1) }]]));
    expect(() => loadStateDictBytes(new Linear(1, 1), i32, "d.st")).toThrow("d.st: weight is int32[1,1] in the file, the model has float32[1,1]");
  });

  it("a failed load from disk names the file and leaves the model as it was", async () => {
    const m = new LeNet5();
    const before = await snapshot(m);
    const path = join(dir, "bad.safetensors");
    writeFileSync(path, Uint8Array.from([255, 0, 0, 0, 0, 0, 0, 0, 1]));
    await expect(loadSafetensors(m, path)).rejects.toThrow(/bad.safetensors: header length 255 runs past the end of the file \(9 bytes\)/);
    await expect(loadSafetensors(m, join(dir, "absent.safetensors"))).rejects.toThrow(/absent.safetensors: cannot read checkpoint/);
    expect(await snapshot(m)).toEqual(before);
    expect(readFileSync(path).length).toBe(9);
  });

  it("stores bool and int32 tensors too", () => {
    const t = tensor([1, 0, 1], [3], "bool");
    void t;
    const bytes = serializeSafetensors(new Map([["m", { dtype: "bool" as const, shape: [3], data: Uint8Array.from([1, 0, 1]) }], ["i", { dtype: "int32" as const, shape: [1], data: Int32Array.from([-7]) }]]));
    const back = parseSafetensors(bytes, "x").tensors;
    expect(Array.from(back.get("m")!.data)).toEqual([1, 0, 1]);
    expect(Array.from(back.get("i")!.data)).toEqual([-7]);
  });

  /** A file from a raw header text and `data` bytes of data (the header padded to 8 bytes). */
  const file = (header: string, data = 8): Uint8Array => {
    const head = new TextEncoder().encode(header + " ".repeat((8 - (header.length % 8)) % 8));
    const out = new Uint8Array(8 + head.length + data);
    new DataView(out.buffer).setBigUint64(0, BigInt(head.length), true);
    out.set(head, 8);
    return out;
  };
  const t = (offsets: string, dtype = '"F32"', shape = "[2]") => `{"dtype":${dtype},"shape":${shape},"data_offsets":${offsets}}`;

  it.each([
    ["overlapping byte ranges", `{"a":${t("[0,8]")},"b":${t("[4,12]")}}`, 12, /tensor b's bytes \[4, 12\) overlap the tensor before it \(which ends at 8\)/],
    ["a gap between tensors", `{"a":${t("[0,8]")},"b":${t("[12,20]")}}`, 20, /4 bytes before tensor b \(at 8\) belong to no tensor/],
    ["trailing bytes", `{"a":${t("[0,8]")}}`, 12, /4 trailing bytes after the last tensor belong to no tensor/],
    ["a duplicate key", `{"a":${t("[0,8]")},"a":${t("[0,8]")}}`, 8, /the header names tensor "a" twice/],
    ["three offsets", `{"a":${t("[0,8,8]")}}`, 8, /tensor a has data_offsets \[0,8,8\]; expected \[begin, end\]/],
    ["offsets that are not an array", `{"a":${t('"0,8"')}}`, 8, /tensor a has data_offsets "0,8"; expected/],
    ["a dtype in a list", `{"a":${t("[0,8]", '["F32"]')}}`, 8, /tensor a has unsupported dtype \["F32"\]/],
    ["a dtype named toString", `{"a":${t("[0,8]", '"toString"')}}`, 8, /unsupported dtype "toString" \(supported: F32, F64, I32, BOOL\)/],
    ["a dtype named constructor", `{"a":${t("[0,8]", '"constructor"')}}`, 8, /unsupported dtype "constructor"/],
    ["a dtype named __proto__", `{"a":${t("[0,8]", '"__proto__"')}}`, 8, /unsupported dtype "__proto__"/],
    ["a shape whose size is not the byte length", `{"a":${t("[0,8]", '"F32"', "[3]")}}`, 8, /tensor a: float32\[3\] is 12 bytes, its data_offsets \[0, 8\] hold 8/],
    ["a huge claimed shape", `{"a":${t("[0,8]", '"F32"', "[4294967296,4294967296]")}}`, 8, /is 73786976294838210000 bytes/],
    ["a negative shape", `{"a":${t("[0,8]", '"F32"', "[-2]")}}`, 8, /a shape is a list of integers ≥ 0/],
    ["metadata that is not all strings", `{"__metadata__":{"epoch":3},"a":${t("[0,8]")}}`, 8, /__metadata__ value "epoch" must be a string, got 3/],
    ["a header that is a list", `[1,2]`, 8, /the safetensors header is not a JSON object/],
    ["an entry that is not an object", `{"a":7}`, 8, /tensor a must be an object \{dtype, shape, data_offsets\}/],
  ] as const)("refuses %s with a FormatError naming the file, the tensor and the rule", (_what, header, data, message) => {
    const bytes = file(header, data);
    expect(() => parseSafetensors(bytes, "f.st")).toThrow(FormatError);
    expect(() => parseSafetensors(bytes, "f.st")).toThrow(message);
  });

  it("refuses a header length over the format's 100 MB limit without reading it", () => {
    const bytes = new Uint8Array(16);
    new DataView(bytes.buffer).setBigUint64(0, 100_000_001n, true);
    expect(() => parseSafetensors(bytes, "big.st")).toThrow("big.st: header length 100000001 is over the 100 MB limit of the format");
  });

  it("accepts what the format allows: zero-size tensors, tensors listed out of offset order, string metadata", () => {
    const bytes = file(`{"__metadata__":{"k":"v"},"b":${t("[8,16]")},"a":${t("[0,8]")},"z":${t("[16,16]", '"F32"', "[0,3]")}}`, 16);
    const { tensors, metadata } = parseSafetensors(bytes, "ok.st");
    expect(metadata).toEqual({ k: "v" });
    expect([...tensors.keys()].sort()).toEqual(["a", "b", "z"]);
    expect(tensors.get("z")!.data.length).toBe(0);
  });
});
