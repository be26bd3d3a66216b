// gruSequenceBackward, the barrier-free form a software adapter gets: one backward time step
// of a GRU direction as two dispatches (PHASE 0: the gate gradients, one thread per (b, j),
// lib/gru_seq_grads; PHASE 1: dh_prev[b, k] = Σₙ dgh[t, b, n]·W_hh[n, k] + dh·z, one thread per
// (b, k)), where gru_seq_backward.wgsl shares them through workgroup memory in one.
// Same math, bindings and overrides as gru_seq_backward.wgsl, plus PHASE.
// Mirrors gruSequenceBackwardDef.cpu. 1-D, workgroup 64; no workgroup memory. PHASE 1: one
// thread per __X__ = X rows × __Y__ = Y units of dh_prev, X·Y scalar accumulators (//#each).
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
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = thread_index(gid, nwg);
  let s = P.x;
  let t = time_of(T - 1u - s);
  if (PHASE == 0u) {
    if (i >= B * H) { return; }
    _ = gate_grads(i / H, i % H, t, s, true);
    return;
  }
  let groups = (H + __Y__u - 1u) / __Y__u;
  let b0 = (i / groups) * __X__u;
  let k0 = (i % groups) * __Y__u;
  if (b0 >= B) { return; }
//#each X   let rb__X__ = (t * B + min(b0 + __X__u, B - 1u)) * 3u * H;
//#each Y   let kk__Y__ = min(k0 + __Y__u, H - 1u);
//#each X Y   var a__X__s__Y__ = 0.0;
  for (var n = 0u; n < 3u * H; n++) {
//#each X     let d__X__ = dgh[rb__X__ + n];
//#each Y     let w__Y__ = whh[n * H + kk__Y__];
//#each X Y     a__X__s__Y__ += d__X__ * w__Y__;
  }
//#each X Y   if (b0 + __X__u < B && k0 + __Y__u < H) { put_dh(b0 + __X__u, k0 + __Y__u, t, s, a__X__s__Y__); }
}
fn put_dh(b: u32, k: u32, t: u32, s: u32, acc: f32) {
  let i = b * H + k;
  let v = acc + dh_total(b, k, t, s) * saved[(t * B + b) * 4u * H + H + k];
  if (writes_out(s)) { dh0[i] = v; } else { scratch[i] = v; }
}
