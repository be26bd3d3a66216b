// lstmSequence: one time step of an LSTM layer direction, the hidden matmul and the cell
// update in one kernel, dispatched once per step (the step in P.x; src/ops/recurrent_seq.ts):
//   gates = xproj[t] + h_prev·W_hhᵀ, [i, f, g, o] = [σ, σ, tanh, σ](gates),
//   c = f·c_prev + i·g, h = o·tanh(c); h_prev, c_prev = h0, c0 at the first step.
// Mirrors lstmSequenceDef.cpu.
// Bindings: 0 xproj [T, B, 4H], 1 whht [H, 4H] (W_hh transposed by the op's first dispatch),
//   2 h0 [B, H], 3 c0 [B, H], 4 hs [T, B, H], 5 c_n [B, H] (written by the last step),
//   6 saved [T, B, 6H] (i, f, g, o, c_prev, c), 7 hprev [T, B, H], 8 P (uniform); f32.
// Overrides: T, B, H, REVERSE; DIRECT (lib/seq_main) and the count X (//#each, token __X__:
//   batch rows a thread) of the direct form.
// Design: workgroup 64 = 64 hidden units j × RB = 4 batch rows (grid ⌈H/64⌉ × ⌈B/4⌉); the
//   hidden matmul through a workgroup tile of h_prev (lib/seq_forward, coalesced W_hhᵀ reads,
//   each weight used for 4 rows), then each thread updates its (row, unit) cells: the gates
//   never leave registers. The cuDNN recurrent-layer design (Appleyard et al., "Optimizing
//   Performance of Recurrent Neural Networks on GPUs", 2016): input projections of all steps
//   as one GEMM before the loop, one fused kernel per step.
//   With DIRECT (a software adapter: SwiftShader runs barriers slowly) the barrier-free form
//   instead, lib/seq_forward_direct: one thread per unit and X batch rows, the weights loaded
//   once for the X rows into unrolled accumulators.
override T: u32;
override B: u32;
override H: u32;
override REVERSE: bool = false;
const G = 4u;
@group(0) @binding(0) var<storage, read> xproj: array<f32>;
@group(0) @binding(1) var<storage, read> whht: array<f32>;
@group(0) @binding(2) var<storage, read> h0: array<f32>;
@group(0) @binding(3) var<storage, read> c0: array<f32>;
@group(0) @binding(4) var<storage, read_write> hs: array<f32>;
@group(0) @binding(5) var<storage, read_write> c_n: array<f32>;
@group(0) @binding(6) var<storage, read_write> saved: array<f32>;
@group(0) @binding(7) var<storage, read_write> hprev: array<f32>;
@group(0) @binding(8) var<uniform> P: vec4u;
//#include lib/seq_step
//#include lib/seq_forward
//#include lib/lstm_seq_cell
fn cell_update(b: u32, j: u32, t: u32, tp: u32, s: u32, acc: vec4f) { lstm_cell_update(b, j, t, tp, s, acc); }
//#include lib/thread
//#include lib/seq_forward_direct
fn w_at(at: u32) -> vec4f { return vec4f(whht[at], whht[at + H], whht[at + 2u * H], whht[at + 3u * H]); }
//#include lib/seq_main
