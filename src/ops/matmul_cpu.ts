/**
 * @file The CPU reference matmul kernel for one matrix: C = A·B with A(i, p) and B(p, j) read
 * through element strides, so transposed operands need no copy. Both operands are first packed
 * into panels of four rows of A and four columns of B, laid out [block][p][4], and each 4×4
 * block of C is then summed in sixteen float64 locals, p in order. Every C(i, j) is therefore
 * the float64 sum of A(i, p)·B(p, j) for p = 0, 1, …, K−1, rounded once to float32: the same
 * value as a plain triple loop with a float64 accumulator, at about 2.5× its speed.
 *
 * The block loop runs in WebAssembly SIMD where the engine has it (matmul_wasm.ts: the same
 * sums, bit for bit, about 2× faster again); `wasm: false` (the CPU backend's
 * `caps.wasmMatmul`) keeps the JavaScript loop.
 */
import type { TypedArray } from "../dtype.ts";
import { wasmGemm, type PackedGemm } from "./matmul_wasm.ts";
import { fastKernels } from "./cpu_fast.ts";


/**
 * Packing buffers, grown on demand and reused across calls (the CPU backend is synchronous).
 * float64 operands (gradient checks) pack into float64 so no precision is lost.
 */
const buffers = { f32: [new Float32Array(0), new Float32Array(0)], f64: [new Float64Array(0), new Float64Array(0)] };

function packBuffer(kind: "f32" | "f64", which: 0 | 1, size: number): Float32Array | Float64Array {
  const list: (Float32Array | Float64Array)[] = buffers[kind];
  if (list[which].length < size) list[which] = kind === "f32" ? new Float32Array(size) : new Float64Array(size);
  return list[which];
}

/** Where one operand of a matmul lives: `data[off + r·sRow + p·sP]` is its element (r, p). */
export interface StridedMatrix {
  data: ArrayLike<number>;
  off: number;
  /** stride along M for A, along N for B */
  sRow: number;
  /** stride along K */
  sP: number;
}

/** Copies `rows` rows of K values into panels of four, [⌈rows/4⌉][K][4], zero-filling the tail. */
function pack(src: StridedMatrix, rows: number, k: number, dst: Float32Array | Float64Array): void {
  const { data, off, sRow, sP } = src;
  const full = rows >> 2;
  // whole blocks, p outer: the four rows' elements p are read together (adjacent when the rows
  // are, as B's columns are) and written in order
  for (let blk = 0; blk < full; blk++) {
    const s0 = off + blk * 4 * sRow;
    for (let p = 0, d = blk * 4 * k, s = s0; p < k; p++, d += 4, s += sP) {
      dst[d] = data[s];
      dst[d + 1] = data[s + sRow];
      dst[d + 2] = data[s + 2 * sRow];
      dst[d + 3] = data[s + 3 * sRow];
    }
  }
  // the ragged last block: its missing rows are zeros
  if (full * 4 < rows) {
    for (let r = 0; r < 4; r++) {
      const row = full * 4 + r;
      let d = full * 4 * k + r;
      if (row >= rows) {
        for (let p = 0; p < k; p++, d += 4) dst[d] = 0;
        continue;
      }
      for (let p = 0, s = off + row * sRow; p < k; p++, d += 4, s += sP) dst[d] = data[s];
    }
  }
}

/**
 * A tiny thin product (a small matrix-vector or outer product, one of a batch): the plain
 * loop, without packing panels of four that would be mostly padding. The same sums: float64,
 * p in order, rounded once.
 */
function gemmSmall(a: StridedMatrix, b: StridedMatrix, c: TypedArray, cOff: number, m: number, k: number, n: number): void {
  const { data: ad, off: ao, sRow: ar, sP: ap } = a;
  const { data: bd, off: bo, sRow: br, sP: bp } = b;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let acc = 0;
      for (let p = 0, x = ao + i * ar, y = bo + j * br; p < k; p++, x += ap, y += bp) acc += ad[x] * bd[y];
      c[cOff + i * n + j] = acc;
    }
  }
}

/**
 * The product on a WebAssembly kernel: both operands packed into its memory, its C rows
 * copied out (float64 sums rounded once by a float32 C, or kept; float32 sums as they are).
 */
