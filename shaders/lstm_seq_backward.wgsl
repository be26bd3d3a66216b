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
// Overrides: T, B, H, REVERSE; DIRECT (lib/seq_main), PHASE and the counts X, Y (//#each,
//   tokens __X__, __Y__) of the direct form.
// Design: workgroup 64 = batch row b × 64 units k of dh_prev (grid ⌈H/64⌉ × B); lib/seq_backward
//   (the row's gate gradients through a workgroup tile, W_hh read coalesced along k).
//   With DIRECT (a software adapter) the barrier-free form instead, lib/seq_backward_direct:
//   two dispatches a step, PHASE 0 the gate gradients (one thread per cell), PHASE 1 dh_prev
//   (one thread per X rows × Y units, unrolled accumulators).
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
//#include lib/lstm_seq_grads
fn dh_direct(b: u32, k: u32, t: u32, s: u32) -> f32 { return 0.0; }
override PHASE: u32 = 0u;
//#include lib/thread
//#include lib/seq_backward_direct
fn dgates_at(i: u32) -> f32 { return dx[i]; }
//#include lib/seq_main
