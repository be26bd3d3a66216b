// lib/one_minus_pow: 1 − (1 − d)ⁿ without cancellation, for Adam's bias corrections
// (adam_hyper.wgsl explains why f32 pow is not used): q(a + b) = q(a) + q(b) − q(a)·q(b),
// q(2a) = q(a)·(2 − q(a)), from q(1) = d.
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
