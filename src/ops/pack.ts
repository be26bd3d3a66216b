/**
 * @file `pack(tensors)`: several tensors of one dtype as one flat tensor, each member starting
 * at a multiple of PACK_ALIGN elements (256 bytes of float32: WebGPU's portable storage-buffer
 * offset alignment, so every member can also be bound on its own), the gaps zero. How an
 * optimizer updates all its parameters with one kernel: the parameters live in one packed
 * buffer (optim/flat_params.ts) and their gradients are packed in the step.
 *
 * The planner places a pack's members inside its output where it can (graph/plan.ts): the
 * kernel that computes a member writes it straight into the packed buffer, and the pack step
 * then copies only the members it could not place (none, in a training step), so packing the
 * gradients costs no dispatch. The gradient of a member is its window of the cotangent.
 */
import { DTypeError, ShapeError } from "../errors.ts";
import { sizeOf } from "../shape.ts";
import { apply1 } from "../graph/ir.ts";
import type { Tensor } from "../tensor.ts";
import type { KernelCall, OpDef, ValueInfo } from "./types.ts";
import { shaderCall } from "./shaders.ts";
import { wgslType } from "./wgsl.ts";
import { reshape, slice } from "./movement.ts";

/** Elements a member's start is a multiple of. */
export const PACK_ALIGN = 64;

export interface PackAttrs {
  /**
   * Set by the planner: which members the pack step still copies (the others were computed
   * in place). Absent: every member.
   */
  copy?: boolean[];
}

/** Where each member of a pack of these shapes starts, and the packed length. */
export function packLayout(shapes: readonly (readonly number[])[]): { offsets: number[]; total: number } {
  const offsets: number[] = [];
  let at = 0;
  for (const s of shapes) {
    offsets.push(at);
    at += span(sizeOf(s));
  }
  return { offsets, total: at };
}

/** A member's elements rounded up to the alignment (its share of the packed length). */
function span(n: number): number {
  return Math.ceil(n / PACK_ALIGN) * PACK_ALIGN;
}

export const packDef: OpDef<PackAttrs> = {
  name: "pack",
  infer: (ins: ValueInfo[], attrs) => {
    if (ins.length === 0) throw new ShapeError("pack: got no tensors to pack");
    ins.forEach((x, i) => {
      if (x.dtype !== ins[0].dtype) throw new DTypeError(`pack: member ${i} is ${x.dtype}, member 0 ${ins[0].dtype}; a pack holds one dtype`);
    });
    if (attrs.copy && attrs.copy.length !== ins.length) throw new ShapeError(`pack: ${ins.length} members but ${attrs.copy.length} copy flags`);
    return [{ shape: [packLayout(ins.map((x) => x.shape)).total], dtype: ins[0].dtype }];
  },
  cpu: ({ inputs, outputs: [out], inShapes, attrs }) => {
    const { offsets } = packLayout(inShapes);
    inputs.forEach((x, i) => {
      if (attrs.copy && !attrs.copy[i]) return;
      out.set(x, offsets[i]);
      out.fill(0, offsets[i] + x.length, offsets[i] + span(x.length));
    });
  },
  grad: ({ inputs, dys: [dy] }) => {
    const { offsets } = packLayout(inputs.map((x) => x.shape));
    return inputs.map((x, i) => reshape(slice(dy, { 0: [offsets[i], offsets[i] + x.size] }), x.shape));
  },
  // shaders/pack.wgsl: one dispatch per member copied (the member and the gap after it)
  webgpu: ({ inShapes, inDtypes: [dt], attrs }) => {
    const { offsets } = packLayout(inShapes);
    const t = wgslType(dt, "pack");
    const calls: KernelCall[] = [];
    inShapes.forEach((s, i) => {
      if (attrs.copy && !attrs.copy[i]) return;
      const n = sizeOf(s);
      if (n === 0) return; // an empty member spans nothing
      const constants = { N: n, SPAN: span(n), OFFSET: offsets[i] };
      calls.push(shaderCall("pack", "pack", [{ in: i }, { out: 0 }], constants, { threads: span(n) }, { tokens: { T: t } }));
    });
    return { calls };
  },
};

/** The tensors as one flat tensor [total], members at `packLayout(shapes).offsets`, gaps zero. */
export function pack(tensors: readonly Tensor[]): Tensor {
  return apply1(packDef, [...tensors], {});
}
