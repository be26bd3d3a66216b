// sgdUpdate without momentum (torch.optim.SGD, momentum 0): g ← g + λp; p' = p − lr·g, with
// hyper = [lr, ok]. When the step's guard ok is 0, p' = p; an element whose p' would not be
// finite keeps its old value. The momentum form is sgd_momentum_update.wgsl (it binds two
// more buffers, which overrides cannot add).
// Mirrors sgdUpdateDef.cpu (src/ops/optimizer_updates.ts).
// Bindings: 0 p [n], 1 g [n], 2 hyper [2], 3 p_out [n]; f32.
// Overrides: N (elements), WD (λ).
// Design: one thread per element; 1-D, workgroup 64.
override N: u32;
override WD: f32;
@group(0) @binding(0) var<storage, read> p: array<f32>;
@group(0) @binding(1) var<storage, read> g: array<f32>;
@group(0) @binding(2) var<storage, read> hyper: array<f32>;
@group(0) @binding(3) var<storage, read_write> p_out: array<f32>;
//#include lib/thread
//#include lib/nonfinite
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = thread_index(gid, nwg);
  if (i >= N) { return; }
  let pi = p[i] - hyper[0] * (g[i] + WD * p[i]);
  p_out[i] = select(pi, p[i], hyper[1] == 0.0 || is_nonfinite(pi));
}
