// matmulDirect: C = A·B (batched, split-K, bias + activation epilogue) for software adapters.
// Mirrors matmulDef.cpu (src/ops/matmul.ts) and matmulBiasActDef.cpu (matmul_epilogue.ts).
// Bindings: 0 A, 1 B, 2 C (or the split-K partials [batch, SPLIT, M, N]), 3 bias, with R = 1
//   4 D [M] (matmulRowSum: A's row sums, written by the invocations of column block 0); f32.
// Overrides: those of lib/matmul_overrides; WX×WY invocations per workgroup. Counts (the
//   `//#each` lines): X = TM rows and Y = TN columns per invocation, unrolled into scalar
//   accumulators c<x>s<y>, and R (0 or 1: D); (arrays with loops run 8–10× slower on SwiftShader: it keeps them
//   in memory); token __TM__, __TN__ the same numbers; __ACT__ (lib/act).
// Design: on a software adapter (SwiftShader runs WGSL on the CPU) workgroup memory is more RAM
// behind the same caches and every barrier switches between invocations, so this kernel has
// neither: each invocation reads its TM rows of A and TN columns of B straight from the
// buffers into a TM×TN block of accumulators (8–15× faster there than the tiled kernel). Loads
// past the edge are clamped to the last row or column (always in bounds) and never stored.
// Dispatch: (⌈N/(WX·TN)⌉, ⌈M/(WY·TM)⌉, batch·SPLIT).
//#include lib/matmul_overrides
override WX: u32;
override WY: u32;
const TM = __TM__u;
const TN = __TN__u;
//#each R @group(0) @binding(4) var<storage, read_write> D: array<f32>;
//#include lib/matmul_batch
//#include lib/act
//#include lib/matmul_store
@compute @workgroup_size(WX, WY)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let mb = matmul_batch(wg.z);
  let i0 = (wg.y * WY + lid.y) * TM;
  let j0 = (wg.x * WX + lid.x) * TN;
//#each X   let ra__X__ = mb.a_off + min(i0 + __X__u, M - 1u) * SAI;
//#each Y   let cb__Y__ = mb.b_off + min(j0 + __Y__u, N - 1u) * SBJ;
//#each X Y   var c__X__s__Y__ = 0.0;
//#each R X   var rs__X__ = 0.0;
  for (var p = mb.k_begin; p < mb.k_end; p++) {
//#each X     let a__X__ = A[ra__X__ + p * SAP];
//#each Y     let b__Y__ = B[cb__Y__ + p * SBP];
//#each X Y     c__X__s__Y__ += a__X__ * b__Y__;
//#each R X     rs__X__ += a__X__;
  }
//#each R X   if (j0 == 0u && i0 + __X__u < M) { D[i0 + __X__u] = rs__X__; }
//#each X Y   if (i0 + __X__u < M && j0 + __Y__u < N) { store_c(mb.c_off + (i0 + __X__u) * N + j0 + __Y__u, epilogue(c__X__s__Y__, i0 + __X__u, j0 + __Y__u)); }
}
