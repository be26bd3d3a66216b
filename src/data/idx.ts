/**
 * @file The IDX format (LeCun's MNIST files): magic 0x0000 | type byte | rank byte, then
 * `rank` big-endian u32 dimensions, then the data, big-endian. Everything is validated before
 * a byte of data is read; a bad file is a FormatError naming the file and what is wrong.
 */
import { FormatError } from "../errors.ts";

const TYPES: Record<number, { name: string; bytes: number }> = {
  0x08: { name: "u8", bytes: 1 },
  0x09: { name: "i8", bytes: 1 },
  0x0b: { name: "i16", bytes: 2 },
  0x0c: { name: "i32", bytes: 4 },
  0x0d: { name: "f32", bytes: 4 },
  0x0e: { name: "f64", bytes: 8 },
};

export interface IdxArray {
  dims: number[];
  /** Element type as stored. */
  type: string;
  /** The values, converted to host order (u8 stays a Uint8Array view of the file). */
  data: Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;
}

/** Parses an IDX file; `name` is used in error messages (the file path). */
export function parseIdx(bytes: Uint8Array, name: string): IdxArray {
  if (bytes.length < 4) throw new FormatError(`${name}: ${bytes.length} bytes is too short for an IDX header (need at least 4)`);
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    throw new FormatError(`${name}: bad IDX magic number 0x${hex(bytes[0])}${hex(bytes[1])}, expected 0x0000 (is the file gzip-compressed or not IDX?)`);
  }
  const type = TYPES[bytes[2]];
  if (!type) throw new FormatError(`${name}: unknown IDX element type 0x${hex(bytes[2])}`);
  const rank = bytes[3];
  if (rank < 1) throw new FormatError(`${name}: IDX rank is 0, expected at least 1 dimension`);
  const header = 4 + 4 * rank;
  if (bytes.length < header) throw new FormatError(`${name}: truncated IDX header (${bytes.length} bytes, need ${header} for ${rank} dimensions)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i, false));
  const count = dims.reduce((a, b) => a * b, 1);
  const want = header + count * type.bytes;
  if (bytes.length !== want) {
    throw new FormatError(
      `${name}: IDX dimensions [${dims.join(",")}] of ${type.name} need ${want} bytes, file has ${bytes.length} (${bytes.length < want ? "truncated" : "trailing data"})`,
    );
  }
  return { dims, type: type.name, data: readValues(view, header, count, bytes[2]) };
}

function readValues(view: DataView, at: number, n: number, code: number): IdxArray["data"] {
  const u8 = new Uint8Array(view.buffer, view.byteOffset + at, n * TYPES[code].bytes);
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
