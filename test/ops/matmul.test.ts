/**
 * Hand-worked matmuls on every backend (the CPU, and WebGPU where there is an adapter: always
 * under CI); then the CPU's own loops (WebAssembly SIMD and JavaScript) against a float64
 * triple loop, bit for bit, in float32 and float64 (WebGPU has no float64; its kernels are
 * checked against this reference in test/webgpu/matmul.test.ts).
 */
import { describe, expect, it } from "vitest";
import { F, ShapeError, matmul, tensor, transpose, zeros, type Tensor as W } from "../../src/index.ts";
import { values } from "../helpers/values.ts";
import { LeNet5, compileTrainStep, getBackend, manualSeed, setBackend } from "../../src/index.ts";
import { Adam } from "../../src/optim/adam.ts";
import type { CpuBackend } from "../../src/backends/cpu.ts";
import { gemmModuleBytes, wasmGemm } from "../../src/ops/matmul_wasm.ts";
import { onEachBackend, opCases, testBackends } from "../helpers/backends.ts";
import { given, makeInputs, type InputSpec } from "../helpers/inputs.ts";
import { HAND, TOL, expectClose } from "../tolerance.ts";

const backends = await testBackends();
const iota = (shape: number[], from = 0): InputSpec => given(Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => from + i), shape);
/** Row-major product of an m×k and a k×n array, in float64. */
const product = (a: number[], b: number[], m: number, k: number, n: number) =>
  Array.from({ length: m * n }, (_, ij) => Array.from({ length: k }, (_, p) => a[Math.floor(ij / n) * k + p] * b[p * n + (ij % n)]).reduce((x, y) => x + y, 0));

opCases(backends, "matmul by hand", [
  { name: "2×3 by 3×2", f: (a, b) => matmul(a, b), inputs: [given([1, 2, 3, 4, 5, 6], [2, 3]), given([7, 8, 9, 10, 11, 12], [3, 2])], want: [[58, 64, 139, 154]], how: "exact" },
  {
    name: "batch axes broadcast: [2,1,2,3] @ [3,3,2] → [2,3,2,2]",
    f: (a, b) => matmul(a, b),
    inputs: [iota([2, 1, 2, 3]), iota([3, 3, 2])],
    want: [[0, 1].flatMap((i) => [0, 1, 2].flatMap((j) => product(Array.from({ length: 6 }, (_, e) => 6 * i + e), Array.from({ length: 6 }, (_, e) => 6 * j + e), 2, 3, 2)))],
    shapes: [[2, 3, 2, 2]],
    how: "exact",
  },
  { name: "K = 0: every sum is empty", f: (a, b) => matmul(a, b), inputs: [given([], [3, 0]), given([], [0, 2])], want: [[0, 0, 0, 0, 0, 0]], how: "exact" },
  { name: "F.linear is x·Wᵀ + b in PyTorch's layout", f: (x, w, b) => F.linear(x, w, b), inputs: [given([1, 2], [1, 2]), given([1, 0, 0, 1, 1, 1], [3, 2]), given([0, 10, 100])], want: [[1, 12, 103]], how: "exact" },
  { name: "non-integer products", f: (a, b) => matmul(a, b), inputs: [given([0.1, 0.2, 0.3], [1, 3]), given([0.3, 0.2, 0.1], [3, 1])], want: [[0.1 * 0.3 + 0.2 * 0.2 + 0.3 * 0.1]], how: "summed" },
]);

onEachBackend(backends, "matmul transposes", (backend) => {
  it("are folded into indexing and equal explicit transposes", async () => {
    const [a, b, c] = makeInputs([iota([3, 4]), iota([5, 4]), iota([4, 3])]);
    const same = async (x: W, y: W, what: string) => expectClose(await x.data(), await y.data(), HAND.exact[backend], what);
    await same(matmul(a, b, { transposeB: true }), matmul(a, transpose(b)), "a·bᵀ");
    await same(matmul(a, a, { transposeA: true }), matmul(transpose(a), a), "aᵀ·a");
    await same(matmul(c, b, { transposeA: true, transposeB: true }), matmul(transpose(c), transpose(b)), "cᵀ·bᵀ");
  });
});

