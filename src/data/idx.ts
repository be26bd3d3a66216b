/**
 * @file The IDX format (LeCun's MNIST files): magic 0x0000 | type byte | rank byte, then
 * `rank` big-endian u32 dimensions, then the data, big-endian. Everything is validated before
 * a byte of data is read; a bad file is a FormatError naming the file and what is wrong.
 */
import { FormatError } from "../errors.ts";

const TYPES = new Map<number, { name: string; bytes: number }>([
  [0x08, { name: "u8", bytes: 1 }],
  [0x09, { name: "i8", bytes: 1 }],
  [0x0b, { name: "i16", bytes: 2 }],
  [0x0c, { name: "i32", bytes: 4 }],
  [0x0d, { name: "f32", bytes: 4 }],
  [0x0e, { name: "f64", bytes: 8 }],
]);

export interface IdxArray {
  dims: number[];
  /** Items along the first dimension in the whole file (dims[0] may be fewer, see `items`). */
  total: number;
  /** Element type as stored. */
  type: string;
  /** The values, converted to host order (u8 stays a Uint8Array view of the file). */
  data: Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;
}

export interface IdxHeader {
  dims: number[];
  type: string;
  /** The element type byte. */
  code: number;
  /** Bytes before the data. */
  header: number;
  /** Bytes of one item along the first dimension (e.g. one 28×28 image). */
  itemBytes: number;
}

/**
 * Validates an IDX header from the file's first bytes (enough for 4 + 4·rank) against the
 * file's full size, so a reader can check a file before reading its data.
 */
export function parseIdxHeader(bytes: Uint8Array, name: string, fileSize = bytes.length): IdxHeader {
  if (fileSize < 4) throw new FormatError(`${name}: ${fileSize} bytes is too short for an IDX header (need at least 4)`);
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    throw new FormatError(`${name}: bad IDX magic number 0x${hex(bytes[0])}${hex(bytes[1])}, expected 0x0000 (is the file gzip-compressed or not IDX?)`);
  }
  const type = TYPES.get(bytes[2]);
  if (!type) throw new FormatError(`${name}: unknown IDX element type 0x${hex(bytes[2])}`);
  const rank = bytes[3];
  if (rank < 1) throw new FormatError(`${name}: IDX rank is 0, expected at least 1 dimension`);
  const header = 4 + 4 * rank;
  if (fileSize < header) throw new FormatError(`${name}: truncated IDX header (${fileSize} bytes, need ${header} for ${rank} dimensions)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i, false));
  const itemBytes = dims.slice(1).reduce((a, b) => a * b, 1) * type.bytes;
  const want = header + dims[0] * itemBytes;
  if (fileSize !== want) {
    throw new FormatError(
      `${name}: IDX dimensions [${dims.join(",")}] of ${type.name} need ${want} bytes, file has ${fileSize} (${fileSize < want ? "truncated" : "trailing data"})`,
    );
  }
  return { dims, type: type.name, code: bytes[2], header, itemBytes };
}

/**
 * Parses an IDX file; `name` is used in error messages (the file path). With `items`, `bytes`
 * may be just the header and the first `items` items of a file of `fileSize` bytes, and only
 * those are read (dims[0] becomes that count).
 */
export function parseIdx(bytes: Uint8Array, name: string, opts: { items?: number; fileSize?: number } = {}): IdxArray {
  const h = parseIdxHeader(bytes, name, opts.fileSize ?? bytes.length);
  const items = Math.min(h.dims[0], opts.items ?? Infinity);
  if (bytes.length < h.header + items * h.itemBytes) throw new FormatError(`${name}: read ${bytes.length} bytes, the first ${items} items need ${h.header + items * h.itemBytes}`);
  const dims = [items, ...h.dims.slice(1)];
  const count = dims.reduce((a, b) => a * b, 1);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { dims, total: h.dims[0], type: h.type, data: readValues(view, h.header, count, h.code) };
}

/** Bytes to read for the header and the first `items` items: the header is at most 4 + 4·255. */
export const IDX_MAX_HEADER = 4 + 4 * 255;

function readValues(view: DataView, at: number, n: number, code: number): IdxArray["data"] {
  const u8 = new Uint8Array(view.buffer, view.byteOffset + at, n * TYPES.get(code)!.bytes);
  switch (code) {
    case 0x08: return u8;
    case 0x09: return new Int8Array(u8.buffer, u8.byteOffset, n);
    case 0x0b: return Int16Array.from({ length: n }, (_, i) => view.getInt16(at + 2 * i, false));
    case 0x0c: return Int32Array.from({ length: n }, (_, i) => view.getInt32(at + 4 * i, false));
    case 0x0d: return Float32Array.from({ length: n }, (_, i) => view.getFloat32(at + 4 * i, false));
    default: return Float64Array.from({ length: n }, (_, i) => view.getFloat64(at + 8 * i, false));
  }
}

function hex(b: number): string {
  return b.toString(16).padStart(2, "0");
}
