// lstmSequenceBackward, the barrier-free form a software adapter gets: one backward time step
// of an LSTM direction as two dispatches (PHASE 0: the gate gradients and dc_prev, one thread
// per (b, j), lib/lstm_seq_grads; PHASE 1: dh_prev[b, k] = Σₙ dx[t, b, n]·W_hh[n, k], one thread
// per (b, k)), where lstm_seq_backward.wgsl shares them through workgroup memory in one.
// Same math as lstm_seq_backward.wgsl.
// Bindings: as lstm_seq_backward.wgsl (0 whh, 1 saved, 2 dhs, 3 dc_n, 4 dx, 5 dh0, 6 dc0, 7 scratch, 8 P).
// Overrides: T, B, H, REVERSE, PHASE; counts X, Y (//#each, tokens __X__, __Y__).
// Mirrors lstmSequenceBackwardDef.cpu.
// Design: 1-D, workgroup 64, no workgroup memory (lib/seq_backward_direct): PHASE 0 one thread
//   per (b, j); PHASE 1 one thread per X rows × Y units of dh_prev, X·Y scalar accumulators.
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
override PHASE: u32;
//#include lib/seq_step
//#include lib/thread
//#include lib/lstm_seq_grads
//#include lib/seq_backward_direct
fn dgates_at(i: u32) -> f32 { return dx[i]; }
fn dh_direct(b: u32, k: u32, t: u32, s: u32) -> f32 { return 0.0; }
