/**
 * @file The tiled matmul kernel, shared by matmul and the convolutions.
 * Layout: C[z] (M×N, row-major) = A[z] (M×K) · B[z] (K×N), where A(i, p) is read at
 * aBase + aBatch(z) + i·sAi + p·sAp and B(p, j) at bBase + bBatch(z) + p·sBp + j·sBj, so a
 * transposed operand is only a swap of strides. Workgroup 16×16 threads computes a 64×64 tile
 * of C, each thread a 4×4 block; K advances 16 at a time through two workgroup-memory tiles
 * (As[k][row], Bs[k][col]), loaded by all 256 threads, with a barrier before and after each
 * use. Dispatch: (⌈N/64⌉, ⌈M/64⌉, batch). Accumulates in f32. CPU twin: matmul.ts `cpu`.
 */
import { stridesOf } from "../shape.ts";
import type { BufferRef, KernelCall } from "./types.ts";
import { coords, offset } from "./strided_kernels.ts";
import { declare } from "./wgsl.ts";

export interface MatmulLayout {
  m: number;
  n: number;
  k: number;
  /** Element strides of A(i, p) and B(p, j). */
  sAi: number; sAp: number; sBp: number; sBj: number;
  aBase?: number;
  bBase?: number;
  /** Output batch shape, and each operand's element stride per batch axis (0 = broadcast). */
  batch?: number[];
  aBatchStrides?: number[];
  bBatchStrides?: number[];
}

export function matmulCall(name: string, L: MatmulLayout, bindings: [a: BufferRef, b: BufferRef, c: BufferRef]): KernelCall {
  const batch = L.batch ?? [];
  const batchCount = batch.reduce((x, y) => x * y, 1);
  const code = `${declare([{ name: "A", type: "f32" }, { name: "B", type: "f32" }, { name: "C", type: "f32", write: true }])}
var<workgroup> As: array<array<f32, 64>, 16>;
var<workgroup> Bs: array<array<f32, 64>, 16>;

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let z = wg.z;
${coords(batch, "z", "b")}
  let aOff = ${offset(L.aBatchStrides ?? [], L.aBase ?? 0, "b")};
  let bOff = ${offset(L.bBatchStrides ?? [], L.bBase ?? 0, "b")};
  let cOff = z * ${L.m * L.n}u;
  let row0 = wg.y * 64u;
  let col0 = wg.x * 64u;
  let tid = lid.y * 16u + lid.x;
  var acc: array<array<f32, 4>, 4>;
  for (var k0 = 0u; k0 < ${L.k}u; k0 += 16u) {
    for (var l = 0u; l < 4u; l++) {
      let e = tid + l * 256u;
      let r = e / 16u;
      let ka = e % 16u;
      var va = 0.0;
      if (row0 + r < ${L.m}u && k0 + ka < ${L.k}u) { va = A[aOff + (row0 + r) * ${L.sAi}u + (k0 + ka) * ${L.sAp}u]; }
      As[ka][r] = va;
      let kb = e / 64u;
      let c = e % 64u;
      var vb = 0.0;
      if (k0 + kb < ${L.k}u && col0 + c < ${L.n}u) { vb = B[bOff + (k0 + kb) * ${L.sBp}u + (col0 + c) * ${L.sBj}u]; }
      Bs[kb][c] = vb;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < 16u; kk++) {
      var a: array<f32, 4>;
      var b: array<f32, 4>;
      for (var x = 0u; x < 4u; x++) {
        a[x] = As[kk][lid.y * 4u + x];
        b[x] = Bs[kk][lid.x * 4u + x];
      }
      for (var x = 0u; x < 4u; x++) {
        for (var y = 0u; y < 4u; y++) { acc[x][y] += a[x] * b[y]; }
      }
    }
    workgroupBarrier();
  }
  for (var x = 0u; x < 4u; x++) {
    for (var y = 0u; y < 4u; y++) {
      let i = row0 + lid.y * 4u + x;
      let j = col0 + lid.x * 4u + y;
      if (i < ${L.m}u && j < ${L.n}u) { C[cOff + i * ${L.n}u + j] = acc[x][y]; }
    }
  }
}`;
  return { name, code, bindings, workgroups: [Math.max(1, Math.ceil(L.n / 64)), Math.max(1, Math.ceil(L.m / 64)), Math.max(1, batchCount)] };
}

/** Element strides of each operand's batch axes over the broadcast batch shape. */
export function batchStrides(operandShape: readonly number[], batch: readonly number[], matrixSize: number): number[] {
  const own = operandShape.slice(0, -2);
  const st = stridesOf(own).map((s) => s * matrixSize);
  const lead = batch.length - own.length;
  return batch.map((_, d) => (d < lead || own[d - lead] === 1 ? 0 : st[d - lead]));
}
