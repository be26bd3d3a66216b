// gruCell: one GRU state update, h' = (1 − z) ⊙ n + z ⊙ h, with r = σ(gi_r + gh_r),
// z = σ(gi_z + gh_z), n = tanh(gi_n + r ⊙ gh_n) (PyTorch's GRU).
// Mirrors gruCellDef.cpu (src/ops/gru_cell.ts).
// Bindings: 0 gi [B, 3H], 1 gh [B, 3H], 2 h_prev [B, H], 3 h_out [B, H]; f32, row-major.
// Overrides: N = B·H (threads), H.
// Design: one thread per state element; 1-D, workgroup 64.
override N: u32;
override H: u32;
@group(0) @binding(0) var<storage, read> gi: array<f32>;
@group(0) @binding(1) var<storage, read> gh: array<f32>;
@group(0) @binding(2) var<storage, read> h_prev: array<f32>;
@group(0) @binding(3) var<storage, read_write> h_out: array<f32>;
//#include lib/thread
//#include lib/gru_gates
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = thread_index(gid, nwg);
  if (i >= N) { return; }
  let q = gru_gates(i);
  h_out[i] = (1.0 - q.z) * q.n + q.z * h_prev[i];
}
