// sparseAdamUpdate, dispatch 2 of 2: lazy Adam on the rows a batch used, in place. For each
// row's first index k (HEAD, linked by scatter_add.wgsl with ZERO = 0) and column j, with
// g = rows[k, j] + rows[k', j] + … along the links (index order) and r = idx[k]:
//   m' = β₁m + (1 − β₁)g   v' = β₂v + (1 − β₂)g²   p' = p − m'·stepSize / (√(v'·vScale) + ε)
// at [r, j], hyper = [lr, stepSize, vScale, ok] from adamHyper: adam_update.wgsl's arithmetic
// (without weight decay) for the touched rows; rows the batch did not use keep p, m and v
// (TensorFlow's LazyAdam; PyTorch's SparseAdam does the same with ε outside the correction).
// When the step's guard ok is 0, or a new value would not be finite, all three keep theirs.
// Mirrors sparseAdamUpdateDef.cpu (src/ops/sparse_updates.ts).
// Bindings: 0 src [n, D] f32 (the rows), 1 idx [n] i32, 2 links [n] u32 (scratch), 3 hyper [4],
//   4 p, 5 m, 6 v [ROWS, D] (read and written: the inputs, copied there or their own buffers).
// Overrides: N = n·D (threads), ROWS, D, COUNT = n, B1, B2, EPS.
// Design: one thread per (index, column), 1-D, workgroup 64; only a row's head thread writes,
//   no atomics. O(n·D): nothing scales with ROWS.
override N: u32;
override ROWS: i32;
override D: u32;
override COUNT: u32;
override B1: f32;
override B2: f32;
override EPS: f32;
@group(0) @binding(0) var<storage, read> src: array<f32>;
@group(0) @binding(1) var<storage, read> idx: array<i32>;
@group(0) @binding(2) var<storage, read> links: array<u32>;
@group(0) @binding(3) var<storage, read> hyper: array<f32>;
@group(0) @binding(4) var<storage, read_write> p: array<f32>;
@group(0) @binding(5) var<storage, read_write> m: array<f32>;
@group(0) @binding(6) var<storage, read_write> v: array<f32>;
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
  let p0 = p[at];
  let m0 = m[at];
  let v0 = v[at];
  let mi = B1 * m0 + (1.0 - B1) * g;
  let vi = B2 * v0 + (1.0 - B2) * g * g;
  let pi = p0 - mi * hyper[1] / (sqrt(vi * hyper[2]) + EPS);
  let keep = hyper[3] == 0.0 || is_nonfinite(pi) || is_nonfinite(mi) || is_nonfinite(vi);
  m[at] = select(mi, m0, keep);
  v[at] = select(vi, v0, keep);
  p[at] = select(pi, p0, keep);
}
