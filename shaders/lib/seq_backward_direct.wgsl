// lib/seq_backward_direct: `direct_step`, the DIRECT form of lstm_seq_backward.wgsl and
// gru_seq_backward.wgsl. PHASE 0: one thread per (b, j) runs the includer's
// gate_grads (which writes the step's gate gradients); PHASE 1: one thread per __X__ = X rows ×
// __Y__ = Y units of dh_prev = Σₙ dgates[t, b, n]·W_hh[n, k] + dh_direct(b, k, t, s), in X·Y
// scalar accumulators (//#each: SwiftShader keeps arrays in memory), written by lib/seq_step's
// ping-pong. The includer defines `dgates_at(i)` (the gradients PHASE 0 wrote) and `dh_direct`.
fn direct_step(gid: vec3u, nwg: vec3u) {
  let i = thread_index(gid, nwg);
  let s = P.x;
  let t = time_of(T - 1u - s);
  if (PHASE == 0u) {
    if (i >= B * H) { return; }
    _ = gate_grads(i / H, i % H, t, s, true);
    return;
  }
  let groups = (H + __Y__u - 1u) / __Y__u;
  let b0 = (i / groups) * __X__u;
  let k0 = (i % groups) * __Y__u;
  if (b0 >= B) { return; }
//#each X   let rb__X__ = (t * B + min(b0 + __X__u, B - 1u)) * G * H;
//#each Y   let kk__Y__ = min(k0 + __Y__u, H - 1u);
//#each X Y   var a__X__s__Y__ = 0.0;
  for (var n = 0u; n < G * H; n++) {
//#each X     let d__X__ = dgates_at(rb__X__ + n);
//#each Y     let w__Y__ = whh[n * H + kk__Y__];
//#each X Y     a__X__s__Y__ += d__X__ * w__Y__;
  }
//#each X Y   if (b0 + __X__u < B && k0 + __Y__u < H) { put_dh(b0 + __X__u, k0 + __Y__u, t, s, a__X__s__Y__); }
}
fn put_dh(b: u32, k: u32, t: u32, s: u32, acc: f32) {
  let i = b * H + k;
  let v = acc + dh_direct(b, k, t, s);
  if (writes_out(s)) { dh0[i] = v; } else { scratch[i] = v; }
}
