// lib/gru_gates: thread i = b·H + k of a GRU cell computes r, z, n (and keeps h_n, the hidden
// projection of n) from `gi` and `gh` [B, 3H] (declared by the includer, with `override H`),
// gate order r, z, n as PyTorch: n = tanh(gi_n + r · gh_n).
struct GruGates { row: u32, k: u32, r: f32, z: f32, n: f32, hn: f32 }
fn gru_gates(i: u32) -> GruGates {
  let row = (i / H) * 3u * H;
  let k = i % H;
  let r = 1.0 / (1.0 + exp(-(gi[row + k] + gh[row + k])));
  let z = 1.0 / (1.0 + exp(-(gi[row + H + k] + gh[row + H + k])));
  let hn = gh[row + 2u * H + k];
  let n = tanh(gi[row + 2u * H + k] + r * hn);
  return GruGates(row, k, r, z, n, hn);
}
