// lib/gru_seq_cell: the gate update of gru_seq.wgsl (both forms) for batch row b,
// unit j at time t (tp: the time before; step s), from the hidden products `acc` (r, z, n):
// gh = acc + b_hh, r = σ(x_r + gh_r), z = σ(x_z + gh_z), n = tanh(x_n + r·gh_n),
// h = (1 − z)·n + z·h_prev; writes hs, saved, hprev. The includer binds xproj, bhh (with
// `override BIAS`), h0, hs, saved, hprev.
fn sigmoid(x: f32) -> f32 { return 1.0 / (1.0 + exp(-x)); }
fn gru_cell_update(b: u32, j: u32, t: u32, tp: u32, s: u32, acc: vec3f) {
  var bias = vec3f(0.0);
  if (BIAS) { bias = vec3f(bhh[j], bhh[H + j], bhh[2u * H + j]); }
  let x = (t * B + b) * 3u * H + j;
  let gh = acc + bias;
  let rg = sigmoid(xproj[x] + gh.x);
  let z = sigmoid(xproj[x + H] + gh.y);
  let n = tanh(xproj[x + 2u * H] + rg * gh.z);
  var hp: f32;
  if (s == 0u) { hp = h0[b * H + j]; } else { hp = hs[(tp * B + b) * H + j]; }
  let at = (t * B + b) * 4u * H + j;
  saved[at] = rg;
  saved[at + H] = z;
  saved[at + 2u * H] = n;
  saved[at + 3u * H] = gh.z;
  hprev[(t * B + b) * H + j] = hp;
  hs[(t * B + b) * H + j] = (1.0 - z) * n + z * hp;
}
