// reduce: out0[o] = the reduction (sum or max) of in0 over the reduced axes, for each kept
// position o. acc starts at init() and takes step(acc, v) for every reduced element, in
// row-major order of the reduced axes.
// Mirrors reduceCpu in src/ops/reduce.ts (sumDef, maxDef).
// Bindings: 0 in0 (__T__), 1 out0 (__T__).
// Overrides: N (outputs, the threads), RN (reduced elements per output). The kept axes and
//   the reduced axes are each numbered from the last, as lib/strided does: KZk / RZk the size
//   of axis k from the end, KSk / RSk its input stride, KSF / RSF the first axis' stride; the
//   counts A = kept axes − 1 and B = reduced axes − 1 give one `//#each` line per axis.
//   Tokens: __T__ (element type); __INIT__ and __STEP__ (in acc and v): the reduction's.
// Design: one thread per output element looping over its reduced elements; 1-D, workgroup 64.
//   (A few outputs over long reductions get reduce_tree.wgsl on a GPU instead.)
//#include lib/reduce_coords
//#include lib/thread
//#include lib/reduce_step
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = thread_index(gid, nwg);
  if (i >= N) { return; }
  let base = kept_base(i);
  var acc = init();
  for (var r = 0u; r < RN; r++) { acc = step(acc, in0[reduced_at(base, r)]); }
  out0[i] = acc;
}
