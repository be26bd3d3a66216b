/**
 * The import graph of src/ (runtime imports; `import type` does not count): no new cycle may
 * appear. Issue #17 asks for none at all; today one remains, the lazy Tensor's (its methods
 * call the ops, `data()` the executor, and graph/ir.ts constructs Tensors, so tensor.ts, ir.ts,
 * creation.ts, the op families and plan/fuse/executor import each other). This test pins it:
 * a change that adds a file to it, or a new cycle, fails; one that removes files from it must
 * shrink KNOWN here, until it is empty.
 */
import { readFileSync, readdirSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { expect, it } from "vitest";

const KNOWN = [
  "creation.ts", "graph/executor.ts", "graph/fuse.ts", "graph/ir.ts", "graph/plan.ts", "ops/elementwise.ts",
  "ops/matmul.ts", "ops/matmul_epilogue.ts", "ops/movement.ts", "ops/reduce.ts", "tensor.ts",
];

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
    for (const m of readFileSync(f, "utf8").matchAll(/^import\s+(type\s+)?([^;]*?)\s+from\s+"(\.[^"]+)";/gms)) {
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

it("src/ has no import cycle but the known one, and that one does not grow", () => {
  const found = cycles(importGraph(resolve(__dirname, "../src")));
  expect(found).toEqual([KNOWN]);
});

it("the cycle finder sees a cycle of two files and ignores type-only imports", () => {
  const g = new Map([["a.ts", ["b.ts"]], ["b.ts", ["a.ts"]], ["c.ts", ["a.ts"]]]);
  expect(cycles(g)).toEqual([["a.ts", "b.ts"]]);
  expect(cycles(new Map([["a.ts", ["b.ts"]], ["b.ts", []]]))).toEqual([]);
});
