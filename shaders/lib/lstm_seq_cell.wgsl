// lib/lstm_seq_cell: the cell update of lstm_seq.wgsl (both forms) for batch row b,
// unit j at time t (tp: the time before; step s), from the hidden products `acc` (i, f, g, o):
// gates = acc + xproj[t], c = f·c_prev + i·g, h = o·tanh(c); writes hs, saved, hprev and, at
// the last step, c_n. The includer binds xproj, h0, c0, hs, c_n, saved, hprev.
fn sigmoid(x: f32) -> f32 { return 1.0 / (1.0 + exp(-x)); }
fn lstm_cell_update(b: u32, j: u32, t: u32, tp: u32, s: u32, acc: vec4f) {
  let x = (t * B + b) * 4u * H + j;
  let pre = acc + vec4f(xproj[x], xproj[x + H], xproj[x + 2u * H], xproj[x + 3u * H]);
  let ig = sigmoid(pre.x);
  let f = sigmoid(pre.y);
  let g = tanh(pre.z);
  let o = sigmoid(pre.w);
  var cp: f32;
  var hp: f32;
  if (s == 0u) {
    cp = c0[b * H + j];
    hp = h0[b * H + j];
  } else {
    cp = saved[(tp * B + b) * 6u * H + 5u * H + j];
    hp = hs[(tp * B + b) * H + j];
  }
  let c = f * cp + ig * g;
  let at = (t * B + b) * 6u * H + j;
  saved[at] = ig;
  saved[at + H] = f;
  saved[at + 2u * H] = g;
  saved[at + 3u * H] = o;
  saved[at + 4u * H] = cp;
  saved[at + 5u * H] = c;
  hprev[(t * B + b) * H + j] = hp;
  hs[(t * B + b) * H + j] = o * tanh(c);
  if (s == T - 1u) { c_n[b * H + j] = c; }
}