describe("matmul on the CPU", () => {
  it("the WebAssembly SIMD loop is there in Node (a module this build assembles)", () => {
    expect(WebAssembly.validate(gemmModuleBytes())).toBe(true);
    expect(wasmGemm()).not.toBeNull();
  });
  describe.each([["WebAssembly SIMD", true], ["JavaScript", false]])("the %s loop", (_, wasm) => {
    it("equals a plain float64 triple loop bit for bit: ragged shapes, every transpose, float32 and float64", async () => {
      const caps = (getBackend() as CpuBackend).caps;
      caps.wasmMatmul = wasm;
      try {
        const rand = (n: number, seed: number) => Array.from({ length: n }, (_, i) => Math.sin(seed * 1000 + i * 12.9898) * 3);
        for (const dtype of ["float32", "float64"] as const) {
          const round = dtype === "float32" ? Math.fround : (x: number) => x;
          for (const [m, k, n] of [[7, 13, 9], [1, 1, 1], [5, 64, 3], [9, 2, 17], [37, 300, 41]]) {
            for (const tA of [false, true]) {
              for (const tB of [false, true]) {
                const av = rand(m * k, m + k).map(round), bv = rand(k * n, k + n).map(round);
                const a = tensor(av, tA ? [k, m] : [m, k], dtype), b = tensor(bv, tB ? [n, k] : [k, n], dtype);
                const want: number[] = [];
                for (let i = 0; i < m; i++) {
                  for (let j = 0; j < n; j++) {
                    let sum = 0;
                    for (let p = 0; p < k; p++) sum += av[tA ? p * m + i : i * k + p] * bv[tB ? j * k + p : p * n + j];
                    want.push(round(sum));
                  }
                }
                expect(await values(matmul(a, b, { transposeA: tA, transposeB: tB })), `${dtype} ${m}×${k}×${n} tA=${tA} tB=${tB}`).toEqual(want);
              }
            }
          }
        }
        // K = 0: every sum is empty
        expect(await values(matmul(zeros([3, 0]), zeros([0, 2])))).toEqual([0, 0, 0, 0, 0, 0]);
      } finally {
        caps.wasmMatmul = true;
      }
    });
  });
});

describe("the CPU backend's fast mode (float32 SIMD matmul)", () => {
  it("is within the WebGPU kernels' float32 tolerance of the reference, every transpose and batch; reference stays the default", async () => {
    const caps = (getBackend() as CpuBackend).caps;
    expect(caps.mode).toBe("reference");
    const rand = (n: number, seed: number) => Array.from({ length: n }, (_, i) => Math.sin(seed * 1000 + i * 12.9898) * 3);
    const cases: [number[], number[]][] = [[[7, 13], [13, 9]], [[37, 300], [300, 41]], [[3, 6, 25], [25, 70]], [[64, 400], [400, 120]], [[2, 5, 64], [2, 64, 3]]];
    try {
      for (const [as, bs] of cases) {
        for (const [tA, tB] of [[false, false], [true, false], [false, true], [true, true]]) {
          const sh = (s: number[], t: boolean) => (t ? [...s.slice(0, -2), s[s.length - 1], s[s.length - 2]] : s);
          const a = tensor(rand(as.reduce((x, y) => x * y), 1), sh(as, tA)), b = tensor(rand(bs.reduce((x, y) => x * y), 2), sh(bs, tB));
          caps.mode = "reference";
          const ref = await values(matmul(a, b, { transposeA: tA, transposeB: tB }));
          caps.mode = "fast";
          const fast = await values(matmul(a, b, { transposeA: tA, transposeB: tB }));
          expectClose(fast, ref, TOL.gpuAccumulate, `${as}·${bs} tA=${tA} tB=${tB}`);
          // float32 sums, not the reference's float64 ones: some result differs (the mode is not a no-op)
          if (as[as.length - 1] >= 300) expect(fast.some((v, i) => v !== ref[i]), `${as}·${bs}: fast mode changed nothing`).toBe(true);
        }
      }
      // float64 tensors keep the reference sums in either mode
      const a64 = tensor(rand(20 * 30, 3), [20, 30], "float64"), b64 = tensor(rand(30 * 10, 4), [30, 10], "float64");
      caps.mode = "reference";
      const r64 = await values(matmul(a64, b64));
      caps.mode = "fast";
      expect(await values(matmul(a64, b64))).toEqual(r64);
    } finally {
      caps.mode = "reference";
    }
    await expect(setBackend("cpu", { mode: "quick" as "fast" })).rejects.toThrow(/setBackend: CPU mode "quick" is not "reference" or "fast"/);
  });

  it("trains LeNet-5 on the reference's loss curve within the cross-backend training tolerance", async () => {
    const caps = (getBackend() as CpuBackend).caps;
    const curve = async (mode: "reference" | "fast") => {
      caps.mode = mode;
      manualSeed(0);
      const model = new LeNet5();
      const step = compileTrainStep(model, new Adam(model.parameters(), { lr: 1e-3 }));
      const x = tensor(Array.from({ length: 32 * 784 }, (_, i) => Math.sin(i * 0.37)), [32, 1, 28, 28]);
      const y = tensor(Array.from({ length: 32 }, (_, i) => (i * 7) % 10), [32], "int32");
      const losses: number[] = [];
      for (let i = 0; i < 5; i++) losses.push(await step(x, y).loss.item());
      return losses;
    };
    try {
      const [ref, fast] = [await curve("reference"), await curve("fast")];
      expectClose(fast, ref, TOL.trainingCurve, "fast vs reference LeNet-5 losses");
      expect(ref[4]).toBeLessThan(ref[0]);
    } finally {
      caps.mode = "reference";
    }
  });
});

describe("matmul shape rule", () => {
  it("names both shapes when the inner dimensions differ", () => {
    expect(() => matmul(tensor([[1, 2]]), tensor([[1, 2]]))).toThrow(ShapeError);
    expect(() => matmul(tensor([[1, 2]]), tensor([[1, 2]]))).toThrow("matmul: inner dimensions differ, a [1,2] has K=2, b [1,2] has K=1");
    expect(() => matmul(tensor([1, 2]), tensor([[1], [2]]))).toThrow(/matmul: operands need rank ≥ 2/);
  });
});
