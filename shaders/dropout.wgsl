// dropout: inverted dropout, y = x / (1 − p) where the element is kept, else 0. Element i is
// kept when the top 24 of random_bits(seed, i) are ≥ KEEP = ⌈p·2²⁴⌉, the integer test the
// CPU makes too (src/random.ts keepThreshold), so both backends draw the same mask.
// Mirrors dropoutDef.cpu (src/ops/dropout.ts).
// Bindings: 0 x [n] f32, 1 seed [1] i32, 2 y [n] f32.
// Overrides: N (elements), KEEP (threshold), SCALE = 1 / (1 − p).
// Design: one thread per element; 1-D, workgroup 64.
override N: u32;
override KEEP: u32;
override SCALE: f32;
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> seed: array<i32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
//#include lib/thread
//#include lib/pcg
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = thread_index(gid, nwg);
  if (i >= N) { return; }
  let keep = (random_bits(bitcast<u32>(seed[0]), i) >> 8u) >= KEEP;
  y[i] = select(0.0, x[i] * SCALE, keep);
}
