// stridedWhere: out0[i] = a where cond is true, else b, all three broadcast.
// Mirrors whereDef.cpu (src/ops/elementwise.ts).
// Bindings: 0 cond (u32: bool), 1 a (__T__), 2 b (__T__), 3 out0 (__T__).
// Overrides: N (elements), the output shape and the three inputs' views (lib/strided); the count K = rank − 1.
//   Token: __T__ (element type).
// Design: one thread per output element; 1-D, workgroup 64.
override N: u32;
@group(0) @binding(0) var<storage, read> cond: array<u32>;
@group(0) @binding(1) var<storage, read> a: array<__T__>;
@group(0) @binding(2) var<storage, read> b: array<__T__>;
@group(0) @binding(3) var<storage, read_write> out0: array<__T__>;
//#include lib/thread
//#include lib/strided
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = thread_index(gid, nwg);
  if (i >= N) { return; }
//#include lib/strided_coords
//#include lib/strided_at0
//#include lib/strided_at1
//#include lib/strided_at2
  out0[i] = select(b[o2], a[o1], cond[o0] != 0u);
}
