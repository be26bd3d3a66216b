// lib/lstm_gates: thread i = n·H + k of an LSTM cell reads its four gate pre-activations from
// `gates` [B, 4H] (declared by the includer, with `override H`), plus `gh` [B, 4H] when TWO
// (the hidden projection, added here instead of by its own kernel: the same f32 sum), gate
// order i, f, g, o as PyTorch, and applies σ, σ, tanh, σ.
fn pre(j: u32) -> f32 { return gates[j] + select(0.0, gh[j], TWO); }
struct LstmGates { row: u32, k: u32, ig: f32, f: f32, g: f32, o: f32 }
fn lstm_gates(i: u32) -> LstmGates {
  let row = (i / H) * 4u * H;
  let k = i % H;
  let ig = 1.0 / (1.0 + exp(-pre(row + k)));
  let f = 1.0 / (1.0 + exp(-pre(row + H + k)));
  let g = tanh(pre(row + 2u * H + k));
  let o = 1.0 / (1.0 + exp(-pre(row + 3u * H + k)));
  return LstmGates(row, k, ig, f, g, o);
}
