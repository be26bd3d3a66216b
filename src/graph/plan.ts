/**
 * @file Planning is data. `buildPlan` turns the tensors to compute into a plain Plan: values
 * (shape, dtype, bytes, lifetime, buffer slot), steps in topological order, and the slot
 * sizes of a static memory plan. A backend only executes it; tests print and check it.
 *
 * Memory: plan inputs are bound by the caller and plan outputs get their own storage (they
 * outlive the run). Every other value is a temporary that lives from the step that writes it
 * to its last reader, and shares a slot with temporaries whose lifetimes do not overlap.
 * A reshape that is not a requested output is a view: no step, the storage of the value it
 * reshapes (whose lifetime then stretches to the view's last reader).
 *
 * A pack's members are placed inside the pack's output where they can be (`place`): the step
 * that computes a member writes its window of the packed buffer, and the pack step copies
 * only the members that could not be placed (it is dropped when that is none). The packed
 * value gets a slot of its own (`exclusive`), zeroed once when the backend makes it, so the
 * gaps between members stay zero. A member is placed when it is a temporary (or a reshape of
 * one) not placed elsewhere and not another member too, and the step computing it reads
 * nothing that lives in the same packed buffer (WebGPU forbids a dispatch to read and write
 * one buffer).
 */
import { ARRAY_OF, type DType } from "../dtype.ts";
import { fmtShape } from "../errors.ts";
import { sizeOf } from "../shape.ts";
import type { OpDef } from "../ops/types.ts";
import type { Tensor } from "../tensor.ts";
import { topoNodes } from "./ir.ts";
import { fuseNodes, type PlanNode } from "./fuse.ts";
import { packDef, packLayout, type PackAttrs } from "../ops/pack.ts";

