// lib/seq_backward: dh_prev[b, k] = Σₙ dgates[b, n]·W_hh[n, k] for one batch row b and 64
// units k (one per thread), the gate gradients computed on the fly, 64 units × G gates at a
// time, by the includer's `gate_grads(b, j, t, s, owner) -> vec4f` (the G gradients of unit
// j; `owner` is the workgroup of k-tile 0, the one that writes them out) into a workgroup
// tile. W_hh [G·H, H] is read along k: consecutive threads, consecutive addresses. Every
// workgroup of row b recomputes that row's gate gradients (G·H pointwise values, cheap next to
// the G·H² products) instead of a second dispatch. Needs lib/seq_step; binds `whh`. The tiled
// step of lstm_seq_backward.wgsl and gru_seq_backward.wgsl is here too (`tiled_step`): dh_prev[b, k] = that sum +
// the includer's `dh_direct(b, k, t, s)`, written by the ping-pong.
var<workgroup> dg_tile: array<array<f32, 64>, 4>;
fn back_hidden(b: u32, kt: u32, tid: u32, t: u32, s: u32) -> f32 {
  let k = kt * 64u + tid;
  var acc = 0.0;
  for (var j0 = 0u; j0 < H; j0 += 64u) {
    let j = j0 + tid;
    var d = vec4f(0.0);
    if (j < H) { d = gate_grads(b, j, t, s, kt == 0u); }
    dg_tile[0][tid] = d.x;
    dg_tile[1][tid] = d.y;
    dg_tile[2][tid] = d.z;
    dg_tile[3][tid] = d.w;
    workgroupBarrier();
    if (k < H) {
      let jn = min(64u, H - j0);
      for (var jj = 0u; jj < jn; jj++) {
        let at = (j0 + jj) * H + k;
        acc += dg_tile[0][jj] * whh[at] + dg_tile[1][jj] * whh[at + H * H] + dg_tile[2][jj] * whh[at + 2u * H * H];
        if (G == 4u) { acc += dg_tile[3][jj] * whh[at + 3u * H * H]; }
      }
    }
    workgroupBarrier();
  }
  return acc;
}
fn tiled_step(wg: vec3u, tid: u32) {
  let s = P.x;
  let b = wg.y;
  let t = time_of(T - 1u - s);
  let acc = back_hidden(b, wg.x, tid, t, s);
  let k = wg.x * 64u + tid;
  if (k >= H) { return; }
  let v = acc + dh_direct(b, k, t, s);
  if (writes_out(s)) { dh0[b * H + k] = v; } else { scratch[b * H + k] = v; }
}
