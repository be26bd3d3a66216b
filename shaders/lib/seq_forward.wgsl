// lib/seq_forward: the hidden matmul of one recurrent time step, for a tile of RB batch rows
// and 64 hidden units (one per thread): acc[r][q] = Σ_k h_prev[b0 + r, k] · W_hh[q·H + j, k]
// for the G gate blocks q. Reads `whht` (W_hh transposed, [H, G·H]: consecutive threads read
// consecutive units, coalesced) and h_prev = hs[tp] through a workgroup tile of 64 k at a
// time (each value loaded once per workgroup, used by 64 threads); each W_hh value fetched is
// used for RB rows (register blocking). Needs lib/seq_step; the includer binds `hs`, `h0` and
// `whht`. At the first step (`first`, uniform) h_prev is h0. The tiled step of lstm_seq.wgsl
// and gru_seq.wgsl is here too (`tiled_step`): the tile, then the includer's `cell_update(b, j, t, tp, s, acc)`
// per row.
const RB = 4u;
var<workgroup> h_tile: array<array<f32, 64>, 4>;
fn hidden_tile(first: bool, tp: u32, b0: u32, j: u32, tid: u32) -> array<vec4f, 4> {
  var acc: array<vec4f, 4>;
  for (var k0 = 0u; k0 < H; k0 += 64u) {
    for (var r = 0u; r < RB; r++) {
      let b = b0 + r;
      let k = k0 + tid;
      var v = 0.0;
      if (b < B && k < H) {
        if (first) { v = h0[b * H + k]; } else { v = hs[(tp * B + b) * H + k]; }
      }
      h_tile[r][tid] = v;
    }
    workgroupBarrier();
    if (j < H) {
      let kn = min(64u, H - k0);
      for (var kk = 0u; kk < kn; kk++) {
        let at = (k0 + kk) * G * H + j;
        var w = vec4f(whht[at], whht[at + H], whht[at + 2u * H], 0.0);
        if (G == 4u) { w.w = whht[at + 3u * H]; }
        for (var r = 0u; r < RB; r++) { acc[r] += h_tile[r][kk] * w; }
      }
    }
    workgroupBarrier();
  }
  return acc;
}
fn tiled_step(wg: vec3u, tid: u32) {
  let s = P.x;
  let first = s == 0u;
  let t = time_of(s);
  let tp = time_of(max(s, 1u) - 1u);
  let j = wg.x * 64u + tid;
  let b0 = wg.y * RB;
  let acc = hidden_tile(first, tp, b0, j, tid);
  if (j >= H) { return; }
  for (var r = 0u; r < RB; r++) {
    if (b0 + r >= B) { break; }
    cell_update(b0 + r, j, t, tp, s, acc[r]);
  }
}
