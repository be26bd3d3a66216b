/**
 * @file Fusion rules, applied by the planner after autodiff. One rule so far:
 *   matmul(a, b) → add(·, bias[N]) [→ relu | tanh | sigmoid]   ⇒   matmulBiasAct(a, b, bias)
 * when each intermediate has exactly one reader and is not a requested output (in a training
 * graph the gradient rules read a, b and the activation's output, never the intermediates).
 * The fused step takes the place of the group's last node, so every input it reads (the bias
 * may be computed after the matmul) is ready.
 */
import type { OpDef } from "../ops/types.ts";
import type { Tensor } from "../tensor.ts";
import type { Node } from "./ir.ts";
import { matmulBiasActDef, type Activation } from "../ops/matmul_epilogue.ts";

/** A step before values are numbered: an op application over tensors. */
export interface PlanNode {
  op: OpDef;
  attrs: unknown;
  inputs: readonly Tensor[];
  outputs: readonly Tensor[];
}

const ACTIVATIONS = new Set(["relu", "tanh", "sigmoid"]);

export function fuseNodes(nodes: readonly Node[], requested: readonly Tensor[]): PlanNode[] {
  const readers = new Map<Tensor, Node[]>();
  for (const n of nodes) for (const t of n.inputs) readers.set(t, [...(readers.get(t) ?? []), n]);
  const wanted = new Set(requested);
  /** The only reader of t, if t has exactly one and is not a requested output. */
  const soleReader = (t: Tensor): Node | null => {
    const r = readers.get(t);
    return r && r.length === 1 && !wanted.has(t) ? r[0] : null;
  };

  const replaced = new Map<Node, PlanNode>(); // group's last node → fused step
  const absorbed = new Set<Node>();
  for (const mm of nodes) {
    if (mm.op?.name !== "matmul") continue;
    const y = mm.outputs[0];
    const add = soleReader(y);
    if (add?.op?.name !== "add" || add.inputs[0] === add.inputs[1]) continue;
    const bias = add.inputs[0] === y ? add.inputs[1] : add.inputs[0];
    const n = y.shape[y.shape.length - 1];
    if (bias.rank !== 1 || bias.shape[0] !== n || bias.dtype !== y.dtype || add.outputs[0].shape.join() !== y.shape.join()) continue;
    let last = add;
    let act: Activation = "none";
    const next = soleReader(add.outputs[0]);
    if (next?.op && ACTIVATIONS.has(next.op.name)) {
      last = next;
      act = next.op.name as Activation;
    }
    absorbed.add(mm);
    absorbed.add(add);
    absorbed.add(last);
    const attrs = { ...(mm.attrs as object), act };
    replaced.set(last, { op: matmulBiasActDef, attrs, inputs: [mm.inputs[0], mm.inputs[1], bias], outputs: last.outputs });
  }
  const steps: PlanNode[] = [];
  for (const n of nodes) {
    const fused = replaced.get(n);
    if (fused) steps.push(fused);
    else if (!absorbed.has(n)) steps.push({ op: n.op!, attrs: n.attrs, inputs: n.inputs, outputs: n.outputs });
  }
  return steps;
}
