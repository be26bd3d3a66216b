// lib/reduce_step: a reduction's start value and step (tokens __T__, __INIT__, __STEP__ in acc
// and v), for reduce.wgsl and reduce_tree.wgsl.
//#include lib/nan
fn neg_inf() -> f32 { var bits = 0xff800000u; return bitcast<f32>(bits); }
fn init() -> __T__ { return __INIT__; }
fn step(acc: __T__, v: __T__) -> __T__ { return __STEP__; }
