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
    expect(() => loadStateDictBytes(m, truncated, "t.st")).toThrow(/t.st: tensor .* has inconsistent shape/);
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
    writeFileSync(path, Uint8Array.from([255, 255, 255, 255, 0, 0, 0, 0, 1]));
    await expect(loadSafetensors(m, path)).rejects.toThrow(/bad.safetensors: header length .* runs past the end/);
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
});
