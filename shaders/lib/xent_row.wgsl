// lib/xent_row: row i's max m and lse = log Σ exp(x − m) of logits `x` [.., C] (declared by
// the includer, with `override C`): the stable log-sum-exp of softmax cross-entropy; and
// row_loss, the row's loss from them, where a label (the includer's `labels`) outside [0, C)
// faults (lib/fault) and gives NaN.
struct RowStats { m: f32, lse: f32 }
fn row_stats(i: u32) -> RowStats {
  var m = x[i * C];
  for (var j = 1u; j < C; j++) { m = max(m, x[i * C + j]); }
  var s = 0.0;
  for (var j = 0u; j < C; j++) { s += exp(x[i * C + j] - m); }
  return RowStats(m, log(s));
}
fn row_loss(i: u32, st: RowStats) -> f32 {
  let label = labels[i];
  if (label < 0 || label >= i32(C)) {
    raise_fault(bitcast<u32>(label), i, 0u);
    var nan_bits = 0x7fc00000u;
    return bitcast<f32>(nan_bits);
  }
  return st.m + st.lse - x[i * C + u32(label)];
}
