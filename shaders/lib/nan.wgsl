// lib/nan: NaN tested on the bits: WGSL compilers may assume floats are never NaN and fold
// `x != x` to false, so the CPU's NaN rules (max, relu and maximum propagate it) need this.
fn is_nan(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }
