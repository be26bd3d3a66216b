// lib/nonfinite: ±Inf and NaN tested on the bits (exponent all ones): WGSL compilers may
// assume floats are finite and fold `x != x` to false.
fn is_nonfinite(x: f32) -> bool { return (bitcast<u32>(x) & 0x7f800000u) == 0x7f800000u; }
