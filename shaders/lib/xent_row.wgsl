// lib/xent_row: row i's max m and lse = log Σ exp(x − m) of logits `x` [.., C] (declared by
// the includer, with `override C`): the stable log-sum-exp of softmax cross-entropy.
struct RowStats { m: f32, lse: f32 }
fn row_stats(i: u32) -> RowStats {
  var m = x[i * C];
  for (var j = 1u; j < C; j++) { m = max(m, x[i * C + j]); }
  var s = 0.0;
  for (var j = 0u; j < C; j++) { s += exp(x[i * C + j] - m); }
  return RowStats(m, log(s));
}
