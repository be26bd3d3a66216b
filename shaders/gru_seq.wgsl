// gruSequence: one time step of a GRU layer direction, the hidden matmul and the gate update
// in one kernel, dispatched once per step (the step in P.x; src/ops/recurrent_seq.ts):
//   gh = h_prev·W_hhᵀ + b_hh, r = σ(x_r + gh_r), z = σ(x_z + gh_z), n = tanh(x_n + r·gh_n),
//   h = (1 − z)·n + z·h_prev (x = xproj[t], PyTorch's GRU); h_prev = h0 at the first step.
// Mirrors gruSequenceDef.cpu.
// Bindings: 0 xproj [T, B, 3H], 1 whht [H, 3H] (W_hh transposed by the op's first dispatch),
//   2 h0 [B, H], 3 bhh [3H] (h0 again without BIAS), 4 hs [T, B, H], 5 saved [T, B, 4H]
//   (r, z, n, gh_n), 6 hprev [T, B, H], 7 P (uniform); f32.
// Overrides: T, B, H, REVERSE, BIAS.
// Design: as lstm_seq.wgsl (64 units × 4 rows a workgroup, lib/seq_forward), three gate blocks.
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
fn sigmoid(x: f32) -> f32 { return 1.0 / (1.0 + exp(-x)); }
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) tid: u32) {
  let s = P.x;
  let first = s == 0u;
  let t = time_of(s);
  let tp = time_of(max(s, 1u) - 1u);
  let j = wg.x * 64u + tid;
  let b0 = wg.y * RB;
  let acc = hidden_tile(first, tp, b0, j, tid);
  if (j >= H) { return; }
  var bias = vec3f(0.0);
  if (BIAS) { bias = vec3f(bhh[j], bhh[H + j], bhh[2u * H + j]); }
  for (var r = 0u; r < RB; r++) {
    let b = b0 + r;
    if (b >= B) { break; }
    let x = (t * B + b) * 3u * H + j;
    let gh = acc[r].xyz + bias;
    let rg = sigmoid(xproj[x] + gh.x);
    let z = sigmoid(xproj[x + H] + gh.y);
    let n = tanh(xproj[x + 2u * H] + rg * gh.z);
    var hp: f32;
    if (first) { hp = h0[b * H + j]; } else { hp = hs[(tp * B + b) * H + j]; }
    let at = (t * B + b) * 4u * H + j;
    saved[at] = rg;
    saved[at + H] = z;
    saved[at + 2u * H] = n;
    saved[at + 3u * H] = gh.z;
    hprev[(t * B + b) * H + j] = hp;
    hs[(t * B + b) * H + j] = (1.0 - z) * n + z * hp;
  }
}
