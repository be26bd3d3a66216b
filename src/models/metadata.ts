/**
 * @file Reading a model's checkpoint metadata safely: every field is parsed and range-checked
 * before a model is built, and the sizes it claims are checked against the shapes of the
 * tensors actually in the file, so bad metadata is a FormatError naming the file and the
 * field, never a SyntaxError, and never an allocation the file cannot back (a `hiddenSize` of
 * 8000 in a 4.6 MB file).
 */
import { FormatError } from "../errors.ts";

/** The largest embedding, hidden or layer size metadata may claim without tensors to check it. */
const MAX_SIZE = 1 << 16;

/** A JSON field of the metadata, parsed; a FormatError when absent or not JSON. */
export function jsonField(meta: Record<string, string>, key: string, file: string): unknown {
  const raw = meta[key];
  if (typeof raw !== "string") throw new FormatError(`${file}: the checkpoint metadata has no "${key}"`);
  try {
    return JSON.parse(raw);
  } catch (e) {
    throw new FormatError(`${file}: metadata "${key}" is not valid JSON (${(e as Error).message})`);
  }
}

/** A JSON object field (a model's config). */
export function objectField(meta: Record<string, string>, key: string, file: string): Record<string, unknown> {
  const v = jsonField(meta, key, file);
  if (!v || typeof v !== "object" || Array.isArray(v)) throw new FormatError(`${file}: metadata "${key}" must be a JSON object, got ${meta[key].slice(0, 40)}`);
  return v as Record<string, unknown>;
}

/** A JSON array of strings (class names). */
export function stringsField(meta: Record<string, string>, key: string, file: string): string[] {
  const v = jsonField(meta, key, file);
  if (!Array.isArray(v) || !v.every((s) => typeof s === "string")) throw new FormatError(`${file}: metadata "${key}" must be a JSON array of strings`);
  return v;
}

/** An integer in [min, MAX_SIZE] (a config entry, or a metadata string such as maxLen), or `fallback` when absent. */
export function sizeField(v: unknown, what: string, file: string, min = 1, fallback?: number): number {
  if (v === undefined && fallback !== undefined) return fallback;
  const n = typeof v === "string" ? Number(v) : v;
  if (typeof n !== "number" || !Number.isInteger(n) || n < min || n > MAX_SIZE) {
    throw new FormatError(`${file}: ${what} is ${JSON.stringify(v)}, expected an integer from ${min} to ${MAX_SIZE}`);
  }
  return n;
}

/** One of a few strings, or `fallback` when absent. */
export function choiceField<T extends string>(v: unknown, what: string, file: string, allowed: readonly T[], fallback: T): T {
  if (v === undefined) return fallback;
  if (typeof v !== "string" || !allowed.includes(v as T)) throw new FormatError(`${file}: ${what} is ${JSON.stringify(v)}, expected ${allowed.join(" or ")}`);
  return v as T;
}

/** Checks that the file holds `name` with exactly the shape the metadata implies. */
export function expectShape(shapes: ReadonlyMap<string, readonly number[]>, name: string, want: readonly number[], file: string): void {
  const got = shapes.get(name);
  if (!got) throw new FormatError(`${file}: the metadata describes a model with ${name}, which the file does not hold`);
  if (got.join() !== want.join()) throw new FormatError(`${file}: the metadata implies ${name} of [${want.join(",")}], the file holds [${got.join(",")}]`);
}

/** What a checkpoint of each model is for: the command that uses it. */
const USE: Record<string, string> = {
  lenet5: "npm run predict -- --ckpt FILE IMAGE.png", lstm: "npm run predict -- --ckpt FILE IMAGE.png", vgg: "npm run predict -- --ckpt FILE IMAGE.png",
  textclf: "npm run predict -- --ckpt FILE \"some text\"", bow: "npm run predict -- --ckpt FILE \"some text\"",
  charlm: "npm run sample -- --ckpt FILE", tagger: "npm run tag -- --ckpt FILE \"a sentence\"", skipgram: "npm run similar -- --ckpt FILE --word W",
};

/**
 * Refuses a checkpoint of another model with what it is and what to do with it (never a list
 * of every missing key): `a.safetensors: a checkpoint of --model textclf, not charlm; use it
 * with npm run predict -- --ckpt a.safetensors "some text", or train a charlm with npm run
 * train -- --model charlm … --out charlm.safetensors`.
 */
export function expectModel(meta: Record<string, string>, want: readonly string[], file: string, train: string): void {
  const got = meta.model;
  if (got !== undefined && want.includes(got)) return;
  const fresh = `train a ${want[0]} with npm run train -- --model ${want[0]} ${train} --out ${want[0]}.safetensors`;
  if (got === undefined || !(got in USE)) throw new FormatError(`${file}: not a checkpoint of --model ${want.join(" or ")} (its metadata names no model webgpu-dl knows: ${JSON.stringify(got ?? null)}); ${fresh}`);
  throw new FormatError(`${file}: a checkpoint of --model ${got}, not ${want.join(" or ")}; use it with ${USE[got].replace("FILE", file)}, or ${fresh}`);
}
