/**
 * @file The step's guard: `allFinite(tensors, names)` → ok, a one-element tensor that is 1 when
 * every element of every tensor is finite and no kernel of the run has faulted so far (a bad
 * index: ops/fault.ts), else 0. The optimizer reads ok on the device and skips its update when
 * it is 0, so a bad step leaves every weight as it was (like PyTorch's GradScaler) with no host
 * sync; the first non-finite value found is recorded in the run's status, which the host turns
 * into a NonFiniteError naming the tensor when it reads the step's results.
 *
 * One kernel takes up to GUARD_INPUTS tensors (bindings: inputs, ok, status ≤ 8, the portable
 * limit); more are checked in a chain where each link's first input is the previous ok (0 or 1,
 * always finite), so the last ok sees every fault. A link is one workgroup of 256 threads
 * striding over all elements: linear, and one dispatch per 6 tensors.
 */
import { requireFloat } from "../dtype.ts";
import { ShapeError } from "../errors.ts";
import { apply1 } from "../graph/ir.ts";
import { sizeOf } from "../shape.ts";
import type { Tensor } from "../tensor.ts";
import type { BufferRef, OpDef } from "./types.ts";
import { f32Bits, raiseFault } from "./fault.ts";
import { shaderCall } from "./shaders.ts";
import { adamHyperDef } from "./optimizer_updates.ts";

/** Tensors one guard kernel checks. */
export const GUARD_INPUTS = 6;

/** A packed input (ops/pack.ts): what each member is called, where it starts, its shape. */
export interface PackedNames {
  name: string;
  offsets: number[];
  names: string[];
  shapes: number[][];
}

export interface AllFiniteAttrs {
  /**
   * What each input is, for the error: "the loss", "the gradient of conv1.weight", or for a
   * packed input (the optimizer's gradients) the name of each member.
   */
  names: (string | PackedNames)[];
}

