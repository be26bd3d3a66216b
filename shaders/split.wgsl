// split: the pieces of in0 along an axis, the adjoint of concat. The whole tensor is
// [OUTER, JA, INNER] around that axis; piece g is [OUTER, Dg, INNER] and starts at Sg along it.
// Mirrors splitDef.cpu (src/ops/movement.ts).
// Bindings: 0 … G−1 the pieces out0 …, G in0 (the whole tensor); element type __T__.
// Overrides: as concat.wgsl. Counts: G pieces (1 to 7). Tokens: __T__, __NG__ = G.
// Design: as concat.wgsl, the copy the other way.
override N: u32;
override MOST: u32;
override INNER: u32;
override JA: u32;
//#each G override D__G__: u32;
//#each G override S__G__: u32;
//#each G @group(0) @binding(__G__) var<storage, read_write> out__G__: array<__T__>;
@group(0) @binding(__NG__) var<storage, read> in0: array<__T__>;
//#include lib/thread
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = thread_index(gid, nwg);
  if (i >= N) { return; }
  let inn = i % INNER;
  let ca = (i / INNER) % MOST;
  let outer = i / (INNER * MOST);
//#each G   if (ca < D__G__) { out__G__[(outer * D__G__ + ca) * INNER + inn] = in0[(outer * JA + S__G__ + ca) * INNER + inn]; }
}
