// gruSequenceBackward: one time step of a GRU direction's backward pass, in reverse order
// (backward step s is forward step T − 1 − s), the gate gradients and dh_prev in one kernel
// (src/ops/recurrent_seq.ts). With dh = dhs[t] + the recurrent dh:
//   dn = dh(1−z)(1−n²), dz = dh(h_prev − n)z(1−z), dr = dn·gh_n·r(1−r);
//   dx = [dr, dz, dn], dgh = [dr, dz, dn·r]; dh_prev = dgh·W_hh + dh·z.
// Mirrors gruSequenceBackwardDef.cpu.
// Bindings: 0 whh [3H, H], 1 saved [T, B, 4H] (gru_seq.wgsl's), 2 hprev [T, B, H],
//   3 dhs [T, B, H], 4 dx [T, B, 3H], 5 dgh [T, B, 3H], 6 dh0 [B, H], 7 scratch [B, H] (the
//   ping-pong partner of dh0; lib/seq_step), 8 P (uniform); f32.
// Overrides: T, B, H, REVERSE; DIRECT (lib/seq_main), PHASE and the counts X, Y (//#each,
//   tokens __X__, __Y__) of the direct form.
// Design: as lstm_seq_backward.wgsl (row b × 64 units a workgroup, lib/seq_backward).
//   With DIRECT (a software adapter) the barrier-free form instead, lib/seq_backward_direct:
//   two dispatches a step, PHASE 0 the gate gradients (one thread per cell), PHASE 1 dh_prev
//   (one thread per X rows × Y units, unrolled accumulators).
override T: u32;
override B: u32;
override H: u32;
override REVERSE: bool = false;
const G = 3u;
@group(0) @binding(0) var<storage, read> whh: array<f32>;
@group(0) @binding(1) var<storage, read> saved: array<f32>;
@group(0) @binding(2) var<storage, read> hprev: array<f32>;
@group(0) @binding(3) var<storage, read> dhs: array<f32>;
@group(0) @binding(4) var<storage, read_write> dx: array<f32>;
@group(0) @binding(5) var<storage, read_write> dgh: array<f32>;
@group(0) @binding(6) var<storage, read_write> dh0: array<f32>;
@group(0) @binding(7) var<storage, read_write> scratch: array<f32>;
@group(0) @binding(8) var<uniform> P: vec4u;
//#include lib/seq_step
//#include lib/seq_backward
//#include lib/gru_seq_grads
// the direct path of h_prev into h: dh·z
fn dh_direct(b: u32, k: u32, t: u32, s: u32) -> f32 { return dh_total(b, k, t, s) * saved[(t * B + b) * 4u * H + H + k]; }
override PHASE: u32 = 0u;
//#include lib/thread
//#include lib/seq_backward_direct
fn dgates_at(i: u32) -> f32 { return dgh[i]; }
//#include lib/seq_main
