// allFinite: the step's guard, ok = 1 when every element of every input is finite and no
// kernel of the run has faulted so far (status word 0), else 0; the first non-finite value
// found is recorded in the status (value bits, element, input). See src/ops/guard.ts.
// Mirrors allFiniteDef.cpu (src/ops/guard.ts).
// With H (count 1: allFiniteHyper, the planner's fusion of the guard and the adamHyper that
// reads its ok, src/graph/fuse.ts) thread 0 then also writes Adam's step scalars, as
// adam_hyper.wgsl does (lib/adam_scalars).
// Bindings: 0 … K−1 the inputs x0 … (f32), K ok [1] f32, K + 1 status (the run's); with H
//   K + 2 lr, K + 3 t, K + 4 hyper [4], K + 5 t_out (K ≤ 2: 8 storage buffers).
// Variants (K = 1 to 6 inputs): tokens __K__ and __K1__ = K + 1; the two `//#each I` lines are
//   repeated once per input with __I__ = 0 … K−1; the count H (0 or 1) with, when 1, the tokens
//   of lib/adam_scalars (__LR__, __TIN__, __HYPER__, __TOUT__).
// Overrides: N0 … N5 (each input's element count; unused ones default to 0); SITE; with H
//   D1, D2 (lib/adam_scalars).
// Design: one workgroup of 256 threads strides over every input (linear, one dispatch for up
// to 6 tensors); a workgroup flag and a barrier let thread 0 write ok.
override N0: u32 = 0u;
override N1: u32 = 0u;
override N2: u32 = 0u;
override N3: u32 = 0u;
override N4: u32 = 0u;
override N5: u32 = 0u;
//#each I @group(0) @binding(__I__) var<storage, read> x__I__: array<f32>;
@group(0) @binding(__K__) var<storage, read_write> ok: array<f32>;
@group(0) @binding(__K1__) var<storage, read_write> status: array<atomic<u32>, 8>;
//#include lib/fault
//#include lib/nonfinite
//#each H //#include lib/adam_scalars
var<workgroup> bad: atomic<u32>;
@compute @workgroup_size(256)
fn main(@builtin(local_invocation_index) t: u32) {
//#each I   for (var e = t; e < N__I__; e += 256u) { let v = x__I__[e]; if (is_nonfinite(v)) { raise_fault(bitcast<u32>(v), e, __I__u); atomicStore(&bad, 1u); break; } }
  workgroupBarrier();
  if (t == 0u) { ok[0] = select(0.0, 1.0, atomicLoad(&bad) == 0u && atomicLoad(&status[0]) == 0u); }
//#each H   if (t == 0u) { adam_scalars(ok[0]); }
}
