// lib/lstm_seq_grads: the LSTM backward step's pointwise half, shared by lstm_seq_backward.wgsl
// (both forms): the recurrent dh and dc of step s (lib/seq_step's
// ping-pong between dh0/dc0 and scratch), and `gate_grads(b, j, t, s, owner)`, the four gate
// gradients of unit j, which the owner writes to dx along with dc_prev. The includer binds
// saved, dhs, dc_n, dx, dh0, dc0, scratch.
fn rec_dh(i: u32, s: u32) -> f32 {
  if (s == 0u) { return 0.0; }
  if (writes_out(s)) { return scratch[i]; }
  return dh0[i];
}
fn rec_dc(i: u32, s: u32) -> f32 {
  if (s == 0u) { return dc_n[i]; }
  if (writes_out(s)) { return scratch[B * H + i]; }
  return dc0[i];
}
fn gate_grads(b: u32, j: u32, t: u32, s: u32, owner: bool) -> vec4f {
  let i = b * H + j;
  let dh = dhs[(t * B + b) * H + j] + rec_dh(i, s);
  let at = (t * B + b) * 6u * H + j;
  let ig = saved[at];
  let f = saved[at + H];
  let g = saved[at + 2u * H];
  let o = saved[at + 3u * H];
  let cp = saved[at + 4u * H];
  let tc = tanh(saved[at + 5u * H]);
  let dct = rec_dc(i, s) + dh * o * (1.0 - tc * tc);
  let d = vec4f(dct * g * ig * (1.0 - ig), dct * cp * f * (1.0 - f), dct * ig * (1.0 - g * g), dh * tc * o * (1.0 - o));
  if (owner) {
    let x = (t * B + b) * 4u * H + j;
    dx[x] = d.x;
    dx[x + H] = d.y;
    dx[x + 2u * H] = d.z;
    dx[x + 3u * H] = d.w;
    if (writes_out(s)) { dc0[i] = dct * f; } else { scratch[B * H + i] = dct * f; }
  }
  return d;
}
