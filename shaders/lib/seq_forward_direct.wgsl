// lib/seq_forward_direct: `direct_step`, the DIRECT form of lstm_seq.wgsl and gru_seq.wgsl:
// one thread per unit j and __X__ = X batch rows (⌈B/X⌉·H threads), G dot products over k per row
// of h_prev[b, k] and W_hhᵀ[k, q·H + j] (consecutive threads, consecutive units), each weight
// loaded once for the X rows, into X vec4 accumulators (unrolled by //#each), then the
// includer's `cell_update`. The includer defines `w_at(at)` (the G weights of W_hhᵀ from `at`,
// 0 past G) and `cell_update(b, j, t, tp, s, acc)`.
fn direct_step(gid: vec3u, nwg: vec3u) {
  let i = thread_index(gid, nwg);
  let b0 = (i / H) * __X__u;
  if (b0 >= B) { return; }
  let j = i % H;
  let s = P.x;
  let t = time_of(s);
  let tp = time_of(max(s, 1u) - 1u);
//#each X   let hb__X__ = min(b0 + __X__u, B - 1u) * H;
//#each X   var acc__X__ = vec4f(0.0);
  if (s == 0u) {
    for (var k = 0u; k < H; k++) {
      let at = k * G * H + j;
      let w = w_at(at);
//#each X       acc__X__ += h0[hb__X__ + k] * w;
    }
  } else {
    let base = tp * B * H;
    for (var k = 0u; k < H; k++) {
      let at = k * G * H + j;
      let w = w_at(at);
//#each X       acc__X__ += hs[base + hb__X__ + k] * w;
    }
  }
//#each X   if (b0 + __X__u < B) { cell_update(b0 + __X__u, j, t, tp, s, acc__X__); }
}
