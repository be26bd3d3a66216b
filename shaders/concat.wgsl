// concat: out0 = the pieces joined along an axis. The joined tensor is [OUTER, JA, INNER] around
// that axis; piece g is [OUTER, Dg, INNER] and starts at Sg along it.
// Mirrors concatDef.cpu (src/ops/movement.ts).
// Bindings: 0 … G−1 the pieces in0 …, G out0 (the joined tensor); element type __T__.
// Overrides: N = OUTER·MOST·INNER (threads), MOST (the largest Dg of this dispatch), INNER, JA;
//   per piece Dg and Sg. Counts: G pieces (1 to 7: with the joined tensor, 8 storage buffers,
//   the portable limit). Tokens: __T__, __NG__ = G (the joined tensor's binding).
// Design: up to 7 pieces per dispatch, each thread copying one element of every piece that has
// it (a bounds test along the axis): no thread chooses between pieces, as SwiftShader pays for
// every branch (a dispatch per piece was 3× slower, choosing per element slower still).
override N: u32;
override MOST: u32;
override INNER: u32;
override JA: u32;
//#each G override D__G__: u32;
//#each G override S__G__: u32;
//#each G @group(0) @binding(__G__) var<storage, read> in__G__: array<__T__>;
@group(0) @binding(__NG__) var<storage, read_write> out0: array<__T__>;
//#include lib/thread
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = thread_index(gid, nwg);
  if (i >= N) { return; }
  let inn = i % INNER;
  let ca = (i / INNER) % MOST;
  let outer = i / (INNER * MOST);
//#each G   if (ca < D__G__) { out0[(outer * JA + S__G__ + ca) * INNER + inn] = in__G__[(outer * D__G__ + ca) * INNER + inn]; }
}
