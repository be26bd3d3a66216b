// sumMany: up to four independent sums in one dispatch (the planner's grouping of sums that are
// ready at the same point, graph/fuse.ts: LeNet-5's conv weight gradients' batch sums and its
// conv bias gradients). Segment s: out__S__[o] = Σ_r in__S__[at(o, r)] over its reduced elements
// r in row-major order, where output o starts at (o / KIN)·KSO + (o % KIN)·KSI and its r-th
// element is (r / RIN)·RSO + (r % RIN)·RSI further on: kept and reduced axes merged to at most
// two strided levels each.
// Mirrors sumDef.cpu (reduceCpu, src/ops/sum.ts) segment by segment; a tree sums in another order.
// Bindings: in0…in(S−1), then out0…out(S−1) (f32), S ≤ 4: the portable 8 storage buffers.
// Overrides: per segment s: N_s (outputs), RN_s (reduced elements each), KIN_s, KSO_s, KSI_s,
//   RIN_s, RSO_s, RSI_s; FIRST1…FIRST3 (each segment's first global output); TOTAL (all
//   outputs); TREE. The count S (//#each) gives the segments.
// Design: TREE (GPUs): one workgroup of 64 threads per output over all segments (grid TOTAL,
//   ≤ 65 535), the threads striding over its elements, then a tree in workgroup memory;
//   otherwise (a software adapter, where barriers are slow) one thread per output looping, as
//   reduce.wgsl. The segment is uniform per workgroup, so the loads' branches are too.
//#each S override N__S__: u32;
//#each S override RN__S__: u32;
//#each S override KIN__S__: u32;
//#each S override KSO__S__: u32;
//#each S override KSI__S__: u32;
//#each S override RIN__S__: u32;
//#each S override RSO__S__: u32;
//#each S override RSI__S__: u32;
override FIRST1: u32 = 0xffffffffu;
override FIRST2: u32 = 0xffffffffu;
override FIRST3: u32 = 0xffffffffu;
override TOTAL: u32;
override TREE: bool = false;
//#each S @group(0) @binding(__S__) var<storage, read> in__S__: array<f32>;
//#each S @group(0) @binding(__S__ + __NS__) var<storage, read_write> out__S__: array<f32>;
//#include lib/thread
struct Seg { s: u32, o: u32, rn: u32, base: u32, rin: u32, rso: u32, rsi: u32 }
fn seg_of(g: u32) -> Seg {
  var s = 0u;
  var first = 0u;
  if (g >= FIRST1) { s = 1u; first = FIRST1; }
  if (g >= FIRST2) { s = 2u; first = FIRST2; }
  if (g >= FIRST3) { s = 3u; first = FIRST3; }
  let o = g - first;
//#each S   if (s == __S__u) { return Seg(s, o, RN__S__, (o / KIN__S__) * KSO__S__ + (o % KIN__S__) * KSI__S__, RIN__S__, RSO__S__, RSI__S__); }
  return Seg(0u, 0u, 0u, 0u, 1u, 0u, 0u);
}
fn load(s: u32, i: u32) -> f32 {
//#each S   if (s == __S__u) { return in__S__[i]; }
  return 0.0;
}
fn store(s: u32, o: u32, v: f32) {
//#each S   if (s == __S__u) { out__S__[o] = v; }
}
fn at(q: Seg, r: u32) -> u32 { return q.base + (r / q.rin) * q.rso + (r % q.rin) * q.rsi; }
var<workgroup> part: array<f32, 64>;
fn loop_sum(g: u32) {
  if (g >= TOTAL) { return; }
  let q = seg_of(g);
  var acc = 0.0;
  for (var r = 0u; r < q.rn; r++) { acc += load(q.s, at(q, r)); }
  store(q.s, q.o, acc);
}
// w is the workgroup's output: uniform, so the barriers are
fn tree_sum(w: u32, tid: u32) {
  if (w >= TOTAL) { return; }
  let q = seg_of(w);
  var acc = 0.0;
  for (var r = tid; r < q.rn; r += 64u) { acc += load(q.s, at(q, r)); }
  part[tid] = acc;
  workgroupBarrier();
  for (var half = 32u; half > 0u; half = half >> 1u) {
    if (tid < half) { part[tid] += part[tid + half]; }
    workgroupBarrier();
  }
  if (tid == 0u) { store(q.s, q.o, part[0]); }
}
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) tid: u32) {
  if (TREE) { tree_sum(wg.x, tid); } else { loop_sum(thread_index(gid, nwg)); }
}
