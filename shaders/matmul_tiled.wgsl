// matmulTiled: C = A·B (batched, split-K, with the bias + activation epilogue) for GPUs.
// Mirrors matmulDef.cpu (src/ops/matmul.ts) and matmulBiasActDef.cpu (matmul_epilogue.ts).
// Bindings: 0 A, 1 B, 2 C (or the split-K partials [batch, SPLIT, M, N]), 3 bias, with R = 1
//   4 D [M] (matmulRowSum: A's row sums, unbatched and unsplit); f32.
// Overrides: those of lib/matmul_overrides; the tile BM×BN of C per workgroup, BK (K per
//   step), WX×WY threads (the workgroup size), ALOADS / BLOADS (tile loads per thread),
//   A_ALONG_M / B_ALONG_K (the load order, from the strides). The count R (0 or 1) adds D.
//   Counts AS + AV = 1 and BS + BV + BI = 1: each operand's tile loader, one element (lib/
//   matmul_tile_a, _b) or four (lib/matmul_tile_a4, _b4, with __AT__ / __BT__ = vec4<f32>)
//   a load, or B as a convolution's columns read from its image (BI: lib/matmul_tile_b_im2col,
//   im2colMatmul); BL = BS + BI: lib/matmul_tile_b, reading B's elements through b_at.
//   Tokens: __TM__×__TN__, each thread's block (private arrays need constant sizes);
//   __ACT__; __AT__, __BT__.
// Design: a workgroup of WX·WY threads computes a BM×BN tile of C, each thread a TM×TN block
// (register blocking); K advances BK at a time through two workgroup-memory tiles
// (As[k][row], Bs[k][col], rows padded by one word: no bank conflicts) loaded by all threads,
// with a barrier before and after each use. Tile loads follow the operand's unit stride
// (A_ALONG_M, B_ALONG_K for transposed operands), so all four transpose cases and batched
// operands read coalesced; an operand whose unit-stride length, other stride and offsets are
// multiples of 4 is read as vec4 (16-byte loads, a quarter of the load instructions), the
// others one element at a time. Dispatch: (⌈N/BN⌉, ⌈M/BM⌉, batch·SPLIT). Accumulates in f32.
//#include lib/matmul_overrides
override BM: u32;
override BN: u32;
override BK: u32;
override WX: u32;
override WY: u32;
override ALOADS: u32;
override BLOADS: u32;
const TM = __TM__u;
const TN = __TN__u;
override A_ALONG_M: bool = false;
override B_ALONG_K: bool = false;
// one padding word a row: a load along K stores a column of the tile (stride BM + 1, BN + 1:
// consecutive banks), where an unpadded tile would put every thread of a warp in one bank
override AS_ROW: u32 = BM + 1u;
override BS_ROW: u32 = BN + 1u;
var<workgroup> As: array<f32, BK * AS_ROW>;
var<workgroup> Bs: array<f32, BK * BS_ROW>;
//#each R @group(0) @binding(4) var<storage, read_write> D: array<f32>;
//#include lib/matmul_batch
//#include lib/act
//#include lib/matmul_store
//#each AS //#include lib/matmul_tile_a
//#each AV //#include lib/matmul_tile_a4
//#each BS fn b_at(off: u32, p: u32, j: u32) -> f32 { return B[off + p * SBP + j * SBJ]; }
//#each BI //#include lib/matmul_tile_b_im2col
//#each BL //#include lib/matmul_tile_b
//#each BV //#include lib/matmul_tile_b4
@compute @workgroup_size(WX, WY)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let mb = matmul_batch(wg.z);
  let row0 = wg.y * BM;
  let col0 = wg.x * BN;
  let threads = WX * WY;
  let tid = lid.y * WX + lid.x;
  var acc: array<array<f32, TN>, TM>;
  // with R (matmulRowSum): D[i] = Σ_p A(i, p), summed from the tiles by the column-0 threads
//#each R   var rs: array<f32, TM>;
//#each R   let sums = wg.x == 0u && lid.x == 0u;
  for (var k0 = mb.k_begin; k0 < mb.k_end; k0 += BK) {
    load_a(mb, row0, k0, tid, threads);
    load_b(mb, col0, k0, tid, threads);
    workgroupBarrier();
    for (var kk = 0u; kk < BK; kk++) {
      var a: array<f32, TM>;
      var b: array<f32, TN>;
      for (var x = 0u; x < TM; x++) { a[x] = As[kk * AS_ROW + lid.y * TM + x]; }
      for (var y = 0u; y < TN; y++) { b[y] = Bs[kk * BS_ROW + lid.x * TN + y]; }
//#each R       if (sums) { for (var x = 0u; x < TM; x++) { rs[x] += a[x]; } }
      for (var x = 0u; x < TM; x++) {
        for (var y = 0u; y < TN; y++) { acc[x][y] += a[x] * b[y]; }
      }
    }
    workgroupBarrier();
  }
  for (var x = 0u; x < TM; x++) {
    for (var y = 0u; y < TN; y++) {
      let i = row0 + lid.y * TM + x;
      let j = col0 + lid.x * TN + y;
      if (i < M && j < N) { store_c(mb.c_off + i * N + j, epilogue(acc[x][y], i, j)); }
    }
  }
//#each R   if (sums) { for (var x = 0u; x < TM; x++) { if (row0 + lid.y * TM + x < M) { D[row0 + lid.y * TM + x] = rs[x]; } } }
}
