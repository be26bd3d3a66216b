/**
 * @file Running the same computation on the CPU and WebGPU backends. The WebGPU backend is
 * required under CI (a missing adapter fails the suite); elsewhere a machine without one skips
 * the WebGPU suites with a message.
 */
import { DeviceError, fromArray, getBackend, gradients, mul, setBackend, sum, type DType, type Tensor, type TypedArray } from "../../src/index.ts";
import { hostInputs, makeInputs, seeded, toTensors, type InputSpec } from "./inputs.ts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MatmulStrategy } from "../../src/ops/matmul_kernel.ts";
import type { WebGpuBackend } from "../../src/backends/webgpu/webgpu.ts";
import { HAND, expectClose, type BackendName, type Tolerance } from "../tolerance.ts";

/** Whether WebGPU tests run here: always under CI, elsewhere only with an adapter. */
export async function webgpuAvailable(): Promise<boolean> {
  const before = getBackend().name;
  try {
    await setBackend("webgpu");
    return true;
  } catch (e) {
    if (process.env.CI || !(e instanceof DeviceError)) throw e;
    console.warn(`WebGPU tests skipped: ${(e as Error).message}`);
    return false;
  } finally {
    await setBackend(before as "cpu" | "webgpu");
  }
}

/** Outputs of f (and, with `grads`, the gradients of Σ f·w w.r.t. every float input). */
async function runOn(backend: "cpu" | "webgpu", f: (...xs: Tensor[]) => Tensor | Tensor[], host: ReturnType<typeof hostInputs>, grads: boolean, seed: number) {
  await setBackend(backend);
  const xs = toTensors(host);
  const outs = [f(...xs)].flat();
  const results: TypedArray[] = [];
  for (const o of outs) results.push(await o.data());
  if (grads) {
    const rng = seeded(seed + 1000);
    const floats = xs.filter((x) => x.dtype === "float32");
    const loss = outs
      .filter((o) => o.dtype === "float32")
      .map((o) => sum(mul(o, fromArray(Float32Array.from({ length: o.size }, () => 2 * rng() - 1), [...o.shape]))))
      .reduce((a, b) => a.add(b));
    for (const g of gradients(loss, floats)) results.push(await g.data());
  }
  return results;
}

/**
 * Runs f on both backends with the same seeded inputs and checks every output (and gradient)
 * within `tol`; the message names the case, seed and output index.
 */
export async function expectKernelMatchesCpu(name: string, f: (...xs: Tensor[]) => Tensor | Tensor[], specs: InputSpec[], tol: Tolerance, opts: { grads?: boolean; gradTol?: Tolerance; seed?: number } = {}) {
  const seed = opts.seed ?? 7;
  const before = getBackend().name as "cpu" | "webgpu";
  const host = hostInputs(specs, seed);
  const grads = opts.grads ?? true;
  const cpu = await runOn("cpu", f, host, grads, seed);
  const gpu = await runOn("webgpu", f, host, grads, seed);
  const nOut = [f(...toTensors(host))].flat().length;
  await setBackend(before);
  cpu.forEach((c, k) => expectClose(gpu[k], c, k < nOut ? tol : opts.gradTol ?? tol, `${name} (seed ${seed}) ${k < nOut ? `output ${k}` : `gradient ${k - nOut}`}`));
}

/** Runs a suite under each matmul kernel strategy (SwiftShader picks "direct" by itself). */
export function eachStrategy(gpu: boolean, title: string, body: () => void): void {
  describe.skipIf(!gpu).each(["tiled", "direct"] as const)(`${title} (%s kernel)`, (strategy) => {
    let before: MatmulStrategy;
    let b: WebGpuBackend;
    beforeAll(async () => {
      b = (await setBackend("webgpu")) as WebGpuBackend; // the adapter's own choice is in its caps; override it
      before = b.caps.matmul;
      b.caps.matmul = strategy;
      await setBackend("cpu");
    });
    afterAll(async () => {
      b.caps.matmul = before;
      await setBackend("cpu");
    });
    body();
  });
}


/** The backends the op tests run on here: the CPU always, WebGPU where there is an adapter (always under CI). */
export async function testBackends(): Promise<BackendName[]> {
  return (await webgpuAvailable()) ? ["cpu", "webgpu"] : ["cpu"];
}

/** `describe.each` over the backends: each block's tests run with its backend current. */
export function onEachBackend(backends: readonly BackendName[], title: string, body: (backend: BackendName) => void): void {
  describe.each(backends)(`${title} (%s)`, (backend) => {
    beforeAll(async () => {
      await setBackend(backend);
    });
    afterAll(async () => {
      await setBackend("cpu");
    });
    body(backend);
  });
}

/** A hand-worked op case: inputs from the shared spec builder, the values worked out by hand. */
export interface OpCase {
  name: string;
  f: (...xs: Tensor[]) => Tensor | Tensor[];
  inputs: InputSpec[];
  /** Each output's values (row-major), and, where given, its shape. */
  want: number[][];
  shapes?: number[][];
  /** How the op computes them, which sets the tolerance on each backend (test/tolerance.ts HAND). */
  how: keyof typeof HAND;
}

/** Runs a table of hand-worked cases on every backend. */
export function opCases(backends: readonly BackendName[], title: string, cases: readonly OpCase[]): void {
  onEachBackend(backends, title, (backend) => {
    it.each(cases)("$name", async (c) => {
      const outs = [c.f(...makeInputs(c.inputs))].flat();
      expect(outs.length, `${c.name}: outputs`).toBe(c.want.length);
      for (const [k, o] of outs.entries()) {
        if (c.shapes) expect(o.shape, `${c.name}: shape of output ${k}`).toEqual(c.shapes[k]);
        expectClose(await o.data(), c.want[k], HAND[c.how][backend], `${c.name} on ${backend}: output ${k}`);
      }
    });
  });
}

/** The values of a tensor checked against hand-worked ones on the current backend. */
export async function expectValues(t: Tensor, want: readonly number[], tol: Tolerance, what = "values"): Promise<void> {
  expectClose(await t.data(), want, tol, what);
}
