import { describe, expect, it } from "vitest";
import { F, ShapeError, matmul, reshape, arange, tensor, transpose, zeros } from "../../src/index.ts";
import { values } from "../helpers/values.ts";
import { getBackend } from "../../src/index.ts";
import type { CpuBackend } from "../../src/backends/cpu.ts";
import { gemmModuleBytes, wasmGemm } from "../../src/ops/matmul_wasm.ts";

describe("matmul", () => {
  it("multiplies a 2×3 by a 3×2 by hand", async () => {
    const a = tensor([[1, 2, 3], [4, 5, 6]]);
    const b = tensor([[7, 8], [9, 10], [11, 12]]);
    expect(await values(matmul(a, b))).toEqual([58, 64, 139, 154]);
  });
  it("transposes are folded into indexing and equal explicit transposes", async () => {
    const a = reshape(arange(12), [3, 4]);
    const b = reshape(arange(20), [5, 4]);
    expect(await values(matmul(a, b, { transposeB: true }))).toEqual(await values(matmul(a, transpose(b))));
    expect(await values(matmul(a, a, { transposeA: true }))).toEqual(await values(matmul(transpose(a), a)));
    const c = reshape(arange(12), [4, 3]);
    expect(await values(matmul(c, b, { transposeA: true, transposeB: true }))).toEqual(await values(matmul(transpose(c), transpose(b))));
  });
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
  it("broadcasts batch axes: [2,1,2,3] @ [3,3,2] → [2,3,2,2]", async () => {
    const a = reshape(arange(12), [2, 1, 2, 3]);
    const b = reshape(arange(18), [3, 3, 2]);
    const y = matmul(a, b);
    expect(y.shape).toEqual([2, 3, 2, 2]);
    // batch (1, 2): a[1,0] @ b[2]
    const a1 = reshape(arange(6, 12), [2, 3]);
    const b2 = reshape(arange(12, 18), [3, 2]);
    expect((await values(y)).slice((1 * 3 + 2) * 4, (1 * 3 + 2) * 4 + 4)).toEqual(await values(matmul(a1, b2)));
  });
  it("F.linear is x·Wᵀ + b in PyTorch's layout", async () => {
    const y = F.linear(tensor([[1, 2]]), tensor([[1, 0], [0, 1], [1, 1]]), tensor([0, 10, 100]));
    expect(await values(y)).toEqual([1, 12, 103]);
  });
  it("names both shapes when the inner dimensions differ", () => {
    expect(() => matmul(tensor([[1, 2]]), tensor([[1, 2]]))).toThrow(ShapeError);
    expect(() => matmul(tensor([[1, 2]]), tensor([[1, 2]]))).toThrow("matmul: inner dimensions differ, a [1,2] has K=2, b [1,2] has K=1");
    expect(() => matmul(tensor([1, 2]), tensor([[1], [2]]))).toThrow(/matmul: operands need rank ≥ 2/);
  });
});
