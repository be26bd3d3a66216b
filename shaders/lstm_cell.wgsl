// lstmCell: one LSTM state update. c' = f ⊙ c + i ⊙ g, h' = o ⊙ tanh(c'), with
// [i, f, g, o] = [σ, σ, tanh, σ](gates), gates = x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh.
// Mirrors lstmCellDef.cpu (src/ops/lstm_cell.ts).
// Bindings: 0 gates [B, 4H], 1 c [B, H], 2 h_out [B, H], 3 c_out [B, H], 4 gh [B, 4H] (the
//   hidden projection, summed into gates when TWO; gates again otherwise); f32, row-major.
// Overrides: N = B·H (threads), H (hidden size), TWO.
// Design: one thread per state element (n, k); 1-D, workgroup 64.
override N: u32;
override H: u32;
@group(0) @binding(0) var<storage, read> gates: array<f32>;
@group(0) @binding(1) var<storage, read> c: array<f32>;
@group(0) @binding(2) var<storage, read_write> h_out: array<f32>;
@group(0) @binding(3) var<storage, read_write> c_out: array<f32>;
@group(0) @binding(4) var<storage, read> gh: array<f32>;
override TWO: bool = false;
//#include lib/thread
//#include lib/lstm_gates
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = thread_index(gid, nwg);
  if (i >= N) { return; }
  let q = lstm_gates(i);
  let c_new = q.f * c[i] + q.ig * q.g;
  c_out[i] = c_new;
  h_out[i] = q.o * tanh(c_new);
}
