// softmaxCrossEntropyBackward: dx[i, j] = (softmax(x)[i, j] − [j = label[i]]) · dy[i] · SCALE,
// where dy is per sample (DYS = 1) or the one cotangent of a reduced loss (DYS = 0; SCALE = 1/R
// for the mean). A label outside [0, C) faults (the row's first thread reports it) and the
// row's gradient is NaN.
// Mirrors softmaxCrossEntropyBackwardDef.cpu (src/ops/softmax_xent.ts).
// Bindings: 0 x [R, C] f32, 1 labels [R] i32, 2 dy [R] or [1] f32, 3 dx [R, C] f32, 4 status.
// Overrides: N = R·C (threads), C, DYS (dy's stride per row), SCALE; SITE (set by the backend).
// Design: one thread per logit; each recomputes its row's statistics (C is small: classes).
override N: u32;
override C: u32;
override DYS: u32 = 1u;
override SCALE: f32 = 1.0;
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> labels: array<i32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;
@group(0) @binding(4) var<storage, read_write> status: array<atomic<u32>, 8>;
//#include lib/thread
//#include lib/fault
//#include lib/xent_row
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let e = thread_index(gid, nwg);
  if (e >= N) { return; }
  let i = e / C;
  let j = e % C;
  let label = labels[i];
  if (label < 0 || label >= i32(C)) {
    if (j == 0u) { raise_fault(bitcast<u32>(label), i, 0u); }
    var nan_bits = 0x7fc00000u;
    dx[e] = bitcast<f32>(nan_bits);
    return;
  }
  let st = row_stats(i);
  let p = exp(x[e] - st.m - st.lse);
  dx[e] = (p - select(0.0, 1.0, i32(j) == label)) * (dy[i * DYS] * SCALE);
}
