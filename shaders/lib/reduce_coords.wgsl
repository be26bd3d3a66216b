// lib/reduce_coords: where output i's reduced elements are, for reduce.wgsl and reduce_tree.wgsl
// (their overrides KZ*, KS*, KSF, RZ*, RS*, RSF and the `//#each` counts A, B): kept_base(i) is
// the input offset of output i's first element, reduced_at(base, r) that of its r-th, in
// row-major order of the reduced axes. It declares those overrides and the two bindings,
// 0 in0 and 1 out0 (__T__).
override N: u32;
override RN: u32;
override KSF: u32 = 0u;
override RSF: u32 = 0u;
//#each A override KZ__A__: u32;
//#each A override KS__A__: u32;
//#each B override RZ__B__: u32;
//#each B override RS__B__: u32;
@group(0) @binding(0) var<storage, read> in0: array<__T__>;
@group(0) @binding(1) var<storage, read_write> out0: array<__T__>;
fn kept_base(i: u32) -> u32 {
  var remk = i;
//#each A   let k__A__ = remk % KZ__A__; remk = remk / KZ__A__;
  var base = remk * KSF;
//#each A   base += k__A__ * KS__A__;
  return base;
}
fn reduced_at(base: u32, r: u32) -> u32 {
  var remr = r;
//#each B   let q__B__ = remr % RZ__B__; remr = remr / RZ__B__;
  var at = base + remr * RSF;
//#each B   at += q__B__ * RS__B__;
  return at;
}
