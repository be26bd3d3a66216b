/**
 * @file The safetensors header, validated to the letter of the format before any tensor is
 * allocated: an 8-byte little-endian length N (at most 100 MB, as the reference reader
 * allows), N bytes of UTF-8 JSON holding one object whose keys are unique, an optional
 * `__metadata__` of string → string, and for every other key
 * `{dtype: string, shape: int[], data_offsets: [begin, end]}` with end − begin equal to the
 * shape's element count times the dtype's size. Sorted by offset, the tensors' byte ranges
 * must start at 0, follow each other with no gap or overlap, and end exactly at the end of
 * the file. Each rule broken is a FormatError naming the file, the tensor and the rule.
 */
import type { DType } from "../dtype.ts";
import { FormatError } from "../errors.ts";

/** The largest header accepted (the reference implementation's limit). */
export const MAX_HEADER_BYTES = 100_000_000;

/** safetensors dtype code → our dtype and bytes per element (a Map: no inherited names). */
const DTYPES = new Map<string, { dtype: DType; bytes: number }>([
  ["F32", { dtype: "float32", bytes: 4 }],
  ["F64", { dtype: "float64", bytes: 8 }],
  ["I32", { dtype: "int32", bytes: 4 }],
  ["BOOL", { dtype: "bool", bytes: 1 }],
]);

export interface HeaderEntry {
  name: string;
  dtype: DType;
  shape: number[];
  /** Byte range within the data section. */
  begin: number;
  end: number;
}

export interface Header {
  entries: HeaderEntry[];
  metadata: Record<string, string>;
  /** Offset of the data section in the file. */
  dataStart: number;
}

/** Reads and checks the header of a safetensors file of `bytes`; `file` names it in errors. */
export function parseHeader(bytes: Uint8Array, file: string, fileSize = bytes.length): Header {
  const bad = (msg: string): never => {
    throw new FormatError(`${file}: ${msg}`);
  };
  if (bytes.length < 8) bad(`${bytes.length} bytes is too short for a safetensors file (it starts with an 8-byte header length)`);
  const n64 = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (n64 > BigInt(MAX_HEADER_BYTES)) bad(`header length ${n64} is over the 100 MB limit of the format`);
  const n = Number(n64);
  if (n > fileSize - 8) bad(`header length ${n} runs past the end of the file (${fileSize} bytes)`);
  if (n > bytes.length - 8) bad(`only ${bytes.length} bytes of the header were read`);
  if (n < 2) bad(`header length ${n} is too short for a JSON object`);
  let text = "";
  let header: unknown;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, 8 + n));
    header = JSON.parse(text);
  } catch (e) {
    bad(`corrupt safetensors header (${(e as Error).message})`);
  }
  if (!header || typeof header !== "object" || Array.isArray(header)) bad("the safetensors header is not a JSON object");
  const duplicate = firstDuplicateKey(text);
  if (duplicate !== null) bad(`the header names tensor "${duplicate}" twice`);
  const entries: HeaderEntry[] = [];
  let metadata: Record<string, string> = {};
  for (const [name, info] of Object.entries(header as Record<string, unknown>)) {
    if (name === "__metadata__") {
      metadata = checkMetadata(info, bad);
      continue;
    }
    entries.push(checkEntry(name, info, bad));
  }
  const dataBytes = fileSize - 8 - n;
  let at = 0;
  for (const e of [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end)) {
    if (e.begin < at) bad(`tensor ${e.name}'s bytes [${e.begin}, ${e.end}) overlap the tensor before it (which ends at ${at})`);
    if (e.begin > at) bad(`${e.begin - at} bytes before tensor ${e.name} (at ${at}) belong to no tensor`);
    at = e.end;
  }
  if (at > dataBytes) bad(`the tensors need ${at} bytes of data, the file has ${dataBytes} after the header (truncated?)`);
  if (at < dataBytes) bad(`${dataBytes - at} trailing bytes after the last tensor belong to no tensor`);
  return { entries, metadata, dataStart: 8 + n };
}

function checkMetadata(info: unknown, bad: (msg: string) => never): Record<string, string> {
  if (!info || typeof info !== "object" || Array.isArray(info)) bad("__metadata__ must be an object of strings");
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(info as Record<string, unknown>)) {
    if (typeof v !== "string") bad(`__metadata__ value "${k}" must be a string, got ${JSON.stringify(v)?.slice(0, 40)}`);
    out[k] = v as string;
  }
  return out;
}

function checkEntry(name: string, info: unknown, bad: (msg: string) => never): HeaderEntry {
  if (!info || typeof info !== "object" || Array.isArray(info)) bad(`tensor ${name} must be an object {dtype, shape, data_offsets}`);
  const { dtype, shape, data_offsets: offsets } = info as Record<string, unknown>;
  const code = typeof dtype === "string" ? DTYPES.get(dtype) : undefined;
  if (!code) bad(`tensor ${name} has unsupported dtype ${JSON.stringify(dtype)?.slice(0, 40)} (supported: ${[...DTYPES.keys()].join(", ")})`);
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    bad(`tensor ${name} has shape ${JSON.stringify(shape)?.slice(0, 60)}; a shape is a list of integers ≥ 0`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) {
    bad(`tensor ${name} has data_offsets ${JSON.stringify(offsets)?.slice(0, 60)}; expected [begin, end], two integers ≥ 0`);
  }
  const [begin, end] = offsets as number[];
  if (end < begin) bad(`tensor ${name} has data_offsets [${begin}, ${end}] that end before they begin`);
  const elements = (shape as number[]).reduce((a, b) => a * b, 1);
  const want = elements * code!.bytes;
  if (end - begin !== want) {
    bad(`tensor ${name}: ${code!.dtype}[${(shape as number[]).join(",")}] is ${want} bytes, its data_offsets [${begin}, ${end}] hold ${end - begin}`);
  }
  return { name, dtype: code!.dtype, shape: shape as number[], begin, end };
}

/**
 * The first key that occurs twice at the top level of the JSON object `text` (JSON.parse keeps
 * the last silently), or null. A small scanner: strings, nesting depth, and the key before
 * each top-level colon.
 */
function firstDuplicateKey(text: string): string | null {
  const seen = new Set<string>();
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === "\\" ? 2 : 1;
      if (depth === 1) {
        let k = j + 1;
        while (/\s/.test(text[k])) k++;
        if (text[k] === ":") {
          const key = JSON.parse(text.slice(i, j + 1)) as string;
          if (seen.has(key)) return key;
          seen.add(key);
        }
      }
      i = j;
    } else if (ch === "{" || ch === "[") depth++;
    else if (ch === "}" || ch === "]") depth--;
  }
  return null;
}
