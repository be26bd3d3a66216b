/**
 * @file safetensors state dicts (the format of Hugging Face's `safetensors`, read by PyTorch):
 * an 8-byte little-endian header length, a JSON header {name: {dtype, shape, data_offsets}},
 * then the raw little-endian data. Names are PyTorch's (`conv1.weight`), so checkpoints move
 * both ways. Loading validates the whole file against the model before changing anything;
 * saving in Node is atomic and durable (temp file, fsync, rename, fsync of the folder), so a
 * kill or power loss never leaves half a file.
 */
import { ARRAY_OF, type DType, type TypedArray } from "../dtype.ts";
import { FormatError } from "../errors.ts";
import type { Module } from "../nn/module.ts";
import { MAX_HEADER_BYTES, parseHeader } from "./safetensors_header.ts";

const CODE: Record<DType, string> = { float32: "F32", float64: "F64", int32: "I32", bool: "BOOL" };

export interface NamedArray {
  dtype: DType;
  shape: number[];
  data: TypedArray;
}

/** Encodes named arrays as a safetensors file. */
export function serializeSafetensors(tensors: Map<string, NamedArray>, metadata: Record<string, string> = {}): Uint8Array {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  for (const [name, t] of tensors) {
    header[name] = { dtype: CODE[t.dtype], shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  let json = JSON.stringify(header);
  json += " ".repeat((8 - (json.length % 8)) % 8); // align the data to 8 bytes
  const head = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + head.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(head.length), true);
  out.set(head, 8);
  let at = 8 + head.length;
  for (const t of tensors.values()) {
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), at);
    at += t.data.byteLength;
  }
  return out;
}

/**
 * Decodes a safetensors file. The header is checked to the letter of the format first
 * (safetensors_header.ts), so nothing is allocated for a file that breaks it; `file` names it
 * in errors.
 */
export function parseSafetensors(bytes: Uint8Array, file: string): { tensors: Map<string, NamedArray>; metadata: Record<string, string> } {
  const { entries, metadata, dataStart } = parseHeader(bytes, file);
  const tensors = new Map<string, NamedArray>();
  for (const e of entries) {
    const copy = new Uint8Array(bytes.subarray(dataStart + e.begin, dataStart + e.end)); // aligned copy
    const size = e.shape.reduce((a, b) => a * b, 1);
    tensors.set(e.name, { dtype: e.dtype, shape: e.shape, data: new ARRAY_OF[e.dtype](copy.buffer, 0, size) });
  }
  return { tensors, metadata };
}

/** The module's state dict as safetensors bytes. */
export async function stateDictBytes(module: Module, metadata: Record<string, string> = {}): Promise<Uint8Array> {
  const arrays = new Map<string, NamedArray>();
  for (const [name, t] of module.stateDict()) arrays.set(name, { dtype: t.dtype, shape: [...t.shape], data: await t.data() });
  return serializeSafetensors(arrays, metadata);
}

/**
 * Loads safetensors bytes into the module. Every key, shape and dtype is checked first; on
 * any mismatch a FormatError is thrown and the module is left exactly as it was.
 */
export function loadStateDictBytes(module: Module, bytes: Uint8Array, file = "state dict", opts: { strict?: boolean } = {}): Record<string, string> {
  const { tensors, metadata } = parseSafetensors(bytes, file);
  module.loadStateDict(tensors, { strict: opts.strict, file });
  return metadata;
}

/** Node: saves the module atomically and durably (see `writeFileAtomic`). */
export async function saveSafetensors(module: Module, path: string, metadata: Record<string, string> = {}): Promise<void> {
  await writeFileAtomic(path, await stateDictBytes(module, metadata));
}

/**
 * Node: writes `bytes` to `path` so that a kill or a power loss at any moment leaves either the
 * old file or the new one, never a part: a temp file in the same folder, fsync, rename over the
 * path, fsync of the folder (so the rename itself is on disk). Temp files left by earlier
 * processes that died mid-save (`<path>.<pid>.tmp` of a pid no longer running) are removed.
 */
export async function writeFileAtomic(path: string, bytes: Uint8Array): Promise<void> {
  const { mkdir, open, rename, unlink } = await import("node:fs/promises");
  const { dirname } = await import("node:path");
  // `--out runs/today/model.safetensors` makes its folder, as a user expects
  await mkdir(dirname(path), { recursive: true }).catch(() => {});
  await removeStaleTemps(path);
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    const fh = await open(tmp, "w");
    try {
      await fh.writeFile(bytes);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => {});
    throw new FormatError(`${path}: cannot save (${(e as Error).message})`);
  }
  const dir = await open(dirname(path), "r");
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}

/** Deletes `<path>.<pid>.tmp` files whose process is gone (a save killed before its rename). */
async function removeStaleTemps(path: string): Promise<void> {
  const { readdir, unlink } = await import("node:fs/promises");
  const { basename, dirname, join } = await import("node:path");
  const base = basename(path);
  let names: string[];
  try {
    names = await readdir(dirname(path));
  } catch {
    return; // the folder does not exist yet: the save will say so
  }
  for (const name of names) {
    if (!name.startsWith(`${base}.`) || !name.endsWith(".tmp")) continue;
    const pid = Number(name.slice(base.length + 1, -4));
    if (!Number.isInteger(pid) || pid === process.pid || alive(pid)) continue;
    await unlink(join(dirname(path), name)).catch(() => {});
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Node: the bytes of a checkpoint file, or a FormatError naming it. */
export async function readCheckpoint(path: string): Promise<Uint8Array> {
  const { readFile } = await import("node:fs/promises");
  try {
    return new Uint8Array(await readFile(path));
  } catch (e) {
    throw new FormatError(`${path}: cannot read checkpoint (${(e as Error).message})`);
  }
}

/** Node: loads a safetensors file into the module (unchanged on any error). */
export async function loadSafetensors(module: Module, path: string, opts: { strict?: boolean } = {}): Promise<Record<string, string>> {
  return loadStateDictBytes(module, await readCheckpoint(path), path, opts);
}

/**
 * Node: a checkpoint's metadata and tensor shapes from its header alone (the data is not
 * read), validated like a full load: what a model is rebuilt from before its weights load.
 */
export async function readSafetensorsHeader(path: string): Promise<{ metadata: Record<string, string>; shapes: Map<string, number[]> }> {
  const { open } = await import("node:fs/promises");
  let fh: Awaited<ReturnType<typeof open>>;
  try {
    fh = await open(path, "r");
  } catch (e) {
    throw new FormatError(`${path}: cannot read checkpoint (${(e as Error).message})`);
  }
  try {
    const size = (await fh.stat()).size;
    const head = new Uint8Array(Math.min(size, 8));
    await fh.read(head, 0, head.length, 0);
    const n = head.length === 8 ? new DataView(head.buffer).getBigUint64(0, true) : 0n;
    const bytes = new Uint8Array(Number(n <= BigInt(Math.min(size - 8, MAX_HEADER_BYTES)) ? n : 0n) + Math.min(size, 8));
    await fh.read(bytes, 0, bytes.length, 0);
    const { entries, metadata } = parseHeader(bytes, path, size);
    return { metadata, shapes: new Map(entries.map((e) => [e.name, e.shape])) };
  } finally {
    await fh.close();
  }
}

/** Node: reads only a checkpoint's `__metadata__` (from its header). */
export async function readSafetensorsMetadata(path: string): Promise<Record<string, string>> {
  return (await readSafetensorsHeader(path)).metadata;
}
