// lstmSequence, the barrier-free form a software adapter gets (as matmul_direct.wgsl): one
// time step of an LSTM direction, the hidden product and the cell update in one kernel
// (src/ops/recurrent_seq.ts). Same math as lstm_seq.wgsl.
// Bindings: as lstm_seq.wgsl (0 xproj, 1 whht, 2 h0, 3 c0, 4 hs, 5 c_n, 6 saved, 7 hprev, 8 P).
// Overrides: T, B, H, REVERSE; the count X (//#each, token __X__): batch rows a thread.
// Mirrors lstmSequenceDef.cpu.
// Design: one thread per unit j and __X__ = X batch rows (1-D, workgroup 64, ⌈B/X⌉·H
//   threads): 4 dot products over k per row of h_prev[b, k] and W_hhᵀ[k, q·H + j] (consecutive
//   threads, consecutive units), each weight loaded once for the X rows, into X vec4f accumulators
//   (scalars unrolled by `//#each X`: SwiftShader keeps arrays in memory), then lib/lstm_seq_cell.
//   No workgroup memory, no barrier: SwiftShader runs those slowly (matmul_direct.wgsl).
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
//#include lib/thread
//#include lib/lstm_seq_cell
//#include lib/seq_forward_direct
fn w_at(at: u32) -> vec4f { return vec4f(whht[at], whht[at + H], whht[at + 2u * H], whht[at + 3u * H]); }
fn cell_update(b: u32, j: u32, t: u32, tp: u32, s: u32, acc: vec4f) { lstm_cell_update(b, j, t, tp, s, acc); }
