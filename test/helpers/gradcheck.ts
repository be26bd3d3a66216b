/**
 * @file Finite-difference gradient checking in float64 on the CPU backend.
 * For f(x₁…xₙ) with random cotangent weights w, L = Σ f(x)·w; the analytic ∂L/∂xᵢ from
 * autodiff must match (L(x + h·eₖ) − L(x − h·eₖ)) / 2h for every element k of every float
 * input. L is compiled once, so each of the 2·N evaluations only re-runs the plan.
 */
import { compile, fromArray, gradients, mul, sum, type Tensor } from "../../src/index.ts";
import { hostInputs, seeded, type InputSpec } from "./inputs.ts";
import { topoNodes } from "../../src/graph/ir.ts";
import { expectClose, TOL } from "../tolerance.ts";

export { seeded, type InputSpec } from "./inputs.ts";

/** Op names in the graphs that compute L and its gradients (for the coverage check). */
export interface GradcheckReport {
  forwardOps: Set<string>;
  backwardOps: Set<string>;
}

/**
 * Checks autodiff against central differences; throws with seed and the first mismatches.
 * `f` may return several tensors (each gets its own cotangent weights).
 */
export async function gradcheck(
  f: (...xs: Tensor[]) => Tensor | Tensor[],
  specs: InputSpec[],
  seed = 1,
): Promise<GradcheckReport> {
  const host = hostInputs(specs, seed, "float64");
  const inputs = host.map((h) => fromArray(h.data, h.shape, h.dtype));
  const rng = seeded(seed + 1000);
  const outs0 = [f(...inputs)].flat();
  const weights = outs0.map((o) => fromArray(Float64Array.from({ length: o.size }, () => 2 * rng() - 1), o.shape, "float64"));
  const loss = (...xs: Tensor[]) => [f(...xs)].flat().map((o, i) => sum(mul(o, weights[i]))).reduce((a, b) => a.add(b));

  const L = loss(...inputs);
  const floatIdx = specs.flatMap((s, i) => (s.int ? [] : [i]));
  const grads = gradients(L, floatIdx.map((i) => inputs[i]));
  const report: GradcheckReport = { forwardOps: opNames([L]), backwardOps: opNames(grads) };

  const Lc = compile(loss);
  const h = 1e-6;
  for (const [gi, i] of floatIdx.entries()) {
    const base = (await inputs[i].data()) as Float64Array;
    const numeric = new Float64Array(base.length);
    for (let k = 0; k < base.length; k++) {
      const at = (delta: number) => {
        const v = base.slice();
        v[k] += delta;
        const xs = inputs.slice();
        xs[i] = fromArray(v, specs[i].shape, "float64");
        return Lc(...xs);
      };
      numeric[k] = ((await at(h).item()) - (await at(-h).item())) / (2 * h);
    }
    const analytic = await grads[gi].data();
    expectClose(analytic, numeric, TOL.gradcheck, `gradient of input ${i} (shape [${specs[i].shape}], seed ${seed})`);
  }
  return report;
}

function opNames(ts: Tensor[]): Set<string> {
  const { nodes } = topoNodes(ts, (t) => t.node.op === null);
  return new Set(nodes.map((n) => n.op!.name));
}
