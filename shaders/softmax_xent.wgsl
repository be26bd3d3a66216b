// softmaxCrossEntropy: per-sample loss[i] = log Σⱼ exp(x[i, j]) − x[i, label[i]], shifted by
// the row max (stable). A label outside [0, C) faults (lib/fault) and the row's loss is NaN.
// Mirrors softmaxCrossEntropyDef.cpu (src/ops/softmax_xent.ts).
// Bindings: 0 x [R, C] f32, 1 labels [R] i32, 2 loss [R] f32, 3 status (the run's).
// Overrides: R (rows, the threads), C (classes); SITE (set by the backend).
// Design: one thread per row; it reads its C logits twice (C is small: classes).
override R: u32;
override C: u32;
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> labels: array<i32>;
@group(0) @binding(2) var<storage, read_write> loss: array<f32>;
@group(0) @binding(3) var<storage, read_write> status: array<atomic<u32>, 8>;
//#include lib/thread
//#include lib/fault
//#include lib/xent_row
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = thread_index(gid, nwg);
  if (i >= R) { return; }
  loss[i] = row_loss(i, row_stats(i));
}
