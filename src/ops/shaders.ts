/**
 * @file The kernels' WGSL, from the files in shaders/ (embedded by `npm run shaders` into
 * shaders.generated.ts, so Node, vitest, the demo and the built library read one source).
 * Shapes, strides and attributes reach a shader as `override` constants (`KernelCall.constants`,
 * set with createComputePipeline), so one module serves every shape. What overrides cannot
 * express goes through three narrow, documented forms of substitution, nothing else:
 * - `//#include lib/NAME` — the text of shaders/lib/NAME.wgsl, once per shader even when two
 *   libraries include it: shared functions, or (inside `main`) shared statements such as the
 *   strided shaders' coordinate split;
 * - `__NAME__` — a token the shader's header names (an element type, a binding number);
 * - `//#each I LINE` — LINE repeated `each.I` times with `__I__` = 0, 1, … (a binding count,
 *   or an unrolled block); `//#each I J LINE` — for every pair (`__I__`, `__J__`). A count of
 *   0 or 1 makes a line optional, and `//#each I //#include lib/NAME` includes NAME only then.
 * Comment lines are copied as they are. A token left unset, or one given and unused, throws.
 */
import { GraphError } from "../errors.ts";
import type { BufferRef, KernelCall } from "./types.ts";
import { SHADER_SOURCES } from "./shaders.generated.ts";

export type ShaderName = Exclude<keyof typeof SHADER_SOURCES, `lib/${string}`>;

export interface ShaderVariant {
  /** `__NAME__` → text. */
  tokens?: Record<string, string | number>;
  /** `//#each I` lines → how many copies. */
  each?: Record<string, number>;
}

const cache = new Map<string, string>();

/** The WGSL of shader `name` with its includes, tokens and repeated lines filled in. */
export function shaderCode(name: ShaderName, variant: ShaderVariant = {}): string {
  const key = `${name} ${JSON.stringify(variant)}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const tokens = Object.fromEntries(Object.entries(variant.tokens ?? {}).map(([k, v]) => [k, String(v)]));
  const used = new Set<string>();
  const fill = (line: string, extra: Record<string, string> = {}) =>
    line.replace(/__([A-Z0-9_]+?)__/g, (_, t: string) => {
      const v = extra[t] ?? tokens[t];
      if (v === undefined) throw new GraphError(`shader ${name}: token __${t}__ has no value`);
      used.add(t);
      return v;
    });
  const out: string[] = [];
  const included = new Set<string>();
  const expand = (text: string) => {
    for (const line of text.split("\n")) {
      const include = /^\/\/#include (\S+)$/.exec(line);
      const each = /^\/\/#each ([A-Z]+)(?: ([A-Z]+))? (.*)$/.exec(line);
      if (include) {
        if (included.has(include[1])) continue; // once: two libraries may need a third
        included.add(include[1]);
        const lib = SHADER_SOURCES[include[1] as keyof typeof SHADER_SOURCES];
        if (lib === undefined) throw new GraphError(`shader ${name}: includes ${include[1]}, which shaders/ does not have`);
        expand(lib.trimEnd());
      } else if (each) {
        const [, i, j, body] = each;
        const count = (v: string) => {
          const n = variant.each?.[v];
          if (n === undefined) throw new GraphError(`shader ${name}: //#each ${v} needs a count`);
          return n;
        };
        for (let a = 0; a < count(i); a++) {
          if (!j && body.startsWith("//#include ")) expand(body);
          else if (!j) out.push(fill(body, { [i]: String(a) }));
          else for (let b = 0; b < count(j); b++) out.push(fill(body, { [i]: String(a), [j]: String(b) }));
        }
      } else out.push(line.startsWith("//") ? line : fill(line));
    }
  };
  expand(SHADER_SOURCES[name]);
  const unused = Object.keys(tokens).filter((t) => !used.has(t));
  if (unused.length) throw new GraphError(`shader ${name}: tokens ${unused.join(", ")} are not in the shader`);
  const code = out.join("\n");
  cache.set(key, code);
  return code;
}

/**
 * A dispatch of shader `name`: `threads` threads of a 1-D kernel (workgroup 64), or an
 * explicit grid, with its override constants.
 */
export function shaderCall(
  name: string, shader: ShaderName, bindings: BufferRef[], constants: Record<string, number>,
  grid: { threads: number } | { workgroups: [number, number, number] }, variant?: ShaderVariant,
): KernelCall {
  return { name, code: shaderCode(shader, variant), bindings, constants, ...grid };
}
