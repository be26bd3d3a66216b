// lib/adam_scalars: one Adam step's scalars, once for all parameters: t' = t + ok (a skipped
// step does not count) and hyper = [lr, lr / (1 − β₁^t'), 1 / (1 − β₂^t'), ok], the vector
// adam_update.wgsl reads; for adam_hyper.wgsl and the guard's fused form (all_finite.wgsl, H).
// It declares the overrides D1 = 1 − β₁, D2 = 1 − β₂ and the bindings lr [1], t_in [1], hyper
// [4], t_out [1] at the includer's binding numbers (tokens __LR__, __TIN__, __HYPER__, __TOUT__).
// 1 − βⁿ is computed without cancellation (adam_hyper.wgsl says why f32 pow is not used):
// q(a + b) = q(a) + q(b) − q(a)·q(b), q(2a) = q(a)·(2 − q(a)), from q(1) = d.
override D1: f32;
override D2: f32;
@group(0) @binding(__LR__) var<storage, read> lr: array<f32>;
@group(0) @binding(__TIN__) var<storage, read> t_in: array<f32>;
@group(0) @binding(__HYPER__) var<storage, read_write> hyper: array<f32>;
@group(0) @binding(__TOUT__) var<storage, read_write> t_out: array<f32>;
fn one_minus_pow(d: f32, n: u32) -> f32 {
  var r = 0.0;
  var q = d;
  var k = n;
  loop {
    if (k == 0u) { break; }
    if ((k & 1u) == 1u) { r = r + q - r * q; }
    q = q * (2.0 - q);
    k = k >> 1u;
  }
  return r;
}
fn adam_scalars(good: f32) {
  let t1 = t_in[0] + good;
  let n = u32(max(t1, 0.0));
  hyper[0] = lr[0];
  hyper[1] = lr[0] / one_minus_pow(D1, n);
  hyper[2] = 1.0 / one_minus_pow(D2, n);
  hyper[3] = good;
  t_out[0] = t1;
}
