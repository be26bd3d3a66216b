// adamUpdate: one fused Adam / AdamW step for one parameter (torch.optim semantics):
//   g ← g + λp (Adam's L2; DECOUPLED = 0)      p ← p − lr·λ·p (AdamW; DECOUPLED = 1)
//   m' = β₁m + (1 − β₁)g   v' = β₂v + (1 − β₂)g²   p' = p − m'·stepSize / (√(v'·vScale) + ε)
// with hyper = [lr, stepSize = lr/(1 − β₁ᵗ), vScale = 1/(1 − β₂ᵗ), ok]. When the step's guard
// ok is 0 (src/ops/guard.ts) every output is its input; an element whose p', m' or v' would
// not be finite keeps its old values.
// Mirrors adamUpdateDef.cpu (src/ops/optimizer_updates.ts).
// Bindings: 0 p, 1 g, 2 m, 3 v [n], 4 hyper [4], 5 p_out, 6 m_out, 7 v_out [n]; f32.
// Overrides: N (elements), B1, B2, EPS, WD (weight decay λ), DECOUPLED (0 or 1).
// Design: one thread per element; 1-D, workgroup 64; 8 storage buffers, the portable limit.
override N: u32;
override B1: f32;
override B2: f32;
override EPS: f32;
override WD: f32;
override DECOUPLED: u32;
@group(0) @binding(0) var<storage, read> p: array<f32>;
@group(0) @binding(1) var<storage, read> g: array<f32>;
@group(0) @binding(2) var<storage, read> m: array<f32>;
@group(0) @binding(3) var<storage, read> v: array<f32>;
@group(0) @binding(4) var<storage, read> hyper: array<f32>;
@group(0) @binding(5) var<storage, read_write> p_out: array<f32>;
@group(0) @binding(6) var<storage, read_write> m_out: array<f32>;
@group(0) @binding(7) var<storage, read_write> v_out: array<f32>;
//#include lib/thread
//#include lib/nonfinite
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = thread_index(gid, nwg);
  if (i >= N) { return; }
  let decoupled = DECOUPLED == 1u;
  let gi = select(g[i] + WD * p[i], g[i], decoupled);
  let mi = B1 * m[i] + (1.0 - B1) * gi;
  let vi = B2 * v[i] + (1.0 - B2) * gi * gi;
  let decay = select(0.0, hyper[0] * WD, decoupled);
  let pi = p[i] - p[i] * decay - mi * hyper[1] / (sqrt(vi * hyper[2]) + EPS);
  let keep = hyper[3] == 0.0 || is_nonfinite(pi) || is_nonfinite(mi) || is_nonfinite(vi);
  m_out[i] = select(mi, m[i], keep);
  v_out[i] = select(vi, v[i], keep);
  p_out[i] = select(pi, p[i], keep);
}
