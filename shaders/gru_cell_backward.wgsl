// gruCellBackward: the gradient of gruCell, recomputing r, z, n. With
//   dn_pre = dh·(1 − z)·(1 − n²), dz_pre = dh·(h − n)·z(1 − z), dr_pre = dn_pre·h_n·r(1 − r):
//   dgi = [dr_pre, dz_pre, dn_pre], dgh = [dr_pre, dz_pre, dn_pre·r], dh_prev = dh·z.
// Mirrors gruCellBackwardDef.cpu (src/ops/gru_cell.ts).
// Bindings: 0 gi, 1 gh [B, 3H], 2 h_prev, 3 dh [B, H], 4 dgi, 5 dgh [B, 3H], 6 dh_prev [B, H].
// Overrides: N = B·H (threads), H.
// Design: one thread per state element; it writes its three gate gradients of each input.
override N: u32;
override H: u32;
@group(0) @binding(0) var<storage, read> gi: array<f32>;
@group(0) @binding(1) var<storage, read> gh: array<f32>;
@group(0) @binding(2) var<storage, read> h_prev: array<f32>;
@group(0) @binding(3) var<storage, read> dh: array<f32>;
@group(0) @binding(4) var<storage, read_write> dgi: array<f32>;
@group(0) @binding(5) var<storage, read_write> dgh: array<f32>;
@group(0) @binding(6) var<storage, read_write> dh_prev: array<f32>;
//#include lib/thread
//#include lib/gru_gates
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = thread_index(gid, nwg);
  if (i >= N) { return; }
  let q = gru_gates(i);
  let dn_pre = dh[i] * (1.0 - q.z) * (1.0 - q.n * q.n);
  let dz_pre = dh[i] * (h_prev[i] - q.n) * q.z * (1.0 - q.z);
  let dr_pre = dn_pre * q.hn * q.r * (1.0 - q.r);
  dgi[q.row + q.k] = dr_pre;
  dgh[q.row + q.k] = dr_pre;
  dgi[q.row + H + q.k] = dz_pre;
  dgh[q.row + H + q.k] = dz_pre;
  dgi[q.row + 2u * H + q.k] = dn_pre;
  dgh[q.row + 2u * H + q.k] = dn_pre * q.r;
  dh_prev[i] = dh[i] * q.z;
}
