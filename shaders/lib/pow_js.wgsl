// lib/pow_js: JS's Math.pow in WGSL (WGSL's pow is undefined for a negative base). NaN and ∞
// come from `var` bit patterns: WGSL constant evaluation rejects non-finite values.
fn pow_js(a: f32, b: f32) -> f32 {
  var nan_bits = 0x7fc00000u;
  var inf_bits = 0x7f800000u;
  if (b == 0.0) { return 1.0; }
  if (a < 0.0) {
    if (fract(b) != 0.0) { return bitcast<f32>(nan_bits); }
    let p = pow(-a, b);
    return select(p, -p, fract(b * 0.5) != 0.0);
  }
  if (a == 0.0) { return select(0.0, bitcast<f32>(inf_bits), b < 0.0); }
  return pow(a, b);
}
