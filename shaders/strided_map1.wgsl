// stridedMap1: out0[i] = op(in0 at its strided offset), over the output's shape: the
// elementwise table's unary ops, cast, detach, and the pure movement ops (permute, expand,
// slice: a copy through strides and a base).
// Mirrors the CPU loops of src/ops/elementwise.ts (unary, cast, detach) and movement.ts.
// Bindings: 0 in0 (__T0__), 1 out0 (__TOUT__).
// Overrides: N (elements), the output shape and input 0's view (lib/strided); the count K = rank − 1.
//   Tokens: __T0__, __TOUT__ (element types: f32, i32, u32 for bool); __OP__, the op in x, from
//   the elementwise table (with the NaN-in, NaN-out guard for f32).
// Design: one thread per output element; 1-D, workgroup 64.
override N: u32;
@group(0) @binding(0) var<storage, read> in0: array<__T0__>;
@group(0) @binding(1) var<storage, read_write> out0: array<__TOUT__>;
//#include lib/thread
//#include lib/nan
//#include lib/math_js
//#include lib/strided
fn op(x: __T0__) -> __TOUT__ { return __OP__; }
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = thread_index(gid, nwg);
  if (i >= N) { return; }
//#include lib/strided_coords
//#include lib/strided_at0
  out0[i] = op(in0[o0]);
}
