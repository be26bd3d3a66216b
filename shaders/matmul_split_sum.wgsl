// matmulSplitSum: the split-K sum, C[b, e] = epilogue(Σₖ P[b, k, e]) for the partial products
// P [batch, PARTS, M·N] of matmul_tiled / the direct matmul with SPLIT = PARTS.
// Mirrors the sum over K of matmulDef.cpu (src/ops/matmul.ts).
// Bindings: 0 P, 1 C [batch, M, N], 2 bias (the backend binds P there when there is none).
// Overrides: T = batch·M·N (threads), M, N, PARTS, EPI (as lib/matmul_overrides). Token
//   __ACT__ (lib/act).
// Design: one thread per output element, PARTS loads each; 1-D, workgroup 64.
override T: u32;
override M: u32;
override N: u32;
override PARTS: u32;
override EPI: u32 = 0u;
@group(0) @binding(0) var<storage, read> P: array<f32>;
@group(0) @binding(1) var<storage, read_write> C: array<f32>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
//#include lib/thread
//#include lib/act
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = thread_index(gid, nwg);
  if (i >= T) { return; }
  let size = M * N;
  let bi = i / size;
  let e = i % size;
  var s = 0.0;
  for (var k = 0u; k < PARTS; k++) { s += P[(bi * PARTS + k) * size + e]; }
  C[i] = epilogue(s, (e / N) % M, e % N);
}
