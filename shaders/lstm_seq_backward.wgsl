// lstmSequenceBackward: one time step of an LSTM direction's backward pass, in reverse order
// (backward step s is forward step T − 1 − s), the gate gradients and dh_prev in one kernel
// (src/ops/recurrent_seq.ts). With dh = dhs[t] + the recurrent dh and dc the recurrent dc
// (dc_n at the first backward step):
//   dc' = dc + dh·o·(1 − tanh²c); dgates = [dc'·g·i(1−i), dc'·c_prev·f(1−f), dc'·i(1−g²),
//   dh·tanh(c)·o(1−o)]; dc_prev = dc'·f; dh_prev = dgates·W_hh.
// Mirrors lstmSequenceBackwardDef.cpu.
// Bindings: 0 whh [4H, H], 1 saved [T, B, 6H] (lstm_seq.wgsl's), 2 dhs [T, B, H], 3 dc_n [B, H],
//   4 dx [T, B, 4H], 5 dh0 [B, H], 6 dc0 [B, H], 7 scratch [2, B, H] (dh, dc: the ping-pong
//   partner of dh0, dc0; lib/seq_step), 8 P (uniform); f32.
// Overrides: T, B, H, REVERSE.
// Design: workgroup 64 = batch row b × 64 units k of dh_prev (grid ⌈H/64⌉ × B); lib/seq_backward
//   (the row's gate gradients through a workgroup tile, W_hh read coalesced along k).
override T: u32;
override B: u32;
override H: u32;
override REVERSE: bool = false;
const G = 4u;
@group(0) @binding(0) var<storage, read> whh: array<f32>;
@group(0) @binding(1) var<storage, read> saved: array<f32>;
@group(0) @binding(2) var<storage, read> dhs: array<f32>;
@group(0) @binding(3) var<storage, read> dc_n: array<f32>;
@group(0) @binding(4) var<storage, read_write> dx: array<f32>;
@group(0) @binding(5) var<storage, read_write> dh0: array<f32>;
@group(0) @binding(6) var<storage, read_write> dc0: array<f32>;
@group(0) @binding(7) var<storage, read_write> scratch: array<f32>;
@group(0) @binding(8) var<uniform> P: vec4u;
//#include lib/seq_step
//#include lib/seq_backward
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
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) tid: u32) {
  let s = P.x;
  let b = wg.y;
  let t = time_of(T - 1u - s);
  let acc = back_hidden(b, wg.x, tid, t, s);
  let k = wg.x * 64u + tid;
  if (k >= H) { return; }
  if (writes_out(s)) { dh0[b * H + k] = acc; } else { scratch[b * H + k] = acc; }
}
