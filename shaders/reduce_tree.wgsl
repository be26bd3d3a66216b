// reduceTree: out0[o] = the reduction (sum or max) of in0 over the reduced axes, for each kept
// position o: reduce.wgsl's result for few outputs over long reductions, as a GPU wants it.
// Mirrors reduceCpu in src/ops/reduce.ts (sumDef, maxDef); a sum's order differs (a tree).
// Bindings: 0 in0 (__T__), 1 out0 (__T__).
// Overrides: those of reduce.wgsl (N outputs, RN reduced elements each, the axes' sizes and
//   strides, counts A and B). Tokens: __T__, __INIT__, __STEP__.
// Design: one workgroup of 256 threads per output (grid N × 1 × 1, N ≤ 4096): thread t
//   takes elements t, t + 256, … (consecutive threads, consecutive elements where the reduced
//   axis is the last: coalesced), then a tree in workgroup memory, 8 halvings with a barrier
//   each (the classic reduction of Harris, "Optimizing Parallel Reduction in CUDA", 2007).
//#include lib/reduce_step
//#include lib/reduce_coords
var<workgroup> part: array<__T__, 256>;
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) tid: u32) {
  let i = wg.x;
  // uniform per workgroup: a workgroup past the end returns whole, before any barrier
  if (i >= N) { return; }
  let base = kept_base(i);
  var acc = init();
  for (var r = tid; r < RN; r += 256u) { acc = step(acc, in0[reduced_at(base, r)]); }
  part[tid] = acc;
  workgroupBarrier();
  for (var half = 128u; half > 0u; half = half >> 1u) {
    if (tid < half) { part[tid] = step(part[tid], part[tid + half]); }
    workgroupBarrier();
  }
  if (tid == 0u) { out0[i] = part[0]; }
}
