/**
 * @file Every tolerance the tests use, in one table: |a − b| ≤ atol + rtol·|b|, each with its
 * reason. Never loosened to make a test pass.
 */
export interface Tolerance {
  atol: number;
  rtol: number;
  why: string;
}

export const TOL = {
  exact: { atol: 0, rtol: 0, why: "copies, integer arithmetic, indices and masks have one right answer" },
  handF32: {
    atol: 1e-6,
    rtol: 2e-7,
    why: "hand-worked values stored in float32: one rounding of the result (2^-24 ≈ 6e-8 relative), plus atol for results near 0",
  },
  handF64: { atol: 1e-12, rtol: 1e-12, why: "hand-worked values in float64: a few roundings of ~1e-16" },
  gradcheck: {
    atol: 1e-6,
    rtol: 1e-5,
    why: "f64 central differences, h = 1e-6: truncation O(h²) ≈ 1e-12, cancellation O(ε/h) ≈ 1e-10, summed over up to ~1e3 terms of L = Σ f(x)·w",
  },
  composition: {
    atol: 1e-12,
    rtol: 1e-10,
    why: "a fused primitive against its composition from ops, both in f64: same math, different rounding order",
  },
  gpuExact: { atol: 0, rtol: 0, why: "WebGPU vs CPU for copies, selects, comparisons, casts, max and integer ops: the same bits" },
  gpuPointwise: {
    atol: 1e-6,
    rtol: 2e-5,
    why: "WebGPU vs CPU for one transcendental per element: WGSL's exp/log/tanh/pow are accurate to a few ULP of f32 (≈ 1e-7 relative); 2e-5 allows a short chain of them",
  },
  gpuAccumulate: {
    atol: 1e-4,
    rtol: 1e-4,
    why: "WebGPU (f32 sums) vs CPU (f64 sums) over up to ~10³ unit-scale terms: rounding grows like √K·2⁻²⁴ typically, K·2⁻²⁴ at worst (≈ 6e-5 at K = 10³)",
  },
  trainingCurve: {
    atol: 1e-4,
    rtol: 1e-4,
    why: "per-step losses of one training run on WebGPU vs CPU: each step's f32 sums differ in order (≈ 1e-6 relative) and the differences carry into the weights over a few Adam steps",
  },
} satisfies Record<string, Tolerance>;

export type BackendName = "cpu" | "webgpu";

/**
 * The tolerance of a hand-worked float32 value on each backend, by how the op computes it:
 * `exact` (copies, selects, comparisons, max, sums of small integers: one right answer),
 * `rounded` (a few arithmetic or transcendental steps per element: the CPU rounds once from
 * float64, WGSL's built-ins are a few ULP), `summed` (a dot product or window sum of
 * non-integers: the CPU sums in float64 and rounds once, WebGPU sums in float32).
 */
export const HAND: Record<"exact" | "rounded" | "summed", Record<BackendName, Tolerance>> = {
  exact: { cpu: TOL.exact, webgpu: TOL.gpuExact },
  rounded: { cpu: TOL.handF32, webgpu: TOL.gpuPointwise },
  summed: { cpu: TOL.handF32, webgpu: TOL.gpuAccumulate },
};

/** Indices and values of the first mismatches, for failure messages. */
export function mismatches(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: Tolerance, max = 5): string[] {
  const out: string[] = [];
  if (actual.length !== expected.length) return [`length ${actual.length} vs expected ${expected.length}`];
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i];
    const b = expected[i];
    const ok = (Number.isNaN(a) && Number.isNaN(b)) || a === b || Math.abs(a - b) <= tol.atol + tol.rtol * Math.abs(b);
    if (!ok) {
      if (out.length < max) out.push(`[${i}] got ${a}, expected ${b} (diff ${Math.abs(a - b).toExponential(2)})`);
      else {
        out.push("…");
        break;
      }
    }
  }
  return out;
}

/** Throws with the first mismatches when any element is outside the tolerance. */
export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: Tolerance, what = "values"): void {
  const bad = mismatches(actual, expected, tol);
  if (bad.length > 0) {
    throw new Error(`${what} differ beyond atol ${tol.atol}, rtol ${tol.rtol} (${tol.why}):\n  ${bad.join("\n  ")}`);
  }
}
