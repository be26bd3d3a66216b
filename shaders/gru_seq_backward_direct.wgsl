// gruSequenceBackward, the barrier-free form a software adapter gets: one backward time step
// of a GRU direction as two dispatches (PHASE 0: the gate gradients, one thread per (b, j),
// lib/gru_seq_grads; PHASE 1: dh_prev[b, k] = Σₙ dgh[t, b, n]·W_hh[n, k] + dh·z, one thread per
// (b, k)), where gru_seq_backward.wgsl shares them through workgroup memory in one.
// Same math as gru_seq_backward.wgsl.
// Bindings: as gru_seq_backward.wgsl (0 whh, 1 saved, 2 hprev, 3 dhs, 4 dx, 5 dgh, 6 dh0, 7 scratch, 8 P).
// Overrides: T, B, H, REVERSE, PHASE; counts X, Y (//#each, tokens __X__, __Y__).
// Mirrors gruSequenceBackwardDef.cpu.
// Design: 1-D, workgroup 64, no workgroup memory (lib/seq_backward_direct): PHASE 0 one thread
//   per (b, j); PHASE 1 one thread per X rows × Y units of dh_prev, X·Y scalar accumulators.
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
override PHASE: u32;
//#include lib/seq_step
//#include lib/thread
//#include lib/gru_seq_grads
//#include lib/seq_backward_direct
fn dgates_at(i: u32) -> f32 { return dgh[i]; }
// the direct path of h_prev into h: dh·z
fn dh_direct(b: u32, k: u32, t: u32, s: u32) -> f32 { return dh_total(b, k, t, s) * saved[(t * B + b) * 4u * H + H + k]; }
