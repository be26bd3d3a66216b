/**
 * The import graph of src/ (runtime imports: `import … from`, bare `import "…"` and
 * `export … from`; an import whose every name is a type does not count) has no cycle, and every
 * import points down the layers of ARCHITECTURE.md: a file imports only files of its own layer
 * or of lower ones.
 */
import { readFileSync, readdirSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { expect, it } from "vitest";

/**
 * The layers, lowest first; a file is in the first layer one of whose patterns is its path or
 * a folder above it. The Tensor is below the ops and the executor; src/runtime.ts gives it
 * both (the one seam, installed at load).
 */
const LAYERS: [string, string[]][] = [
  ["base", ["dtype.ts", "shape.ts", "errors.ts", "debug.ts", "random.ts", "ops/fault.ts", "ops/shaders.generated.ts"]],
  ["backends", ["backends"]],
  ["graph ir", ["tensor.ts", "graph/trace.ts", "graph/ir.ts"]],
  ["ops", ["ops"]],
  ["graph", ["graph"]],
  ["runtime", ["runtime.ts", "creation.ts"]],
  ["library", ["losses.ts", "functional.ts", "metrics.ts", "text", "nn", "optim", "train_step.ts", "data", "io", "models"]],
  ["entry points", ["index.ts", "internals.ts"]],
  ["cli", ["cli"]],
];

function layerOf(file: string): number {
  const i = LAYERS.findIndex(([, pats]) => pats.some((p) => file === p || file.startsWith(p + "/")));
  if (i < 0) throw new Error(`${file} is in no layer of test/layers.test.ts: add it where it belongs`);
  return i;
}

/** Runtime imports of each file (an import whose every name is `type X` is not one). */
function importGraph(root: string): Map<string, string[]> {
  const files: string[] = [];
  const walk = (d: string) => {
    for (const f of readdirSync(d)) {
      const p = join(d, f);
      if (statSync(p).isDirectory()) walk(p);
      else if (p.endsWith(".ts")) files.push(p);
    }
  };
  walk(root);
  const graph = new Map<string, string[]>();
  for (const f of files) {
    const deps: string[] = [];
    for (const m of readFileSync(f, "utf8").matchAll(/^(?:import|export)\s+(type\s+)?([^;"]*?)\s*(?:from\s+)?"(\.[^"]+)";/gms)) {
      const names = m[2].trim();
      const typeOnly = !!m[1] || (/^\{[^}]*\}$/.test(names) && names.slice(1, -1).split(",").map((s) => s.trim()).filter(Boolean).every((s) => s.startsWith("type ")));
      if (!typeOnly) deps.push(resolve(dirname(f), m[3]));
    }
    graph.set(relative(root, f), deps.filter((d) => files.includes(d)).map((d) => relative(root, d)));
  }
  return graph;
}

/** Strongly connected components with more than one file (Tarjan). */
function cycles(graph: Map<string, string[]>): string[][] {
  let index = 0;
  const idx = new Map<string, number>(), low = new Map<string, number>(), stack: string[] = [], on = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const c: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        c.push(w);
      } while (w !== v);
      if (c.length > 1) out.push(c.sort());
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) visit(v);
  return out;
}

const graph = importGraph(resolve(__dirname, "../src"));

it("src/ has no import cycle", () => {
  expect(cycles(graph)).toEqual([]);
});

it("every import of src/ points to the same layer or a lower one", () => {
  const up: string[] = [];
  for (const [file, deps] of graph) {
    for (const d of deps) if (layerOf(d) > layerOf(file)) up.push(`${file} (${LAYERS[layerOf(file)][0]}) imports ${d} (${LAYERS[layerOf(d)][0]})`);
  }
  expect(up).toEqual([]);
});

it("the cycle finder sees a cycle of two files and ignores type-only imports", () => {
  const g = new Map([["a.ts", ["b.ts"]], ["b.ts", ["a.ts"]], ["c.ts", ["a.ts"]]]);
  expect(cycles(g)).toEqual([["a.ts", "b.ts"]]);
  expect(cycles(new Map([["a.ts", ["b.ts"]], ["b.ts", []]]))).toEqual([]);
});

it("the import reader sees bare imports and re-exports, and skips type-only ones", () => {
  const deps = (f: string) => graph.get(f)!;
  expect(deps("creation.ts")).toContain("runtime.ts"); // import "./runtime.ts"
  expect(deps("index.ts")).toContain("ops/sum.ts"); // export { expand } from "./ops/sum.ts"
  expect(deps("tensor.ts")).not.toContain("ops/elementwise.ts"); // import type * as ew
});
