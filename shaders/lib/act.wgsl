// lib/act: the epilogue's activation, act(x) = __ACT__: the expression of relu, tanh or sigmoid
// from the elementwise table (src/ops/elementwise.ts, the one source of their math), or x.
// NaN in, NaN out, as the elementwise kernels.
//#include lib/nan
fn act(x: f32) -> f32 { if (is_nan(x)) { return x; } return __ACT__; }
fn epilogue(v: f32, i: u32, j: u32) -> f32 {
  if (EPI == 1u) { return act(v + bias[j]); }
  if (EPI == 2u) { return act(v + bias[i]); }
  return v;
}
