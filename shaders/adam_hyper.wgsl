// adamHyper: one Adam step's scalars, once for all parameters: t' = t + ok (a skipped step does
// not count), hyper = [lr, lr / (1 − β₁^t'), 1 / (1 − β₂^t'), ok], the vector adam_update.wgsl
// reads. (When the first step is skipped, t' = 0 and the two scales are not finite; no update
// reads them then, since ok = 0.)
// Mirrors adamHyperDef.cpu (src/ops/optimizer_updates.ts).
// Bindings: 0 lr [1], 1 t [1], 2 ok [1], 3 hyper [4], 4 t_out [1]; f32.
// Overrides: D1 = 1 − β₁, D2 = 1 − β₂ (computed in float64 on the host: 1 − 0.999 is exact
//   there, not in f32). Tokens: the bindings of lib/adam_scalars (its math).
// Design: one thread; it replaces eight one-element dispatches (add, two pow, two sub, two
// div, concat) with one. 1 − βᵗ is computed without cancellation: f32 pow(β, t) is
// exp2(t·log2 β), and WGSL's log2 near 1 has an absolute error of 2⁻²¹, which 1 − βᵗ ≈ 10⁻³
// turns into a relative error of 10⁻³. Instead q(n) = 1 − βⁿ by binary powering on q itself:
// q(a + b) = q(a) + q(b) − q(a)·q(b), q(2a) = q(a)·(2 − q(a)), from q(1) = D; every step is
// well conditioned, ≤ 24 of them for any step count an f32 holds exactly.
@group(0) @binding(2) var<storage, read> ok: array<f32>;
//#include lib/adam_scalars
@compute @workgroup_size(1)
fn main() {
  adam_scalars(ok[0]);
}
