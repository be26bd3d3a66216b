// pad: out[i] = x at i's coordinates minus the padding before each axis, or the fill value
// where i falls in the padding (e.g. −∞ before a max pool).
// Mirrors padDef.cpu (src/ops/movement.ts).
// Bindings: 0 in0 [x's shape], 1 out0 [padded shape]; element type __T__.
// Overrides: N (output elements); FILL, the fill value's bits (±Infinity and NaN have no WGSL
//   literal: the bits travel in a var and are bitcast). Per axis, numbered from the last as
//   lib/strided does (k = 0 the last; the first axis apart, suffix F): OZk the output size,
//   PBk / PBF the padding before, XZk / XZF the input size, XSk / XSF the input stride; the
//   count K = rank − 1 gives one `//#each` line per axis. Token: __T__ (f32, i32, u32 for bool).
// Design: one thread per output element; 1-D, workgroup 64.
override N: u32;
override FILL: u32;
override PBF: u32;
override XZF: u32;
override XSF: u32;
//#each K override OZ__K__: u32;
//#each K override PB__K__: u32;
//#each K override XZ__K__: u32;
//#each K override XS__K__: u32;
@group(0) @binding(0) var<storage, read> in0: array<__T__>;
@group(0) @binding(1) var<storage, read_write> out0: array<__T__>;
//#include lib/thread
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = thread_index(gid, nwg);
  if (i >= N) { return; }
  var rem = i;
  var inside = true;
  var at = 0u;
//#each K   let c__K__ = rem % OZ__K__; rem = rem / OZ__K__; inside = inside && c__K__ >= PB__K__ && c__K__ < PB__K__ + XZ__K__; at += (c__K__ - PB__K__) * XS__K__;
  inside = inside && rem >= PBF && rem < PBF + XZF;
  at += (rem - PBF) * XSF;
  var fill_bits = FILL;
  if (inside) { out0[i] = in0[at]; } else { out0[i] = bitcast<__T__>(fill_bits); }
}
