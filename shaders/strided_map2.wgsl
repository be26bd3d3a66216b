// stridedMap2: out0[i] = op(a, b) with a and b read at their broadcast offsets (NumPy
// broadcasting: a size-1 axis has stride 0): the elementwise table's binary ops and the
// comparisons.
// Mirrors broadcast2 in src/ops/broadcast_loop.ts with the table's JS (src/ops/elementwise.ts).
// Bindings: 0 in0 (__T0__), 1 in1 (__T0__), 2 out0 (__TOUT__).
// Overrides: N (elements), the output shape and both inputs' views (lib/strided); the count K = rank − 1.
//   Tokens: __T0__, __TOUT__; __OP__, the op in a and b from the elementwise table; __ISNAN__,
//   is_nan_any's body for the type ("is_nan(x)" for f32, "false" for integers).
// Design: one thread per output element; 1-D, workgroup 64.
override N: u32;
@group(0) @binding(0) var<storage, read> in0: array<__T0__>;
@group(0) @binding(1) var<storage, read> in1: array<__T0__>;
@group(0) @binding(2) var<storage, read_write> out0: array<__TOUT__>;
//#include lib/thread
//#include lib/nan
//#include lib/pow_js
//#include lib/strided
fn is_nan_any(x: __T0__) -> bool { return __ISNAN__; }
fn op(a: __T0__, b: __T0__) -> __TOUT__ { return __OP__; }
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = thread_index(gid, nwg);
  if (i >= N) { return; }
//#include lib/strided_coords
//#include lib/strided_at0
//#include lib/strided_at1
  out0[i] = op(in0[o0], in1[o1]);
}
