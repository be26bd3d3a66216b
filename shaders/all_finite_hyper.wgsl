// allFiniteHyper: the step's guard and Adam's step scalars in one dispatch (the planner's
// fusion of allFinite and the adamHyper that reads its ok, src/graph/fuse.ts): ok as
// all_finite.wgsl computes it, then t' = t + ok and hyper = [lr, lr / (1 − β₁^t'),
// 1 / (1 − β₂^t'), ok] as adam_hyper.wgsl does.
// Mirrors allFiniteHyperDef.cpu (src/ops/guard.ts).
// Bindings: 0 … K−1 the inputs x0 … (f32), K lr [1], K+1 t [1], K+2 ok [1], K+3 hyper [4],
//   K+4 t_out [1], K+5 status (the run's); K ≤ 2 (8 storage buffers, the portable limit).
// Variants (K = 1 or 2): tokens __K__ … __K5__ = K … K + 5; the `//#each I` lines once per input.
// Overrides: N0, N1 (each input's element count), D1 = 1 − β₁, D2 = 1 − β₂; SITE.
// Design: one workgroup of 256 threads strides over the inputs; a workgroup flag and a barrier
// let thread 0 write ok and the scalars.
override N0: u32 = 0u;
override N1: u32 = 0u;
override D1: f32;
override D2: f32;
//#each I @group(0) @binding(__I__) var<storage, read> x__I__: array<f32>;
@group(0) @binding(__K__) var<storage, read> lr: array<f32>;
@group(0) @binding(__K1__) var<storage, read> step: array<f32>;
@group(0) @binding(__K2__) var<storage, read_write> ok: array<f32>;
@group(0) @binding(__K3__) var<storage, read_write> hyper: array<f32>;
@group(0) @binding(__K4__) var<storage, read_write> t_out: array<f32>;
@group(0) @binding(__K5__) var<storage, read_write> status: array<atomic<u32>, 8>;
//#include lib/fault
//#include lib/nonfinite
//#include lib/one_minus_pow
var<workgroup> bad: atomic<u32>;
@compute @workgroup_size(256)
fn main(@builtin(local_invocation_index) t: u32) {
//#each I   for (var e = t; e < N__I__; e += 256u) { let v = x__I__[e]; if (is_nonfinite(v)) { raise_fault(bitcast<u32>(v), e, __I__u); atomicStore(&bad, 1u); break; } }
  workgroupBarrier();
  if (t == 0u) {
    let good = select(0.0, 1.0, atomicLoad(&bad) == 0u && atomicLoad(&status[0]) == 0u);
    ok[0] = good;
    let t1 = step[0] + good;
    let n = u32(max(t1, 0.0));
    hyper[0] = lr[0];
    hyper[1] = lr[0] / one_minus_pow(D1, n);
    hyper[2] = 1.0 / one_minus_pow(D2, n);
    hyper[3] = good;
    t_out[0] = t1;
  }
}
