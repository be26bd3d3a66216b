/**
 * @file Planning is data. `buildPlan` turns the tensors to compute into a plain Plan: values
 * (shape, dtype, bytes, lifetime, buffer slot), steps in topological order, and the slot
 * sizes of a static memory plan. A backend only executes it; tests print and check it.
 *
 * Memory: plan inputs are bound by the caller and plan outputs get their own storage (they
 * outlive the run). Every other value is a temporary that lives from the step that writes it
 * to its last reader, and shares a slot with temporaries whose lifetimes do not overlap.
 */
import { ARRAY_OF, type DType } from "../dtype.ts";
import { fmtShape } from "../errors.ts";
import { sizeOf } from "../shape.ts";
import type { OpDef } from "../ops/types.ts";
import type { Tensor } from "../tensor.ts";
import { topoNodes } from "./ir.ts";

export interface PlanValue {
  id: number;
  shape: readonly number[];
  dtype: DType;
  bytes: number;
  kind: "input" | "temp" | "output";
  /** Index into `slotBytes` for temporaries; -1 for inputs and outputs. */
  slot: number;
  /** Step that writes it (-1 for inputs) and the last step that reads it. */
  def: number;
  lastUse: number;
}

export interface PlanStep {
  op: OpDef;
  attrs: unknown;
  inputs: number[];
  outputs: number[];
}

export interface Plan {
  values: PlanValue[];
  steps: PlanStep[];
  /** Value ids bound by the caller, in the order of `inputTensors`. */
  inputs: number[];
  /** Value ids returned, in the order the outputs were asked for. */
  outputs: number[];
  /** Byte size of each reusable buffer slot. */
  slotBytes: number[];
}

/**
 * Plans the computation of `outputs`, treating every tensor for which `isInput` holds as a
 * given input. Returns the plan and the tensors to bind to `plan.inputs`.
 */
export function buildPlan(outputs: readonly Tensor[], isInput: (t: Tensor) => boolean): { plan: Plan; inputTensors: Tensor[] } {
  const { nodes, inputs } = topoNodes(outputs, isInput);
  const values: PlanValue[] = [];
  const idOf = new Map<Tensor, number>();
  const addValue = (t: Tensor, kind: PlanValue["kind"], def: number): number => {
    const id = values.length;
    const bytes = sizeOf(t.shape) * ARRAY_OF[t.dtype].BYTES_PER_ELEMENT;
    values.push({ id, shape: t.shape, dtype: t.dtype, bytes, kind, slot: -1, def, lastUse: def });
    idOf.set(t, id);
    return id;
  };
  const planInputs = inputs.map((t) => addValue(t, "input", -1));
  const steps: PlanStep[] = nodes.map((node, s) => {
    const ins = node.inputs.map((t) => idOf.get(t)!);
    for (const v of ins) values[v].lastUse = s;
    const outs = node.outputs.map((t) => addValue(t, "temp", s));
    return { op: node.op!, attrs: node.attrs, inputs: ins, outputs: outs };
  });
  const planOutputs = outputs.map((t) => idOf.get(t)!);
  for (const v of planOutputs) if (values[v].kind === "temp") values[v].kind = "output";
  const plan: Plan = { values, steps, inputs: planInputs, outputs: planOutputs, slotBytes: [] };
  plan.slotBytes = planMemory(plan);
  return { plan, inputTensors: inputs };
}

/**
 * Assigns each temporary a slot (greedy best fit in step order) and returns the slot sizes.
 * A step's outputs are placed before its inputs are released, so no kernel ever writes a
 * buffer it is reading.
 */
export function planMemory(plan: Plan): number[] {
  const slotBytes: number[] = [];
  const free: number[] = [];
  const release = (v: PlanValue) => {
    if (v.kind === "temp") free.push(v.slot);
  };
  plan.steps.forEach((step, s) => {
    for (const id of step.outputs) {
      const v = plan.values[id];
      if (v.kind !== "temp") continue;
      v.slot = takeSlot(free, slotBytes, v.bytes);
    }
    for (const id of new Set(step.inputs)) if (plan.values[id].lastUse === s) release(plan.values[id]);
    // An output nobody reads (e.g. an unused state of a multi-output op) dies right here.
    for (const id of step.outputs) if (plan.values[id].lastUse === s) release(plan.values[id]);
  });
  return slotBytes;
}

/** Best fit: the smallest free slot that is big enough, else grow the largest free one. */
function takeSlot(free: number[], slotBytes: number[], bytes: number): number {
  let best = -1;
  for (let i = 0; i < free.length; i++) {
    const size = slotBytes[free[i]];
    if (size >= bytes && (best < 0 || size < slotBytes[free[best]])) best = i;
  }
  if (best < 0 && free.length > 0) {
    best = 0;
    for (let i = 1; i < free.length; i++) if (slotBytes[free[i]] > slotBytes[free[best]]) best = i;
  }
  if (best < 0) {
    slotBytes.push(bytes);
    return slotBytes.length - 1;
  }
  const slot = free.splice(best, 1)[0];
  slotBytes[slot] = Math.max(slotBytes[slot], bytes);
  return slot;
}

/** Bytes the temporaries would take with no reuse, for comparison with `slotBytes`. */
export function unplannedBytes(plan: Plan): number {
  return plan.values.filter((v) => v.kind === "temp").reduce((a, v) => a + v.bytes, 0);
}

/** A readable listing, one step a line: `3: matmul(v0, v2) -> v4 float32[64,10] @slot1`. */
export function formatPlan(plan: Plan): string {
  const name = (id: number) => {
    const v = plan.values[id];
    const where = v.kind === "temp" ? ` @slot${v.slot}` : ` (${v.kind})`;
    return `v${id} ${v.dtype}${fmtShape(v.shape)}${where}`;
  };
  const lines = plan.inputs.map((id) => `in: ${name(id)}`);
  plan.steps.forEach((s, i) => lines.push(`${i}: ${s.op.name}(${s.inputs.map((id) => `v${id}`).join(", ")}) -> ${s.outputs.map(name).join(", ")}`));
  lines.push(`out: ${plan.outputs.map((id) => `v${id}`).join(", ")}`);
  lines.push(`slots: ${plan.slotBytes.length} (${plan.slotBytes.reduce((a, b) => a + b, 0)} bytes; ${unplannedBytes(plan)} without reuse)`);
  return lines.join("\n");
}
