/** FEATURES.md lists exactly the ops of the registry, with their real gradient and kernel status. */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { expect, it } from "vitest";
import { OPS } from "../src/internals.ts";

it("FEATURES.md has one true row per registered op", () => {
  const text = readFileSync(resolve(__dirname, "../FEATURES.md"), "utf8");
  const rows = text.split("\n").filter((l) => /^\| [a-zA-Z0-9]+ \|/.test(l) && !l.startsWith("| op |"));
  const table = rows.map((l) => l.split("|").map((c) => c.trim()).filter(Boolean));
  expect(table.map((r) => r[0]).sort()).toEqual(Object.keys(OPS).sort());
  for (const [name, , fastCol, gradCol, gpuCol] of table) {
    const op = OPS[name as keyof typeof OPS];
    expect(fastCol === "yes", `${name} CPU fast column`).toBe(!!op.cpuFast);
    expect(gradCol.startsWith("yes"), `${name} grad column`).toBe(!!op.grad);
    expect(gpuCol === "yes", `${name} WebGPU column`).toBe(op.webgpu !== null);
  }
});
