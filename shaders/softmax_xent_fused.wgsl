// softmaxCrossEntropyWithGrad: a reduced softmax cross-entropy and its backward in one
// dispatch (the planner's fusion of softmaxCrossEntropy and softmaxCrossEntropyBackward over
// the same logits, src/graph/fuse.ts): loss = SCALE · Σᵢ (log Σⱼ exp(x[i, j]) − x[i, label[i]]),
// dx[i, j] = (softmax(x)[i, j] − [j = label[i]]) · dy · SCALE. A label outside [0, C) faults,
// makes the loss NaN and its row's gradient NaN, as each of the two kernels does.
// Mirrors softmaxCrossEntropyWithGradDef.cpu (src/ops/softmax_xent.ts).
// Bindings: 0 x [R, C] f32, 1 labels [R] i32, 2 dy [1] f32, 3 loss [1] f32, 4 dx [R, C] f32,
//   5 status (the run's).
// Overrides: R (rows), C (classes), SCALE (1/R for the mean, 1 for the sum), NAN_OUT (the mean
//   of no rows); SITE (set by the backend).
// Design: one workgroup of 256 threads, as softmax_xent_sum.wgsl: thread t takes rows t,
// t + 256, … (its row statistics once, then the row's gradient), then a tree reduction of the
// loss; the planner fuses only small problems (R·C ≤ 16 384), where one workgroup is enough.
override R: u32;
override C: u32;
override SCALE: f32;
override NAN_OUT: bool = false;
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> labels: array<i32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read_write> loss: array<f32>;
@group(0) @binding(4) var<storage, read_write> dx: array<f32>;
@group(0) @binding(5) var<storage, read_write> status: array<atomic<u32>, 8>;
//#include lib/fault
//#include lib/xent_row
var<workgroup> part: array<f32, 256>;
@compute @workgroup_size(256)
fn main(@builtin(local_invocation_index) t: u32) {
  var nan_bits = 0x7fc00000u;
  let nan = bitcast<f32>(nan_bits);
  let g = dy[0] * SCALE;
  var s = 0.0;
  for (var i = t; i < R; i += 256u) {
    let label = labels[i];
    if (label < 0 || label >= i32(C)) {
      raise_fault(bitcast<u32>(label), i, 0u);
      s = s + nan;
      for (var j = 0u; j < C; j++) { dx[i * C + j] = nan; }
      continue;
    }
    let st = row_stats(i);
    s = s + (st.m + st.lse - x[i * C + u32(label)]);
    for (var j = 0u; j < C; j++) {
      let p = exp(x[i * C + j] - st.m - st.lse);
      dx[i * C + j] = (p - select(0.0, 1.0, i32(j) == label)) * g;
    }
  }
  part[t] = s;
  workgroupBarrier();
  for (var w = 128u; w > 0u; w = w >> 1u) {
    if (t < w) { part[t] = part[t] + part[t + w]; }
    workgroupBarrier();
  }
  if (t == 0u) { loss[0] = select(part[0] * SCALE, nan, NAN_OUT); }
}
