/** The README's library example runs as written (against the sources, with a smaller loop). */
import { mkdirSync, readFileSync, writeFileSync, rmSync } from "node:fs";
import { resolve } from "node:path";
import { expect, it } from "vitest";

it("the README example runs and its loss falls", async () => {
  const readme = readFileSync(resolve(__dirname, "../README.md"), "utf8");
  const block = readme.match(/```js\n([\s\S]*?)```/)![1];
  const dir = resolve(__dirname, ".readme-example");
  mkdirSync(dir, { recursive: true });
  const file = resolve(dir, "example.mjs");
  writeFileSync(file, block.replace(/from "webgpu-dl"/, `from "../../src/index.ts"`).replace(/console\.log/g, "globalThis.__log"));
  const logs: unknown[] = [];
  (globalThis as { __log?: (v: unknown) => void }).__log = (v) => logs.push(v);
  try {
    await import(file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  expect(Array.from(logs[0] as Float32Array)).toEqual([2, 4, 6, 8]);
  const losses = logs.slice(1) as number[];
  expect(losses.length).toBe(16);
  const mean = (v: number[]) => v.reduce((a, b) => a + b) / v.length;
  expect(losses[0]).toBeGreaterThan(2); // ≈ ln 10 untrained
  expect(mean(losses.slice(-4))).toBeLessThan(mean(losses.slice(0, 4)) - 0.2);
});
