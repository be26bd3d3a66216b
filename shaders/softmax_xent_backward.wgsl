// softmaxCrossEntropyBackward: dx[i, j] = (softmax(x)[i, j] − [j = label[i]]) · dy[i] · SCALE,
// where dy is per sample (DYS = 1) or the one cotangent of a reduced loss (DYS = 0; SCALE = 1/R
// for the mean). A label outside [0, C) faults (the row's first thread reports it) and the
// row's gradient is NaN.
// Mirrors softmaxCrossEntropyBackwardDef.cpu (src/ops/softmax_xent.ts).
// Bindings: 0 x [R, C] f32, 1 labels [R] i32, 2 dy [R] or [1] f32, 3 dx [R, C] f32, 4 status.
// Overrides: R (rows), C, DYS (dy's stride per row), SCALE; SITE (set by the backend).
// Design: one workgroup of 64 threads per row (rows fold into a 2-D grid past 65 535): the
// threads stride over the row's C logits, reduce its max and Σ exp(x − max) in workgroup
// memory (a tree), then each writes its logits' gradients: O(R·C) work and coalesced, where one
// thread per logit recomputing its row's statistics was O(R·C²).
override R: u32;
override C: u32;
override DYS: u32 = 1u;
override SCALE: f32 = 1.0;
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> labels: array<i32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;
@group(0) @binding(4) var<storage, read_write> status: array<atomic<u32>, 8>;
//#include lib/fault
//#include lib/xent_row_tree
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) t: u32) {
  let i = wid.x + wid.y * nwg.x;
  if (i >= R) { return; } // the same for the whole workgroup: barriers below stay uniform
  let st = row_stats_tree(i, t);
  let mx = st.m;
  let lse = st.lse;
  let label = labels[i];
  let bad = label < 0 || label >= i32(C);
  if (bad && t == 0u) { raise_fault(bitcast<u32>(label), i, 0u); }
  var nan_bits = 0x7fc00000u;
  let g = dy[i * DYS] * SCALE;
  for (var j = t; j < C; j += 64u) {
    let p = exp(x[i * C + j] - mx - lse);
    dx[i * C + j] = select((p - select(0.0, 1.0, i32(j) == label)) * g, bitcast<f32>(nan_bits), bad);
  }
}