function packedGemm<T extends Float32Array | Float64Array>(kernel: PackedGemm<T>, a: StridedMatrix, b: StridedMatrix, c: TypedArray, cOff: number, m: number, k: number, n: number): void {
  const mBlocks = (m + 3) >> 2, nBlocks = (n + 3) >> 2, row = nBlocks * 4;
  const [pa, pb, pc] = kernel.buffers(mBlocks * 4 * k, nBlocks * 4 * k, mBlocks * 4 * row);
  pack(a, m, k, pa);
  pack(b, n, k, pb);
  kernel.run(mBlocks, nBlocks, k);
  for (let i = 0; i < m; i++) c.set(pc.subarray(i * row, i * row + n), cOff + i * n);
}

/** C[cOff + i·n + j] = Σ_p A(i, p)·B(p, j) for an m×k by k×n product. */
export function gemm(a: StridedMatrix, b: StridedMatrix, c: TypedArray, cOff: number, m: number, k: number, n: number, wasmAllowed = true, fast?: { threads: number }): void {
  if (m === 0 || n === 0) return; // an empty product: nothing to write (and no packing)
  // the fast mode (float32 operands and results only): float32 sums in cpu_fast.ts's kernel
  const f32 = c instanceof Float32Array && a.data instanceof Float32Array && b.data instanceof Float32Array;
  const fastK = fast && wasmAllowed && k > 0 && f32 ? fastKernels(fast.threads) : null;
  if (fastK) return fastK.matmul({ data: a.data as Float32Array, sRow: a.sRow, sP: a.sP }, [a.off], { data: b.data as Float32Array, sRow: b.sRow, sP: b.sP }, [b.off], c as Float32Array, [cOff], m, k, n);
  // a tiny thin product (skip-gram's [1 + k, d]·[d, 1] per row): packing costs more than the
  // sums; a long thin one (a bias gradient's K = N·H·W) still gains from the SIMD panels
  if ((m < 4 || n < 4 || k < 4) && m * n * k <= 16384) return gemmSmall(a, b, c, cOff, m, k, n);
  const mBlocks = (m + 3) >> 2;
  const nBlocks = (n + 3) >> 2;
  const wasm = wasmAllowed && k > 0 ? wasmGemm() : null;
  if (wasm) return packedGemm(wasm, a, b, c, cOff, m, k, n);
  const kind = c instanceof Float64Array ? "f64" : "f32";
  const pa = packBuffer(kind, 0, mBlocks * 4 * k);
  const pb = packBuffer(kind, 1, nBlocks * 4 * k);
  pack(a, m, k, pa);
  pack(b, n, k, pb);
  for (let ib = 0; ib < mBlocks; ib++) {
    for (let jb = 0; jb < nBlocks; jb++) {
      let c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
      let c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
      for (let p = 0, ai = ib * 4 * k, bi = jb * 4 * k; p < k; p++, ai += 4, bi += 4) {
        const a0 = pa[ai], a1 = pa[ai + 1], a2 = pa[ai + 2], a3 = pa[ai + 3];
        const b0 = pb[bi], b1 = pb[bi + 1], b2 = pb[bi + 2], b3 = pb[bi + 3];
        c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
        c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
        c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
        c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
      }
      const i0 = ib * 4;
      const j0 = jb * 4;
      if (i0 + 4 <= m && j0 + 4 <= n) {
        let o = cOff + i0 * n + j0;
        c[o] = c00; c[o + 1] = c01; c[o + 2] = c02; c[o + 3] = c03; o += n;
        c[o] = c10; c[o + 1] = c11; c[o + 2] = c12; c[o + 3] = c13; o += n;
        c[o] = c20; c[o + 1] = c21; c[o + 2] = c22; c[o + 3] = c23; o += n;
        c[o] = c30; c[o + 1] = c31; c[o + 2] = c32; c[o + 3] = c33;
        continue;
      }
      // a block on the ragged edge: store the part inside C
      const block = [c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33];
      for (let r = 0; r < 4 && i0 + r < m; r++) {
        for (let s = 0; s < 4 && j0 + s < n; s++) c[cOff + (i0 + r) * n + j0 + s] = block[r * 4 + s];
      }
    }
  }
}
