// trainMeter: a training step's running sums, kept on the device so the training loop need
// not read every step: stats' = stats + (ok ≠ 0 ? [loss, correct, examples, 1, 0]
// : [0, 0, 0, 0, 1]) with stats = [loss sum, correct, examples, steps, skipped steps]; correct
// counts the rows of logits whose first largest value is at the label (ACCURACY = 1; 0 for
// language models, where it is not wanted), examples = EXAMPLES (the batch).
// Mirrors trainMeterDef.cpu (src/ops/meter.ts) and argmaxRows in src/metrics.ts.
// Bindings: 0 stats [5], 1 loss [1], 2 logits [ROWS·C], 3 y [ROWS] (i32), 4 ok [1],
//   5 stats_out [5]; f32 but y.
// Overrides: ROWS, C, EXAMPLES, ACCURACY (0 or 1).
// Design: one workgroup of 256 threads strides over the rows (one thread per row: its argmax
// over C), counts into a workgroup atomic, and thread 0 writes the sums: one dispatch for the
// whole meter.
override ROWS: u32;
override C: u32;
override EXAMPLES: f32;
override ACCURACY: u32;
@group(0) @binding(0) var<storage, read> stats: array<f32>;
@group(0) @binding(1) var<storage, read> loss: array<f32>;
@group(0) @binding(2) var<storage, read> logits: array<f32>;
@group(0) @binding(3) var<storage, read> y: array<i32>;
@group(0) @binding(4) var<storage, read> ok: array<f32>;
@group(0) @binding(5) var<storage, read_write> stats_out: array<f32>;
var<workgroup> correct: atomic<u32>;
@compute @workgroup_size(256)
fn main(@builtin(local_invocation_index) t: u32) {
  if (ACCURACY == 1u) {
    for (var r = t; r < ROWS; r += 256u) {
      var best = 0u;
      for (var j = 1u; j < C; j++) { if (logits[r * C + j] > logits[r * C + best]) { best = j; } }
      if (i32(best) == y[r]) { atomicAdd(&correct, 1u); }
    }
  }
  workgroupBarrier();
  if (t == 0u) {
    let good = ok[0] != 0.0;
    stats_out[0] = stats[0] + select(0.0, loss[0], good);
    stats_out[1] = stats[1] + select(0.0, f32(atomicLoad(&correct)), good);
    stats_out[2] = stats[2] + select(0.0, EXAMPLES, good);
    stats_out[3] = stats[3] + select(0.0, 1.0, good);
    stats_out[4] = stats[4] + select(1.0, 0.0, good);
  }
}
