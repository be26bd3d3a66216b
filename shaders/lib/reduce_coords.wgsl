// lib/reduce_coords: where output i's reduced elements are, for reduce.wgsl and reduce_tree.wgsl
// (their overrides KZ*, KS*, KSF, RZ*, RS*, RSF and the `//#each` counts A, B): kept_base(i) is
// the input offset of output i's first element, reduced_at(base, r) that of its r-th, in
// row-major order of the reduced axes.
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
