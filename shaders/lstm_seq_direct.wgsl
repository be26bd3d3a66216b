// lstmSequence, the barrier-free form a software adapter gets (as matmul_direct.wgsl): one
// time step of an LSTM direction, the hidden product and the cell update in one kernel
// (src/ops/recurrent_seq.ts). Same math, bindings and overrides as lstm_seq.wgsl.
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
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = thread_index(gid, nwg);
  let b0 = (i / H) * __X__u;
  if (b0 >= B) { return; }
  let j = i % H;
  let s = P.x;
  let t = time_of(s);
  let tp = time_of(max(s, 1u) - 1u);
//#each X   let hb__X__ = min(b0 + __X__u, B - 1u) * H;
//#each X   var acc__X__ = vec4f(0.0);
  if (s == 0u) {
    for (var k = 0u; k < H; k++) {
      let at = k * 4u * H + j;
      let w = vec4f(whht[at], whht[at + H], whht[at + 2u * H], whht[at + 3u * H]);
//#each X       acc__X__ += h0[hb__X__ + k] * w;
    }
  } else {
    let base = tp * B * H;
    for (var k = 0u; k < H; k++) {
      let at = k * 4u * H + j;
      let w = vec4f(whht[at], whht[at + H], whht[at + 2u * H], whht[at + 3u * H]);
//#each X       acc__X__ += hs[base + hb__X__ + k] * w;
    }
  }
//#each X   if (b0 + __X__u < B) { lstm_cell_update(b0 + __X__u, j, t, tp, s, acc__X__); }
}
