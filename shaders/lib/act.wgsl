// lib/act: the epilogue's activation, act(x) = __ACT__: the expression of relu, tanh or sigmoid
// from the elementwise table (src/ops/elementwise.ts, the one source of their math), or x.
// NaN in, NaN out, as the elementwise kernels.
//#include lib/nan
fn act(x: f32) -> f32 { if (is_nan(x)) { return x; } return __ACT__; }
// EPI 3 is ReLU's backward fused in (graph/fuse.ts): `bias` is then the ReLU's output y [M, N]
// (an unbatched product) and the result is v where y > 0, else 0.
fn epilogue(v: f32, i: u32, j: u32) -> f32 {
  if (EPI == 1u) { return act(v + bias[j]); }
  if (EPI == 2u) { return act(v + bias[i]); }
  if (EPI == 3u) { return select(0.0, v, bias[i * N + j] > 0.0); }
  return v;
}
