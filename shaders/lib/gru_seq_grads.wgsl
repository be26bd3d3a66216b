// lib/gru_seq_grads: the GRU backward step's pointwise half, shared by gru_seq_backward.wgsl
// (both forms): `dh_total(b, j, t, s)` (dhs[t] + the recurrent dh of step s,
// lib/seq_step's ping-pong between dh0 and scratch) and `gate_grads(b, j, t, s, owner)`, the
// hidden-side gate gradients (dr, dz, dn·r) of unit j; the owner writes dx and dgh. The
// includer binds saved, hprev, dhs, dx, dgh, dh0, scratch.
fn dh_total(b: u32, j: u32, t: u32, s: u32) -> f32 {
  let i = b * H + j;
  var rec = 0.0;
  if (s > 0u) {
    if (writes_out(s)) { rec = scratch[i]; } else { rec = dh0[i]; }
  }
  return dhs[(t * B + b) * H + j] + rec;
}
fn gate_grads(b: u32, j: u32, t: u32, s: u32, owner: bool) -> vec4f {
  let dh = dh_total(b, j, t, s);
  let at = (t * B + b) * 4u * H + j;
  let r = saved[at];
  let z = saved[at + H];
  let n = saved[at + 2u * H];
  let ghn = saved[at + 3u * H];
  let dn = dh * (1.0 - z) * (1.0 - n * n);
  let dz = dh * (hprev[(t * B + b) * H + j] - n) * z * (1.0 - z);
  let dr = dn * ghn * r * (1.0 - r);
  if (owner) {
    let x = (t * B + b) * 3u * H + j;
    dx[x] = dr;
    dx[x + H] = dz;
    dx[x + 2u * H] = dn;
    dgh[x] = dr;
    dgh[x + H] = dz;
    dgh[x + 2u * H] = dn * r;
  }
  return vec4f(dr, dz, dn * r, 0.0);
}
