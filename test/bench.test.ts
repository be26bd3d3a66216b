/**
 * The benchmark harness runs every case on every backend at tiny sizes — ours (CPU, WebGPU),
 * the TensorFlow.js peers (tfjs-cpu, tfjs-webgpu on the same adapter) and jax-js (wasm,
 * webgpu) — and tabulates and charts them, so it cannot rot; and the
 * same in headless Chromium (`npm run bench:browser`).
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { expect, it } from "vitest";
import { runBrowserBench } from "../bench/browser.ts";
import { markdown, profileTable, runBench, type BenchBackend } from "../bench/harness.ts";
import { debugLevel } from "../src/debug.ts";
import { cases } from "../bench/cases.ts";
import { svgChart } from "../bench/chart.ts";
import { webgpuAvailable } from "./helpers/backends.ts";

it("npm run bench -- --quick runs every case on every backend and peer, tabulates and charts them", async () => {
  const gpu = await webgpuAvailable();
  const backends: BenchBackend[] = gpu ? ["cpu", "cpu-fast", "webgpu", "tfjs-cpu", "tfjs-webgpu", "jax-wasm", "jax-webgpu"] : ["cpu", "cpu-fast", "tfjs-cpu", "jax-wasm"];
  const results = await runBench({ quick: true, runs: 1, backends });
  const n = cases(true).length;
  // every peer runs every case (jax-js too: its convolution, LSTM cell, LSTM and GRU classifiers)
  for (const b of backends) expect(results.filter((r) => r.backend === b).map((r) => r.case), b).toEqual(cases(true).map((c) => c.name));
  for (const r of results) {
    expect(r.medianMs).toBeGreaterThan(0);
    expect(Number.isFinite(r.rate)).toBe(true);
  }
  const table = markdown(results).split("\n");
  expect(table.length).toBe(2 + n);
  // every row has a ratio against the tfjs peer on the CPU and against jax-js's wasm
  expect(table[0]).toMatch(/^\| case \| CPU ms \| tfjs-cpu ms \| CPU vs tfjs-cpu \| jax-wasm ms \| CPU vs jax-wasm \|/);
  for (const row of table.slice(2)) expect(row.split("|")[4]).toMatch(/\d\.\d\d×/);
  for (const row of table.slice(2)) expect(row.split("|")[6]).toMatch(/\d\.\d\d×/);
  // the fast mode's column and its ratios against the same peers (their times shown once)
  expect(table[0]).toMatch(/\| CPU ms \| tfjs-cpu ms \| CPU vs tfjs-cpu \| jax-wasm ms \| CPU vs jax-wasm \| CPU fast ms \| CPU fast vs tfjs-cpu \| CPU fast vs jax-wasm \|/);
  expect(table[0].match(/tfjs-cpu ms/g)!.length).toBe(1);
  const svg = svgChart(results, "test");
  expect(svg.startsWith("<svg")).toBe(true);
  const imageCases = cases(true).filter((c) => c.unit === "images").length;
  const bars = results.filter((r) => r.unit === "images/s").length;
  expect(bars).toBe(imageCases * backends.length);
  expect(svg.match(/<rect /g)!.length).toBe(bars + backends.length); // bars + legend
}, 600_000);

it("npm run bench -- --profile adds each kernel's time per iteration on our backends, and leaves timing off after", async () => {
  const backends: BenchBackend[] = (await webgpuAvailable()) ? ["cpu", "webgpu", "tfjs-cpu"] : ["cpu", "tfjs-cpu"];
  const results = await runBench({ quick: true, runs: 2, backends, filter: "LeNet-5 train", profile: true });
  expect(results.map((r) => r.backend)).toEqual(backends);
  for (const r of results.filter((x) => !x.backend.startsWith("tfjs"))) {
    const names = r.profile!.map((k) => k.name);
    // a convolution's forward pass and weight gradient read its columns from the image (im2colMatmul);
    // on the software adapter (the direct matmul) each builds them first, into scratch
    expect(r.profile!.find((k) => k.name === "im2colMatmul")!.calls).toBe(4); // two per conv layer
    expect(r.profile!.find((k) => k.name === "im2col")?.calls ?? 0).toBe(r.backend === "webgpu" ? 4 : 0);
    expect(names).toContain("adamUpdate");
    expect(r.profile!.find((k) => k.name === "adamUpdate")!.calls).toBe(1); // one for all ten LeNet parameters (packed), per iteration
    for (let i = 1; i < r.profile!.length; i++) expect(r.profile![i].ms).toBeLessThanOrEqual(r.profile![i - 1].ms);
    expect(profileTable(r, 3)).toMatch(/^\| \d+ others \| [\d.]+ \| [\d.]+ % \|/m);
  }
  expect(results.find((r) => r.backend === "tfjs-cpu")!.profile).toBeUndefined();
  expect(debugLevel).toBe(0);
}, 300_000);

const chromium = existsSync("/usr/bin/chromium");
it.skipIf(!chromium && !process.env.CI)("npm run bench:browser -- --quick runs the same cases in headless Chromium, WebGPU and tfjs included", async () => {
  const { results, browser } = await runBrowserBench({ quick: true, runs: 1, backends: ["cpu", "webgpu", "tfjs-cpu", "tfjs-webgpu", "jax-wasm", "jax-webgpu"] });
  expect(browser).toMatch(/^Chromium \d+/);
  expect(results.length).toBe(cases(true).length * 6); // every case on our two backends and the four peers
  for (const r of results) expect(r.medianMs, `${r.backend} ${r.case}`).toBeGreaterThan(0);
  // the page's WebGPU adapter is named, as in Node
  expect(results.find((r) => r.backend === "webgpu")!.adapter).not.toBe("cpu");
}, 300_000);

it("npm run bench:memory reports GPU bytes and JS heap at step 10 and at the end, with a verdict", () => {
  const out = execFileSync(process.execPath, ["--expose-gc", "--import", "tsx", "bench/memory.ts", "--backend", "cpu", "--steps", "20", "--batch", "16", "--quick"], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  expect(out).toMatch(/Verdict: \*\*flat\*\*/);
  // slack: 2 steps × (images 16·784·4 = 50 176 B, labels 64 B, loss 4 → 16 B, logits 640 B: sizes round to 16 B) = 99.4 KiB
  expect(out).toMatch(/allowed growth from step 10: 99\.4 KiB GPU, the pool's size of 2 steps' inputs and results waiting for the GC/);
  const rows = out.split("\n").filter((l) => /^\| \d+ \|/.test(l));
  expect(rows.map((r) => Number(r.split("|")[1]))).toEqual([10, 20]);
  for (const r of rows) expect(Number(r.split("|")[3].replace(/,/g, ""))).toBeGreaterThan(1e6);
}, 120_000);