export const allFiniteDef: OpDef<AllFiniteAttrs> = {
  name: "allFinite",
  infer: (ins, { names }) => {
    if (ins.length === 0 || ins.length > GUARD_INPUTS) throw new ShapeError(`allFinite: takes 1 to ${GUARD_INPUTS} tensors per link, got ${ins.length}`);
    if (names.length !== ins.length) throw new ShapeError(`allFinite: ${ins.length} tensors but ${names.length} names`);
    ins.forEach((t, i) => requireFloat("allFinite", nameOf(names[i]), t.dtype));
    return [{ shape: [1], dtype: ins[0].dtype }];
  },
  cpu: ({ inputs, outputs: [ok], status, site }) => {
    inputs.forEach((x, j) => {
      for (let e = 0; e < x.length; e++) {
        if (!Number.isFinite(x[e])) {
          raiseFault(status, site, f32Bits(x[e]), e, j);
          break;
        }
      }
    });
    ok[0] = status[0] === 0 ? 1 : 0;
  },
  // shaders/all_finite.wgsl, one variant per input count
  webgpu: ({ inShapes }) => {
    const k = inShapes.length;
    const constants = Object.fromEntries(inShapes.map((s, j) => [`N${j}`, sizeOf(s)]));
    const bindings: BufferRef[] = [...inShapes.map((_, j) => ({ in: j })), { out: 0 }, { status: true }];
    return { calls: [shaderCall("allFinite", "all_finite", bindings, constants, { workgroups: [1, 1, 1] }, { tokens: { K: k, K1: k + 1 }, each: { I: k, H: 0 } })] };
  },
  fault: {
    kind: "nonfinite",
    describe: ({ inShapes, attrs, value, position, detail }) => {
      const v = Number.isNaN(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity";
      let what = attrs.names[detail] ?? `input ${detail}`;
      let shape = inShapes[detail] ?? [];
      if (typeof what !== "string") {
        // the member of the packed input that holds the element
        const p = what;
        let i = 0;
        while (i + 1 < p.offsets.length && p.offsets[i + 1] <= position) i++;
        [what, shape, position] = [p.names[i], p.shapes[i], position - p.offsets[i]];
      }
      return sizeOf(shape) === 1 ? `${what} is ${v}` : `${what} has ${v} at element ${position} of [${shape.join(",")}]`;
    },
  },
};

export interface AllFiniteHyperAttrs extends AllFiniteAttrs {
  b1: number;
  b2: number;
}

/** Inputs one fused guard + Adam-scalars kernel checks (8 storage buffers in all). */
export const GUARD_HYPER_INPUTS = 2;

/**
 * The step's guard and Adam's step scalars as one step: (x0, …, lr, t) → [ok, hyper, t'],
 * what allFinite(x0, …) and adamHyper(lr, t, ok) compute. Made only by the planner
 * (graph/fuse.ts) for a guard of at most GUARD_HYPER_INPUTS tensors (the optimizer's packed
 * gradients and the loss); not differentiated.
 */
export const allFiniteHyperDef: OpDef<AllFiniteHyperAttrs> = {
  name: "allFiniteHyper",
  infer: (ins, a) => {
    const checked = ins.slice(0, -2);
    if (checked.length > GUARD_HYPER_INPUTS) throw new ShapeError(`allFiniteHyper: takes 1 to ${GUARD_HYPER_INPUTS} tensors before lr and t, got ${checked.length}`);
    const [ok] = allFiniteDef.infer(checked, a);
    const [hyper, t] = adamHyperDef.infer([...ins.slice(-2), ok], a);
    return [ok, hyper, t];
  },
  // the two reference loops, as they run unfused
  cpu: (args) => {
    const k = args.inputs.length - 2;
    const ok = args.outputs[0];
    allFiniteDef.cpu({ ...args, inputs: args.inputs.slice(0, k), outputs: [ok] });
    adamHyperDef.cpu({ ...args, inputs: [...args.inputs.slice(k), ok], outputs: args.outputs.slice(1) });
  },
  // shaders/all_finite.wgsl with Adam's scalars (H = 1), their bindings after the status
  webgpu: ({ inShapes, attrs: { b1, b2 } }) => {
    const k = inShapes.length - 2;
    const constants = { ...Object.fromEntries(inShapes.slice(0, k).map((sh, j) => [`N${j}`, sizeOf(sh)])), D1: 1 - b1, D2: 1 - b2 };
    const bindings: BufferRef[] = [...inShapes.slice(0, k).map((_, j) => ({ in: j })), { out: 0 }, { status: true }, { in: k }, { in: k + 1 }, { out: 1 }, { out: 2 }];
    const tokens = { K: k, K1: k + 1, LR: k + 2, TIN: k + 3, HYPER: k + 4, TOUT: k + 5 };
    return { calls: [shaderCall("allFiniteHyper", "all_finite", bindings, constants, { workgroups: [1, 1, 1] }, { tokens, each: { I: k, H: 1 } })] };
  },
  fault: { kind: "nonfinite", describe: (args) => allFiniteDef.fault!.describe(args) },
};

function nameOf(n: string | PackedNames): string {
  return typeof n === "string" ? n : n.name;
}

/**
 * 1 if every tensor is finite and nothing in the run has faulted before, else 0 (dtype of the
 * first tensor, shape [1]). `names` say what each tensor is, for the NonFiniteError.
 */
export function allFinite(tensors: readonly Tensor[], names: readonly (string | PackedNames)[]): Tensor {
  if (tensors.length === 0) throw new ShapeError("allFinite: got no tensors to check");
  let ok: Tensor | null = null;
  for (let at = 0; at < tensors.length; ) {
    const take = ok ? GUARD_INPUTS - 1 : GUARD_INPUTS;
    const part = tensors.slice(at, at + take);
    const partNames = names.slice(at, at + take);
    ok = ok
      ? apply1(allFiniteDef, [ok, ...part], { names: ["the previous guard", ...partNames] })
      : apply1(allFiniteDef, [...part], { names: [...partNames] });
    at += take;
  }
  return ok!;
}
