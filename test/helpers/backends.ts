/**
 * @file Running the same computation on the CPU and WebGPU backends. The WebGPU backend is
 * required under CI (a missing adapter fails the suite); elsewhere a machine without one skips
 * the WebGPU suites with a message.
 */
import { DeviceError, fromArray, getBackend, gradients, mul, setBackend, sum, type DType, type Tensor, type TypedArray } from "../../src/index.ts";
import { seeded } from "./gradcheck.ts";
import { afterAll, beforeAll, describe } from "vitest";
import type { MatmulStrategy } from "../../src/ops/matmul_kernel.ts";
import type { WebGpuBackend } from "../../src/backends/webgpu/webgpu.ts";
import { expectClose, type Tolerance } from "../tolerance.ts";

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

export interface Spec {
  shape: number[];
  dtype?: DType;
  /** Values; default uniform in [lo, hi) (range, default [-1, 1)) from the case's seed. */
  values?: number[];
  range?: [number, number];
}

function hostData(specs: Spec[], seed: number): { data: TypedArray; shape: number[]; dtype: DType }[] {
  const rng = seeded(seed);
  return specs.map((s) => {
    const n = s.shape.reduce((a, b) => a * b, 1);
    const dtype = s.dtype ?? "float32";
    const [lo, hi] = s.range ?? [-1, 1];
    const vals = s.values ?? Array.from({ length: n }, () => lo + (hi - lo) * rng());
    const data = dtype === "int32" ? Int32Array.from(vals) : dtype === "bool" ? Uint8Array.from(vals) : Float32Array.from(vals);
    return { data, shape: s.shape, dtype };
  });
}

/** Outputs of f (and, with `grads`, the gradients of Σ f·w w.r.t. every float input). */
async function runOn(backend: "cpu" | "webgpu", f: (...xs: Tensor[]) => Tensor | Tensor[], host: ReturnType<typeof hostData>, grads: boolean, seed: number) {
  await setBackend(backend);
  const xs = host.map((h) => fromArray(h.data.slice(), h.shape, h.dtype));
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
export async function expectKernelMatchesCpu(name: string, f: (...xs: Tensor[]) => Tensor | Tensor[], specs: Spec[], tol: Tolerance, opts: { grads?: boolean; gradTol?: Tolerance; seed?: number } = {}) {
  const seed = opts.seed ?? 7;
  const before = getBackend().name as "cpu" | "webgpu";
  const host = hostData(specs, seed);
  const grads = opts.grads ?? true;
  const cpu = await runOn("cpu", f, host, grads, seed);
  const gpu = await runOn("webgpu", f, host, grads, seed);
  const nOut = [f(...host.map((h) => fromArray(h.data.slice(), h.shape, h.dtype)))].flat().length;
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

