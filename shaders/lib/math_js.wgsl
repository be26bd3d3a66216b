// lib/math_js: JS's Math.log and Math.sqrt outside their domain, where WGSL leaves log and sqrt
// undefined (SwiftShader's log(−1) is 0): NaN below 0, log(0) = −∞. The bit patterns are `var`s
// because WGSL constant evaluation rejects non-finite values.
fn log_js(x: f32) -> f32 {
  var nan_bits = 0x7fc00000u;
  var neg_inf_bits = 0xff800000u;
  if (x < 0.0) { return bitcast<f32>(nan_bits); }
  if (x == 0.0) { return bitcast<f32>(neg_inf_bits); }
  return log(x);
}
fn sqrt_js(x: f32) -> f32 {
  var nan_bits = 0x7fc00000u;
  return select(sqrt(x), bitcast<f32>(nan_bits), x < 0.0);
}
