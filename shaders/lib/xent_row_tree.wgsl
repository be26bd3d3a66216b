// lib/xent_row_tree: row i's max m and lse = log Σ exp(x − m) of logits `x` [R, C] (declared
// by the includer, with `override C`), computed by the 64 threads of a workgroup (t is the
// thread's index): they stride over the row, then reduce in workgroup memory with a tree,
// once for the max and once for the sum. Call it in uniform control flow (it has barriers).
//#include lib/xent_row
var<workgroup> red: array<f32, 64>;
fn row_stats_tree(i: u32, t: u32) -> RowStats {
  var neg_inf_bits = 0xff800000u;
  var m = bitcast<f32>(neg_inf_bits);
  for (var j = t; j < C; j += 64u) { m = max(m, x[i * C + j]); }
  red[t] = m;
  workgroupBarrier();
  for (var w = 32u; w > 0u; w = w >> 1u) {
    if (t < w) { red[t] = max(red[t], red[t + w]); }
    workgroupBarrier();
  }
  let mx = red[0];
  workgroupBarrier();
  var s = 0.0;
  for (var j = t; j < C; j += 64u) { s += exp(x[i * C + j] - mx); }
  red[t] = s;
  workgroupBarrier();
  for (var w = 32u; w > 0u; w = w >> 1u) {
    if (t < w) { red[t] = red[t] + red[t + w]; }
    workgroupBarrier();
  }
  return RowStats(mx, log(red[0]));
}
