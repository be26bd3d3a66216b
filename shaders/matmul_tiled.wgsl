// matmulTiled: C = A·B (batched, split-K, with the bias + activation epilogue) for GPUs.
// Mirrors matmulDef.cpu (src/ops/matmul.ts) and matmulBiasActDef.cpu (matmul_epilogue.ts).
// Bindings: 0 A, 1 B, 2 C (or the split-K partials [batch, SPLIT, M, N]), 3 bias; f32.
// Overrides: those of lib/matmul_overrides; the tile BM×BN of C per workgroup, BK (K per
//   step), WX×WY threads (the workgroup size), ALOADS / BLOADS (tile loads per thread).
//   Tokens: __TM__×__TN__, each thread's block (private arrays need constant sizes); __ACT__.
// Design: a workgroup of WX·WY threads computes a BM×BN tile of C, each thread a TM×TN block;
// K advances BK at a time through two workgroup-memory tiles (As[k][row], Bs[k][col], flat)
// loaded by all threads, with a barrier before and after each use. Dispatch:
// (⌈N/BN⌉, ⌈M/BM⌉, batch·SPLIT). Accumulates in f32.
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
var<workgroup> As: array<f32, BK * BM>;
var<workgroup> Bs: array<f32, BK * BN>;
//#include lib/matmul_batch
//#include lib/act
@compute @workgroup_size(WX, WY)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let mb = matmul_batch(wg.z);
  let row0 = wg.y * BM;
  let col0 = wg.x * BN;
  let threads = WX * WY;
  let tid = lid.y * WX + lid.x;
  var acc: array<array<f32, TN>, TM>;
  for (var k0 = mb.k_begin; k0 < mb.k_end; k0 += BK) {
    for (var l = 0u; l < ALOADS; l++) {
      let e = tid + l * threads;
      if (e < BM * BK) {
        let r = e / BK;
        let ka = e % BK;
        var va = 0.0;
        if (row0 + r < M && k0 + ka < mb.k_end) { va = A[mb.a_off + (row0 + r) * SAI + (k0 + ka) * SAP]; }
        As[ka * BM + r] = va;
      }
    }
    for (var l = 0u; l < BLOADS; l++) {
      let e = tid + l * threads;
      if (e < BK * BN) {
        let kb = e / BN;
        let c = e % BN;
        var vb = 0.0;
        if (k0 + kb < mb.k_end && col0 + c < N) { vb = B[mb.b_off + (k0 + kb) * SBP + (col0 + c) * SBJ]; }
        Bs[kb * BN + c] = vb;
      }
    }
    workgroupBarrier();
    for (var kk = 0u; kk < BK; kk++) {
      var a: array<f32, TM>;
      var b: array<f32, TN>;
      for (var x = 0u; x < TM; x++) { a[x] = As[kk * BM + lid.y * TM + x]; }
      for (var y = 0u; y < TN; y++) { b[y] = Bs[kk * BN + lid.x * TN + y]; }
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
      if (i < M && j < N) { C[mb.c_off + i * N + j] = epilogue(acc[x][y], i, j); }
    }
  }
}
