// lstmCellBackward: the gradient of lstmCell, recomputing the gates from their
// pre-activations. With tc = tanh(c') and dc_total = dc + dh·o·(1 − tc²):
//   d gates = [dc_total·g·i(1−i), dc_total·c·f(1−f), dc_total·i·(1−g²), dh·tc·o(1−o)],
//   dc_prev = dc_total·f.
// Mirrors lstmCellBackwardDef.cpu (src/ops/lstm_cell.ts).
// Bindings: 0 gates [B, 4H], 1 c [B, H], 2 dh [B, H], 3 dc [B, H], 4 d_gates [B, 4H],
// 5 dc_prev [B, H], 6 gh [B, 4H] (summed into gates when TWO, as lstm_cell.wgsl); f32, row-major.
// Overrides: N = B·H (threads), H, TWO.
// Design: one thread per state element; it writes its four gate gradients. 1-D, workgroup 64.
override N: u32;
override H: u32;
@group(0) @binding(0) var<storage, read> gates: array<f32>;
@group(0) @binding(1) var<storage, read> c: array<f32>;
@group(0) @binding(2) var<storage, read> dh: array<f32>;
@group(0) @binding(3) var<storage, read> dc: array<f32>;
@group(0) @binding(4) var<storage, read_write> d_gates: array<f32>;
@group(0) @binding(6) var<storage, read> gh: array<f32>;
override TWO: bool = false;
@group(0) @binding(5) var<storage, read_write> dc_prev: array<f32>;
//#include lib/thread
//#include lib/lstm_gates
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = thread_index(gid, nwg);
  if (i >= N) { return; }
  let q = lstm_gates(i);
  let tc = tanh(q.f * c[i] + q.ig * q.g);
  let dc_total = dc[i] + dh[i] * q.o * (1.0 - tc * tc);
  d_gates[q.row + q.k] = dc_total * q.g * q.ig * (1.0 - q.ig);
  d_gates[q.row + H + q.k] = dc_total * c[i] * q.f * (1.0 - q.f);
  d_gates[q.row + 2u * H + q.k] = dc_total * q.ig * (1.0 - q.g * q.g);
  d_gates[q.row + 3u * H + q.k] = dh[i] * tc * q.o * (1.0 - q.o);
  dc_prev[i] = dc_total * q.f;
}
