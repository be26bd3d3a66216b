/**
 * The kernels' WGSL lives in shaders/: the embedded copy every environment reads is never
 * stale, every shader opens with the comment that says what it computes, its bindings, its
 * override constants and the CPU function it mirrors, and the substitution the loader does
 * is narrow (a token left unset or given and unused throws).
 */
import { readFileSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { GENERATED, embeddedShaders } from "../scripts/embed_shaders.ts";
import { shaderCode } from "../src/ops/shaders.ts";
import { GraphError } from "../src/index.ts";

const dir = resolve(__dirname, "../shaders");

describe("shaders/", () => {
  it("src/ops/shaders.generated.ts is what `npm run shaders` makes of shaders/ now", () => {
    expect(readFileSync(GENERATED, "utf8"), "run `npm run shaders` after editing a .wgsl file").toBe(embeddedShaders());
  });
  it("every kernel opens with its math, the CPU function it mirrors, its bindings, overrides and design", () => {
    const kernels = readdirSync(dir).filter((f) => f.endsWith(".wgsl"));
    expect(kernels.length).toBeGreaterThan(10);
    for (const f of kernels) {
      const head = readFileSync(join(dir, f), "utf8").split("\n").filter((l) => l.startsWith("//")).join("\n");
      for (const part of ["Mirrors ", "Bindings:", "Overrides:", "Design:"]) expect(head, `${f} lacks "${part}"`).toContain(part);
    }
  });
  it("fills includes, tokens and repeated lines, and refuses a token left unset or unused", () => {
    const code = shaderCode("all_finite", { tokens: { K: 2, K1: 3 }, each: { I: 2, H: 0 } });
    expect(code).toContain("@group(0) @binding(1) var<storage, read> x1: array<f32>;");
    expect(code).toContain("@group(0) @binding(3) var<storage, read_write> status");
    expect(code).toContain("fn raise_fault(");
    expect(code).not.toMatch(/^[^/].*__[A-Z0-9]+__/m);
    expect(() => shaderCode("all_finite", { tokens: { K: 2 }, each: { I: 2 } })).toThrow(GraphError);
    expect(() => shaderCode("all_finite", { tokens: { K: 2 }, each: { I: 2 } })).toThrow("shader all_finite: token __K1__ has no value");
    expect(() => shaderCode("dropout", { tokens: { T: "f32" } })).toThrow("shader dropout: tokens T are not in the shader");
  });
});