export interface PlanValue {
  id: number;
  shape: readonly number[];
  dtype: DType;
  bytes: number;
  kind: "input" | "temp" | "output" | "view";
  /** Index into `slotBytes` for temporaries; -1 otherwise. */
  slot: number;
  /** For a view: the input, temporary or output whose storage it reads (never another view). */
  viewOf?: number;
  /** A temporary stored inside a pack's output (`of`), from element `offset` on: no slot. */
  place?: { of: number; offset: number };
  /** A pack's output with members placed in it: a slot of its own, zero when made. */
  exclusive?: boolean;
  /**
   * For an output of an in-place op (OpDef.inPlace): the plan input whose buffer it may be
   * written into, set when no later step reads that input and it is not returned itself. The
   * caller decides per run (graph/compile.ts passes the input's handle in `reuse`).
   */
  inPlaceOf?: number;
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
 * given input, with the fusion rules of fuse.ts applied (unless `fuse: false`). Returns the
 * plan and the tensors to bind to `plan.inputs`.
 */
export function buildPlan(outputs: readonly Tensor[], isInput: (t: Tensor) => boolean, opts: { fuse?: boolean } = {}): { plan: Plan; inputTensors: Tensor[] } {
  const { nodes: graphNodes, inputs } = topoNodes(outputs, isInput);
  const nodes: PlanNode[] = opts.fuse === false
    ? graphNodes.map((n) => ({ op: n.op!, attrs: n.attrs, inputs: n.inputs, outputs: n.outputs }))
    : fuseNodes(graphNodes, outputs);
  const values: PlanValue[] = [];
  const idOf = new Map<Tensor, number>();
  const tensorOf: Tensor[] = [];
  const addValue = (t: Tensor, kind: PlanValue["kind"], def: number): number => {
    const id = values.length;
    tensorOf.push(t);
    const bytes = sizeOf(t.shape) * ARRAY_OF[t.dtype].BYTES_PER_ELEMENT;
    values.push({ id, shape: t.shape, dtype: t.dtype, bytes, kind, slot: -1, def, lastUse: def });
    idOf.set(t, id);
    return id;
  };
  const planInputs = inputs.map((t) => addValue(t, "input", -1));
  const requested = new Set(outputs);
  const steps: PlanStep[] = [];
  for (const node of nodes) {
    const ins = node.inputs.map((t) => idOf.get(t)!);
    const s = steps.length;
    if (node.op.name === "reshape" && !requested.has(node.outputs[0])) {
      const src = values[ins[0]];
      const view = addValue(node.outputs[0], "view", src.def);
      values[view].viewOf = src.viewOf ?? src.id;
      continue;
    }
    for (const v of ins) {
      values[v].lastUse = s;
      const root = values[v].viewOf;
      if (root !== undefined) values[root].lastUse = s;
    }
    const outs = node.outputs.map((t) => addValue(t, "temp", s));
    const step: PlanStep = { op: node.op, attrs: node.attrs, inputs: ins, outputs: outs };
    if (node.op === packDef && !requested.has(node.outputs[0]) && placeMembers(values, steps, step, (id) => requested.has(tensorOf[id]))) continue;
    steps.push(step);
  }
  const planOutputs = outputs.map((t) => idOf.get(t)!);
  for (const v of planOutputs) if (values[v].kind === "temp") values[v].kind = "output";
  steps.forEach((step, s) => {
    for (const [o, i] of step.op.inPlace ?? []) {
      const src = values[step.inputs[i]], out = values[step.outputs[o]];
      const once = step.inputs.filter((id) => id === src.id).length === 1;
      if (src.kind === "input" && out.kind === "output" && src.lastUse === s && once && !planOutputs.includes(src.id) && planOutputs.filter((id) => id === out.id).length === 1) out.inPlaceOf = src.id;
    }
  });
  const plan: Plan = { values, steps, inputs: planInputs, outputs: planOutputs, slotBytes: [] };
  plan.slotBytes = planMemory(plan);
  return { plan, inputTensors: inputs };
}

/**
 * Places what it can of a pack step's members inside its output (see the file comment) and
 * sets its `copy` flags; true when no member is left to copy (the step is not needed).
 */
function placeMembers(values: PlanValue[], steps: readonly PlanStep[], step: PlanStep, requested: (id: number) => boolean): boolean {
  const out = values[step.outputs[0]];
  const { offsets } = packLayout(step.inputs.map((id) => values[id].shape));
  const rootOf = (id: number) => values[id].viewOf ?? id;
  const inPack = (id: number) => values[rootOf(id)].place?.of === out.id;
  const copy = step.inputs.map(() => true);
  // a value that is two members (an LSTM's two bias gradients) stays where it is: copying
  // the second from inside the packed buffer would read and write it in one dispatch
  const roots = step.inputs.map(rootOf);
  const shared = new Set(roots.filter((r, i) => roots.indexOf(r) !== i));
  // in the order they are computed, so a later member's step cannot read an earlier one
  const order = step.inputs.map((id, i) => ({ id, i, def: values[rootOf(id)].def })).sort((a, b) => a.def - b.def);
  for (const { id, i } of order) {
    const root = values[rootOf(id)];
    if (root.kind !== "temp" || shared.has(root.id) || requested(root.id) || root.place || root.exclusive || root.def < 0 || root.dtype !== out.dtype) continue;
    if (steps[root.def].inputs.some(inPack)) continue;
    root.place = { of: out.id, offset: offsets[i] };
    copy[i] = false;
  }
  const placed = copy.filter((c) => !c).length;
  if (placed === 0) return false;
  out.exclusive = true;
  out.def = Math.min(...step.inputs.filter((_, i) => !copy[i]).map((id) => values[rootOf(id)].def));
  step.attrs = { ...(step.attrs as PackAttrs), copy };
  return placed === copy.length;
}

/**
 * Assigns each temporary a slot and returns the slot sizes. Greedy by size: the largest
 * values are placed first, each into the smallest slot none of whose occupants is alive at
 * the same time (lifetimes are inclusive [def, lastUse], so a step never writes a buffer it
 * reads); a value too big for every free slot grows the largest one or opens a new slot.
 * Placing big values first keeps small ones from fragmenting the big slots.
 */
export function planMemory(plan: Plan): number[] {
  const temps = plan.values.filter((v) => v.kind === "temp" && !v.place).sort((a, b) => b.bytes - a.bytes || a.def - b.def);
  const slotBytes: number[] = [];
  const occupants: PlanValue[][] = [];
  // a pack with placed members: alone in its slot, for the whole run
  for (const v of temps) {
    if (!v.exclusive) continue;
    v.slot = slotBytes.length;
    slotBytes.push(v.bytes);
    occupants.push([{ ...v, def: -Infinity, lastUse: Infinity }]);
  }
  const overlaps = (a: PlanValue, b: PlanValue) => a.def <= b.lastUse && b.def <= a.lastUse;
  for (const v of temps) {
    if (v.exclusive) continue;
    let best = -1;
    for (let s = 0; s < slotBytes.length; s++) {
      if (occupants[s].some((o) => overlaps(o, v))) continue;
      const fits = slotBytes[s] >= v.bytes;
      const bestFits = best >= 0 && slotBytes[best] >= v.bytes;
      // prefer a slot that fits (the tightest one), else the largest one (grow it least)
      if (best < 0 || (fits && (!bestFits || slotBytes[s] < slotBytes[best])) || (!fits && !bestFits && slotBytes[s] > slotBytes[best])) best = s;
    }
    if (best < 0) {
      best = slotBytes.length;
      slotBytes.push(0);
      occupants.push([]);
    }
    slotBytes[best] = Math.max(slotBytes[best], v.bytes);
    occupants[best].push(v);
    v.slot = best;
  }
  return slotBytes;
}

/** Bytes the temporaries would take with no reuse, for comparison with `slotBytes`. */
export function unplannedBytes(plan: Plan): number {
  return plan.values.filter((v) => v.kind === "temp" && !v.place).reduce((a, v) => a + v.bytes, 0);
}

/**
 * The most bytes of temporaries alive at once (a step's outputs together with everything
 * still to be read): a lower bound for any slot assignment.
 */
export function peakLiveBytes(plan: Plan): number {
  let peak = 0;
  plan.steps.forEach((_, s) => {
    const live = plan.values.filter((v) => v.kind === "temp" && !v.place && v.def <= s && v.lastUse >= s);
    peak = Math.max(peak, live.reduce((a, v) => a + v.bytes, 0));
  });
  return peak;
}

/**
 * A readable listing, one step a line (`3: matmul(v0, v2) -> v4 float32[64,10] @slot1`), then
 * the views (`view: v5 float32[640] (view of v4)`).
 */
export function formatPlan(plan: Plan): string {
  const name = (id: number) => {
    const v = plan.values[id];
    const where = v.place ? ` (in v${v.place.of} at ${v.place.offset})` : v.kind === "temp" ? ` @slot${v.slot}` : v.kind === "view" ? ` (view of v${v.viewOf})` : ` (${v.kind})`;
    return `v${id} ${v.dtype}${fmtShape(v.shape)}${where}`;
  };
  const lines = plan.inputs.map((id) => `in: ${name(id)}`);
  plan.steps.forEach((s, i) => lines.push(`${i}: ${s.op.name}(${s.inputs.map((id) => `v${id}`).join(", ")}) -> ${s.outputs.map(name).join(", ")}`));
  for (const v of plan.values) if (v.kind === "view") lines.push(`view: ${name(v.id)}`);
  lines.push(`out: ${plan.outputs.map((id) => `v${id}`).join(", ")}`);
  const total = plan.slotBytes.reduce((a, b) => a + b, 0);
  lines.push(`slots: ${plan.slotBytes.length} (${total} bytes; peak live ${peakLiveBytes(plan)}; ${unplannedBytes(plan)} without reuse)`);
  return lines.join("\n");
}
