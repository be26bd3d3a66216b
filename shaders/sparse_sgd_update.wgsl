// sparseSgdUpdate, dispatch 2 of 2: plain SGD on the rows a batch used, in place. For each
// row's first index k (HEAD, linked by scatter_add.wgsl with ZERO = 0) and column j:
//   g = rows[k, j] + rows[k', j] + … along the links (index order, as scatter_add_sum.wgsl sums)
//   p[idx[k], j] ← p − lr·g
// with hyper = [lr, ok]: exactly sgd_update.wgsl's arithmetic on the dense gradient
// scatterAdd(rows, idx) would give, for the rows it touches; the others are not visited.
// When the step's guard ok is 0, or the new value would not be finite, p keeps its value.
// Mirrors sparseSgdUpdateDef.cpu (src/ops/sparse_updates.ts).
// Bindings: 0 src [n, D] f32 (the rows), 1 idx [n] i32, 2 links [n] u32 (scratch), 3 hyper [2],
//   4 p [ROWS, D] (read and written: the backend has copied the input there, or it is the
//   input's own buffer).
// Overrides: N = n·D (threads), ROWS, D, COUNT = n.
// Design: one thread per (index, column), 1-D, workgroup 64; only a row's head thread writes,
//   so every touched element is written once, no atomics. O(n·D): nothing scales with ROWS.
override N: u32;
override ROWS: i32;
override D: u32;
override COUNT: u32;
@group(0) @binding(0) var<storage, read> src: array<f32>;
@group(0) @binding(1) var<storage, read> idx: array<i32>;
@group(0) @binding(2) var<storage, read> links: array<u32>;
@group(0) @binding(3) var<storage, read> hyper: array<f32>;
@group(0) @binding(4) var<storage, read_write> p: array<f32>;
//#include lib/thread
//#include lib/nonfinite
//#include lib/scatter_links
//#include lib/scatter_walk
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = thread_index(gid, nwg);
  if (i >= N) { return; }
  let k = i / D;
  let r = head_row(k);
  if (r < 0) { return; }
  let j = i % D;
  let g = linked_sum(k, j);
  let at = u32(r) * D + j;
  let old = p[at];
  let pi = old - hyper[0] * g;
  p[at] = select(pi, old, hyper[1] == 0.0 || is_nonfinite(pi));
}
