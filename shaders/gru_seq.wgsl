// gruSequence: one time step of a GRU layer direction, the hidden matmul and the gate update
// in one kernel, dispatched once per step (the step in P.x; src/ops/recurrent_seq.ts):
//   gh = h_prev·W_hhᵀ + b_hh, r = σ(x_r + gh_r), z = σ(x_z + gh_z), n = tanh(x_n + r·gh_n),
//   h = (1 − z)·n + z·h_prev (x = xproj[t], PyTorch's GRU); h_prev = h0 at the first step.
// Mirrors gruSequenceDef.cpu.
// Bindings: 0 xproj [T, B, 3H], 1 whht [H, 3H] (W_hh transposed by the op's first dispatch),
//   2 h0 [B, H], 3 bhh [3H] (h0 again without BIAS), 4 hs [T, B, H], 5 saved [T, B, 4H]
//   (r, z, n, gh_n), 6 hprev [T, B, H], 7 P (uniform); f32.
// Overrides: T, B, H, REVERSE, BIAS; DIRECT (lib/seq_main) and the count X (//#each, token
//   __X__: batch rows a thread) of the direct form.
// Design: as lstm_seq.wgsl (64 units × 4 rows a workgroup, lib/seq_forward), three gate blocks.
//   With DIRECT (a software adapter: SwiftShader runs barriers slowly) the barrier-free form
//   instead, lib/seq_forward_direct: one thread per unit and X batch rows, the weights loaded
//   once for the X rows into unrolled accumulators.
override T: u32;
override B: u32;
override H: u32;
override REVERSE: bool = false;
override BIAS: bool = true;
const G = 3u;
@group(0) @binding(0) var<storage, read> xproj: array<f32>;
@group(0) @binding(1) var<storage, read> whht: array<f32>;
@group(0) @binding(2) var<storage, read> h0: array<f32>;
@group(0) @binding(3) var<storage, read> bhh: array<f32>;
@group(0) @binding(4) var<storage, read_write> hs: array<f32>;
@group(0) @binding(5) var<storage, read_write> saved: array<f32>;
@group(0) @binding(6) var<storage, read_write> hprev: array<f32>;
@group(0) @binding(7) var<uniform> P: vec4u;
//#include lib/seq_step
//#include lib/seq_forward
//#include lib/gru_seq_cell
fn cell_update(b: u32, j: u32, t: u32, tp: u32, s: u32, acc: vec4f) { gru_cell_update(b, j, t, tp, s, acc.xyz); }
//#include lib/thread
//#include lib/seq_forward_direct
fn w_at(at: u32) -> vec4f { return vec4f(whht[at], whht[at + H], whht[at + 2u * H], 0.0); }
//#include lib/seq_main