it("npm run bench:memory writes bench/results/ only with --save", () => {
  const before = readdirSync(resolve(__dirname, "../bench/results")).length;
  const r = spawnSync(process.execPath, ["--expose-gc", "--import", "tsx", "bench/memory.ts", "--backend", "cpu", "--steps", "10", "--batch", "8"], { encoding: "utf8" });
  expect(r.status, r.stderr).toBe(0);
  expect(r.stdout).toMatch(/Verdict: \*\*flat\*\*/);
  expect(r.stderr).toMatch(/not saved \(pass --save to write bench\/results\/\)/);
  expect(readdirSync(resolve(__dirname, "../bench/results")).length).toBe(before);
}, 120_000);

const gpuAdapter = await webgpuAvailable();
it.skipIf(!gpuAdapter && !process.env.CI)("npm run bench:gpu refuses a software adapter; with --quick --allow-software (its smoke test) it writes the report, the epochs and the estimates", () => {
  const tsx = resolve(__dirname, "../node_modules/.bin/tsx");
  const script = resolve(__dirname, "../bench/gpu.ts");
  let code = 0, err = "";
  // without XDG_RUNTIME_DIR (as under root in CI): Dawn's complaint about it must not show
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== "XDG_RUNTIME_DIR"));
  try {
    execFileSync(tsx, [script], { encoding: "utf8", stdio: "pipe", env });
  } catch (e) {
    code = (e as { status: number }).status;
    err = String((e as { stderr: string }).stderr);
  }
  // this machine's adapter is SwiftShader (CI's too): refused, nothing measured
  expect(code).toBe(2);
  expect(err).toMatch(/bench:gpu: the WebGPU adapter is .*SwiftShader.*, a software adapter: its figures say nothing about a GPU/);
  expect(err).not.toMatch(/XDG_RUNTIME_DIR/);
  const out = mkdtempSync(join(tmpdir(), "bench-gpu-"));
  execFileSync(tsx, [script, "--quick", "--allow-software", "--no-browser", "--runs", "1", "--out", out], { encoding: "utf8", stdio: "pipe" });
  const md = readFileSync(join(out, "gpu.md"), "utf8");
  expect(md).toMatch(/--quick: tiny sizes, a smoke test/);
  for (const peer of ["tfjs-webgpu", "jax-webgpu"]) expect(md).toContain(`WebGPU vs ${peer}`);
  expect(md).toMatch(/\| LeNet-5 \(modern\), Adam 1e-3, batch 64 \| 256 \| 4 \| [\d.]+ \|/);
  expect(md).toMatch(/\| LSTM row classifier .* \| 256 \| 4 \| [\d.]+ \|/);
  expect(md).toMatch(/\| LeNet-5 train step \(Adam\), batch 2 \| [\d.]+ \| [\d.]+ \| [\d.]+ \|/); // measured, estimate, ratio
  expect(readFileSync(join(out, "gpu.svg"), "utf8").startsWith("<svg")).toBe(true);
}, 300_000);

it("the torch-cpu peer's figure is its best median over the tries, and a case it skips is no result", async () => {
  const { torchTimer } = await import("../bench/torch_peer.ts");
  const dir = mkdtempSync(join(tmpdir(), "torch-peer-"));
  // a stand-in for bench/torch/cases.py: medians 20 then 4 (a slowed try, then a fair one), or skip
  const script = join(dir, "cases.mjs"), count = join(dir, "count");
  writeFileSync(script, `import { existsSync, readFileSync, writeFileSync } from "node:fs";
const k = existsSync(${JSON.stringify(count)}) ? Number(readFileSync(${JSON.stringify(count)}, "utf8")) : 0;
writeFileSync(${JSON.stringify(count)}, String(k + 1));
const key = JSON.parse(process.argv[2]);
console.log("warming up");
console.log(JSON.stringify(key.kind === "skip" ? { skip: true } : { median: k === 0 ? 20 : 4, min: 1, max: 30, runs: Number(process.argv[3]) }));
`);
  const c = cases(true)[0];
  expect(await torchTimer(process.execPath, script)(c, 3)).toEqual({ median: 4, min: 1, max: 30, runs: 3 });
  expect(readFileSync(count, "utf8")).toBe("2");
  expect(await torchTimer(process.execPath, script, 1)({ ...c, key: { kind: "skip" } as never }, 3)).toBeUndefined();
});
