// scatterAdd, dispatch 2 of 2 ("sum"): for each row's first index k (HEAD) and column j,
// out[idx[k], j] = src[k, j] + src[k', j] + … along the links, in index order.
// Mirrors scatterAddDef.cpu (src/ops/gather.ts).
// Bindings: 0 src [n, D] f32, 1 idx [n] i32, 2 out [ROWS, D] f32, 3 links [n] u32 (written by
//   scatter_add.wgsl).
// Overrides: N = n·D (threads), ROWS, D, COUNT = n.
// Design: one thread per (index, column), 1-D, workgroup 64; only a row's head sums, so every
//   table element is written once, no atomics; consecutive threads read consecutive columns.
//   O(n·D) in all.
override N: u32;
override ROWS: i32;
override D: u32;
override COUNT: u32;
@group(0) @binding(0) var<storage, read> src: array<f32>;
@group(0) @binding(1) var<storage, read> idx: array<i32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<storage, read> links: array<u32>;
//#include lib/thread
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
  out[u32(r) * D + j] = linked_sum(k, j);
}
