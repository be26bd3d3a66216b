// softmaxCrossEntropy with a reduction: loss = SCALE · Σᵢ (log Σⱼ exp(x[i, j]) − x[i, label[i]])
// (SCALE = 1/R for the mean, 1 for the sum), in one dispatch instead of the per-sample kernel, a
// sum and a division. A label outside [0, C) faults (lib/fault) and makes the loss NaN.
// With GRAD (count 1: the planner's softmaxCrossEntropyWithGrad, a reduced loss and its
// backward over the same logits, src/graph/fuse.ts) each row also writes its gradient
// dx[i, j] = (softmax(x)[i, j] − [j = label[i]]) · dy · SCALE (NaN for a bad label), from the
// row statistics it already has: one dispatch for the loss and its backward.
// Mirrors softmaxCrossEntropyDef.cpu with reduction "mean" or "sum" and, with GRAD,
// softmaxCrossEntropyWithGradDef.cpu (src/ops/softmax_xent.ts).
// Bindings: 0 x [R, C] f32, 1 labels [R] i32, 2 loss [1] f32, 3 status (the run's); with GRAD
//   4 dy [1] f32, 5 dx [R, C] f32.
// Overrides: R (rows), C (classes), SCALE; NAN_OUT (the mean of no rows: NaN, as in PyTorch;
//   SCALE = 1/R cannot be an override then); SITE (set by the backend).
// Design: one workgroup of 256 threads; thread t takes rows t, t + 256, … (its C logits twice
// each, C being classes, three times with GRAD), then a tree reduction in workgroup memory;
// thread 0 writes the loss. The planner fuses the backward in only for R·C ≤ 16 384
// (XENT_FUSED_MAX), where one workgroup is enough.
override R: u32;
override C: u32;
override SCALE: f32;
override NAN_OUT: bool = false;
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> labels: array<i32>;
@group(0) @binding(2) var<storage, read_write> loss: array<f32>;
@group(0) @binding(3) var<storage, read_write> status: array<atomic<u32>, 8>;
//#each G @group(0) @binding(4) var<storage, read> dy: array<f32>;
//#each G @group(0) @binding(5) var<storage, read_write> dx: array<f32>;
//#include lib/fault
//#include lib/xent_row
var<workgroup> part: array<f32, 256>;
@compute @workgroup_size(256)
fn main(@builtin(local_invocation_index) t: u32) {
  var s = 0.0;
//#each G   let g = dy[0] * SCALE;
  for (var i = t; i < R; i += 256u) {
    let label = labels[i];
    if (label < 0 || label >= i32(C)) {
      raise_fault(bitcast<u32>(label), i, 0u);
      var nan_bits = 0x7fc00000u;
      s = s + bitcast<f32>(nan_bits);
//#each G       for (var j = 0u; j < C; j++) { dx[i * C + j] = bitcast<f32>(nan_bits); }
      continue;
    }
    let st = row_stats(i);
    s = s + (st.m + st.lse - x[i * C + u32(label)]);
//#each G     for (var j = 0u; j < C; j++) { dx[i * C + j] = (exp(x[i * C + j] - st.m - st.lse) - select(0.0, 1.0, i32(j) == label)) * g; }
  }
  part[t] = s;
  workgroupBarrier();
  for (var w = 128u; w > 0u; w = w >> 1u) {
    if (t < w) { part[t] = part[t] + part[t + w]; }
    workgroupBarrier();
  }
  if (t == 0u) {
    var nan_bits = 0x7fc00000u;
    loss[0] = select(part[0] * SCALE, bitcast<f32>(nan_bits), NAN_OUT);
  }
}
