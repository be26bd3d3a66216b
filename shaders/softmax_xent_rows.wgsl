// softmaxCrossEntropyRows: per-sample losses for many classes, as a GPU wants them:
// loss[i] = SCALE · (log Σⱼ exp(x[i, j]) − x[i, label[i]]) (SCALE = 1 per sample; 1/R or 1
// before a tree sum of the rows for a reduced loss, src/ops/softmax_xent.ts). A label
// outside [0, C) faults (lib/fault) and the row's loss is NaN.
// Mirrors softmaxCrossEntropyDef.cpu (src/ops/softmax_xent.ts).
// Bindings: 0 x [R, C] f32, 1 labels [R] i32, 2 loss [R] f32, 3 status (the run's).
// Overrides: R (rows), C (classes), SCALE; SITE (set by the backend).
// Design: one workgroup of 64 threads per row (rows fold into a 2-D grid past 65 535), the
// row's max and Σ exp(x − max) as tree reductions in workgroup memory (lib/xent_row_tree, as
// the backward): O(R·C) work in R workgroups, where softmax_xent.wgsl's thread per row loops
// over C twice (the form for a few classes, and for software adapters).
override R: u32;
override C: u32;
override SCALE: f32 = 1.0;
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> labels: array<i32>;
@group(0) @binding(2) var<storage, read_write> loss: array<f32>;
@group(0) @binding(3) var<storage, read_write> status: array<atomic<u32>, 8>;
//#include lib/fault
//#include lib/xent_row_tree
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) t: u32) {
  let i = wid.x + wid.y * nwg.x;
  if (i >= R) { return; } // the same for the whole workgroup: barriers stay uniform
  let st = row_stats_tree(i, t);
  if (t == 0u) { loss[i] = SCALE * row_loss(i, st); }
}
