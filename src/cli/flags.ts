/**
 * @file Flag parsing shared by the commands (`npm run train`, `npm run sample`): node:util's
 * parseArgs with `--help`, and checks whose every failure exits 2 with `prog: message` and
 * the usage text.
 */
import { parseArgs } from "node:util";

/**
 * String flags only (plus the built-in `--help`); a flag with a default is never undefined.
 * With `positionals`, arguments that are not flags are returned (else they are an error);
 * `switches` names boolean flags (`--find-lr`), returned in `on`.
 */
export function parseFlags<K extends string>(prog: string, usage: string, options: Record<K, { type: "string"; default?: string; multiple?: boolean }>, args = process.argv.slice(2), opts: { positionals?: boolean; switches?: readonly string[] } = {}) {
  const fail = (msg: string): never => {
    process.stderr.write(`${prog}: ${msg}\n\n${usage}\n`);
    process.exit(2);
  };
  let values!: Partial<Record<K, string>> & { help?: boolean };
  let positionals: string[] = [];
  const switches = Object.fromEntries((opts.switches ?? []).map((n) => [n, { type: "boolean" as const }]));
  // "--epochs -1": node's parseArgs reads -1 as a flag and calls the option ambiguous; pass it
  // on as "--epochs=-1", so that the flag's own check says what the value must be
  const joined: string[] = [];
  for (const a of args) {
    const prev = joined[joined.length - 1];
    if (/^-\.?\d/.test(a) && prev !== undefined && /^--[\w-]+$/.test(prev) && prev.slice(2) in options) joined[joined.length - 1] = `${prev}=${a}`;
    else joined.push(a);
  }
  args = joined;
  try {
    const parsed = parseArgs({ args, options: { ...options, ...switches, help: { type: "boolean" as const, short: "h" } }, allowPositionals: opts.positionals ?? false });
    values = parsed.values as typeof values;
    positionals = parsed.positionals;
  } catch (e) {
    fail((e as Error).message);
  }
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    process.exit(0);
  }
  /** An integer flag ≥ min, or undefined when absent. */
  const int = (name: string, v: string | undefined, min: number): number | undefined => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) fail(`--${name} must be an integer ≥ ${min}, got "${v}"`);
    return n;
  };
  /** A flag that must be one of `allowed`. */
  const oneOf = <T extends string>(name: string, v: string, allowed: readonly T[]): T => {
    if (!allowed.includes(v as T)) fail(`--${name} must be ${allowed.join(", ").replace(/, ([^,]*)$/, " or $1")}, got "${v}"`);
    return v as T;
  };
  /** Every value of a flag given `multiple: true` (repeatable). */
  const all = (name: K): string[] => {
    const v = values[name] as unknown;
    return v === undefined ? [] : Array.isArray(v) ? v : [String(v)];
  };
  const on = new Set((opts.switches ?? []).filter((n) => (values as Record<string, unknown>)[n] === true));
  return { values, positionals, fail, int, oneOf, all, on };
}
