// sgdUpdate with momentum μ (torch.optim.SGD): g ← g + λp; b' = μb + (1 − dampening)g;
// g ← b' (or g + μb' with Nesterov); p' = p − lr·g, with hyper = [lr, ok]. When the step's
// guard ok is 0 every output is its input; an element whose p' or b' would not be finite
// keeps its old values.
// Mirrors sgdUpdateDef.cpu (src/ops/optimizer_updates.ts).
// Bindings: 0 p, 1 g, 2 buf [n], 3 hyper [2], 4 p_out, 5 buf_out [n]; f32.
// Overrides: N (elements), WD (λ), MU (μ), DAMP (1 − dampening), NESTEROV (0 or 1).
// Design: one thread per element; 1-D, workgroup 64.
override N: u32;
override WD: f32;
override MU: f32;
override DAMP: f32;
override NESTEROV: u32;
@group(0) @binding(0) var<storage, read> p: array<f32>;
@group(0) @binding(1) var<storage, read> g: array<f32>;
@group(0) @binding(2) var<storage, read> buf: array<f32>;
@group(0) @binding(3) var<storage, read> hyper: array<f32>;
@group(0) @binding(4) var<storage, read_write> p_out: array<f32>;
@group(0) @binding(5) var<storage, read_write> buf_out: array<f32>;
//#include lib/thread
//#include lib/nonfinite
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = thread_index(gid, nwg);
  if (i >= N) { return; }
  let gi = g[i] + WD * p[i];
  let b = MU * buf[i] + DAMP * gi;
  let step = select(b, gi + MU * b, NESTEROV == 1u);
  let pi = p[i] - hyper[0] * step;
  let keep = hyper[1] == 0.0 || is_nonfinite(pi) || is_nonfinite(b);
  buf_out[i] = select(b, buf[i], keep);
  p_out[i] = select(pi, p[i], keep);
}
