/**
 * @file Fusion rules, applied by the planner after autodiff. Ten so far:
 *   matmul(a, b) [→ reshape] → add(·, bias) [→ relu | tanh | sigmoid]   ⇒   matmulBiasAct(a, b, bias)
 * where the bias runs along the last axis (bias[N]: a linear layer), or along the rows (a
 * convolution: its [N, O, P] product reshaped to [N, O, OH, OW] plus bias [1, O, 1, 1]); and
 * ReLU's backward into the kernel before it (the backward of relu → linear and relu → max-pool):
 *   matmul(a, b) → reluBackward(·, y)                 ⇒   matmulBiasAct(a, b, y), `mask`
 *   maxPool2dBackward(dy, arg) → reluBackward(·, x)   ⇒   maxPool2dBackward(dy, arg, x)
 * for an unbatched product, and where x is the pooling's own input; the fused kernels write 0
 * where the ReLU's output is not > 0. And a linear layer's bias gradient into its weight
 * gradient, the two readers of one cotangent g [R, N] (an unsplit product):
 *   matmul(g, x, transposeA) beside sum(g, 0)          ⇒   matmulRowSum(g, x) → [dW, db]
 * and up to four float32 sums that are ready at the same point (a run of them whose outputs
 * are read only after the last) into one dispatch, sumMany (LeNet-5's conv weight gradients'
 * batch sums and conv bias gradients: four dispatches to one). And a reduced softmax
 * cross-entropy with its backward over the same logits, where the backward's cotangent is
 * ready before the loss (autodiff's seed), for at most XENT_FUSED_MAX logits:
 *   softmaxCrossEntropy(x, y) beside softmaxCrossEntropyBackward(x, y, dy)   ⇒   softmaxCrossEntropyWithGrad
 * running where the loss did. And the step's guard with the Adam scalars that read its ok:
 *   allFinite(loss, grads) → adamHyper(lr, t, ok)   ⇒   allFiniteHyper(loss, grads, lr, t)
 * And col2im into the max-pool backward that reads it, for windows that tile the plane
 * (LeNet-5's conv2 input gradient through pool1, ReLU mask included):
 *   col2im(dcols) → maxPool2dBackward(·, arg[, x])   ⇒   col2imMaxPool2dBackward(dcols, arg[, x])
 * and an unbatched, unsplit matmul into the tiling max-pool backward that reads it (LeNet-5's
 * fc1 input gradient into pool2's backward; the kernel stores each product element as its
 * window's pixels):
 *   matmul(a, b) [→ reshape] → maxPool2dBackward(·, arg[, x])   ⇒   matmulMaxPool2dBackward(a, b, arg[, x])
 * And, last, im2col into every product that reads its columns as B, where all its readers are
 * such products (a convolution's forward pass and its weight gradient; the columns are then
 * never stored):
 *   im2col(x) → matmulBiasAct(w, ·, bias) | matmul(dy, ·, transposeB)   ⇒   im2colMatmul(w | dy, x[, bias])
 * In the chain rules (matmulBiasAct, the masked backwards) each intermediate has exactly one
 * reader and is not a requested output (in a training graph the gradient rules read a, b and
 * the activation's output, never the intermediates); the fused step takes the place of the
 * chain's last node, so every input it reads (the bias may be computed after the matmul) is
 * ready, and writes the last node's output, whose elements are the product's in the same
 * order. The sibling rules (matmulRowSum, sumMany) keep every output: the fused step writes
 * the outputs of all the nodes it replaces, at a place where its inputs are ready and before
 * any of those outputs is read.
 */
import type { OpDef } from "../ops/types.ts";
import type { Tensor } from "../tensor.ts";
import type { Node } from "./ir.ts";
import { matmulBiasActDef, matmulMaxPool2dBackwardDef, matmulRowSumDef, rowSumFits, type Activation, type MatmulBiasActAttrs } from "../ops/matmul_epilogue.ts";
import { matmulDef } from "../ops/matmul.ts";
import { im2colDef, type WindowAttrs } from "../ops/conv2d.ts";
import { im2colMatmulDef, type Im2colMatmulAttrs } from "../ops/im2col_matmul.ts";
import { col2imMaxPool2dBackwardDef, maxPool2dBackwardDef, poolTiles, type PoolAttrs } from "../ops/pool.ts";
import { SUM_MANY, sumManyDef, sumSegment } from "../ops/sum.ts";
import { GUARD_HYPER_INPUTS, allFiniteHyperDef } from "../ops/guard.ts";
import { XENT_FUSED_MAX, softmaxCrossEntropyWithGradDef, type XentAttrs } from "../ops/softmax_xent.ts";

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
    // an optional reshape that keeps the rows: [..., M, N] → [..., M, (dims of N)]
    let z = y;
    let add = soleReader(y);
    const reshape = add?.op?.name === "reshape" && keepsRows(y.shape, add.outputs[0].shape) ? add : null;
    if (reshape) {
      z = reshape.outputs[0];
      add = soleReader(z);
    }
    if (add?.op?.name !== "add" || add.inputs[0] === add.inputs[1] || add.outputs[0].shape.join() !== z.shape.join()) continue;
    const bias = add.inputs[0] === z ? add.inputs[1] : add.inputs[0];
    if (bias.dtype !== y.dtype) continue;
    const perColumn = !reshape && bias.rank === 1 && bias.shape[0] === y.shape[y.rank - 1];
    const perRow = !perColumn && rowBias(bias.shape, z.shape, y.rank - 2, y.shape[y.rank - 2]);
    if (!perColumn && !perRow) continue;
    let last = add;
    let act: Activation = "none";
    const next = soleReader(add.outputs[0]);
    if (next?.op && ACTIVATIONS.has(next.op.name)) {
      last = next;
      act = next.op.name as Activation;
    }
    absorbed.add(mm);
    if (reshape) absorbed.add(reshape);
    absorbed.add(add);
    absorbed.add(last);
    const attrs = { ...(mm.attrs as object), act, rows: perRow };
    replaced.set(last, { op: matmulBiasActDef, attrs, inputs: [mm.inputs[0], mm.inputs[1], bias], outputs: last.outputs });
  }
  for (const rb of nodes) {
    if (rb.op?.name !== "reluBackward") continue;
    const [g, x] = rb.inputs;
    const pb = g.node;
    // an unbatched matmul's product, masked by the ReLU output as the kernel stores it
    if (pb.op?.name === "matmul" && soleReader(g) === rb && !absorbed.has(pb) && g.rank === 2 && pb.inputs.every((t) => t.rank === 2) && x.shape.join() === g.shape.join() && x.dtype === g.dtype) {
      absorbed.add(pb);
      replaced.set(rb, { op: matmulBiasActDef, attrs: { ...(pb.attrs as object), act: "none", rows: false, mask: true }, inputs: [pb.inputs[0], pb.inputs[1], x], outputs: rb.outputs });
      continue;
    }
    if (pb.op?.name !== "maxPool2dBackward" || pb.inputs.length !== 2 || soleReader(g) !== rb || absorbed.has(pb) || replaced.has(pb)) continue;
    // the argmax comes from a max-pool of x itself, and x has the gradient's shape
    const pool = pb.inputs[1].node;
    if (pool.op?.name !== "maxPool2d" || pool.inputs[0] !== x || x.shape.join() !== g.shape.join()) continue;
    absorbed.add(pb);
    replaced.set(rb, { op: maxPool2dBackwardDef, attrs: pb.attrs, inputs: [pb.inputs[0], pb.inputs[1], x], outputs: rb.outputs });
  }
  // the kernel computing a tiling max-pool backward's dy, when that is its only reader, with
  // the pooling: col2im (a convolution's input gradient flowing back through the pooling
  // before it), or an unbatched, unsplit product [→ reshape] (a linear layer's input
  // gradient flowing back into the pooling before a flatten)
  for (const n of nodes) {
    const step = replaced.get(n) ?? (n.op?.name === "maxPool2dBackward" && !absorbed.has(n) ? n : null);
    if (!step || step.op !== maxPool2dBackwardDef) continue;
    const dy = step.inputs[0];
    const pool = step.attrs as PoolAttrs & { inputShape: number[] };
    if ((readers.get(dy) ?? []).length !== 1 || wanted.has(dy) || !poolTiles(pool)) continue;
    const view = dy.node.op?.name === "reshape" ? dy.node : null;
    const y = view ? view.inputs[0] : dy;
    const src = y.node;
    if (absorbed.has(src) || replaced.has(src) || (view && soleReader(y) !== view)) continue;
    const rest = step.inputs.slice(1);
    if (src.op?.name === "col2im" && !view) {
      absorbed.add(src);
      replaced.set(n, { op: col2imMaxPool2dBackwardDef, attrs: { col2im: src.attrs, pool }, inputs: [src.inputs[0], ...rest], outputs: step.outputs });
      continue;
    }
    const attrs = src.attrs as { transposeA: boolean; transposeB: boolean };
    if (src.op?.name !== "matmul" || !rowSumFits(src.inputs[0].shape, src.inputs[1].shape, attrs)) continue;
    absorbed.add(src);
    if (view) absorbed.add(view);
    replaced.set(n, { op: matmulMaxPool2dBackwardDef, attrs: { ...attrs, pool }, inputs: [src.inputs[0], src.inputs[1], ...rest], outputs: step.outputs });
  }
  // a linear layer's bias gradient into its weight gradient: sum(g, 0) beside matmul(g, x)
  // with transposeA (dW = gᵀ·x, whose A = gᵀ has the bias gradient as its row sums)
  const position = new Map(nodes.map((n, i) => [n, i]));
  for (const sn of nodes) {
    if (sn.op?.name !== "sum" || absorbed.has(sn) || replaced.has(sn)) continue;
    const [g] = sn.inputs;
    const { axes, keepdims } = sn.attrs as { axes: number[]; keepdims?: boolean };
    if (g.rank !== 2 || axes.join() !== "0") continue;
    const mm = (readers.get(g) ?? []).find((n) => n.op?.name === "matmul" && n.inputs[0] === g && n.inputs[1] !== g && !absorbed.has(n) && !replaced.has(n)
      && (n.attrs as { transposeA: boolean }).transposeA && rowSumFits(g.shape, n.inputs[1].shape, n.attrs as never));
    if (!mm) continue;
    // the fused step runs where the matmul did (its inputs, g among them, are ready there); a
    // sum that came earlier must have no reader before that
    if (position.get(sn)! < position.get(mm)! && (readers.get(sn.outputs[0]) ?? []).some((r) => position.get(r)! < position.get(mm)!)) continue;
    absorbed.add(sn);
    replaced.set(mm, { op: matmulRowSumDef, attrs: { ...(mm.attrs as object), keepdims: !!keepdims }, inputs: mm.inputs, outputs: [mm.outputs[0], sn.outputs[0]] });
  }
  // a reduced softmax cross-entropy and its backward over the same logits, where the
  // backward's cotangent is ready before the loss is computed (the seed of autodiff, say)
  for (const bw of nodes) {
    if (bw.op?.name !== "softmaxCrossEntropyBackward") continue;
    const [logits, labels, dy] = bw.inputs;
    const a = bw.attrs as XentAttrs;
    if (a.reduction === "none" || logits.size > XENT_FUSED_MAX) continue;
    const fw = (readers.get(logits) ?? []).find((n) => n.op?.name === "softmaxCrossEntropy" && n.inputs[1] === labels && (n.attrs as XentAttrs).reduction === a.reduction && !absorbed.has(n) && !replaced.has(n));
    if (!fw || (dy.node.op !== null && !(position.get(dy.node)! < position.get(fw)!))) continue;
    absorbed.add(bw);
    replaced.set(fw, { op: softmaxCrossEntropyWithGradDef, attrs: a, inputs: [logits, labels, dy], outputs: [fw.outputs[0], bw.outputs[0]] });
  }
  // the step's guard and the Adam scalars that read its ok (lr and t are ready from the start)
  for (const ah of nodes) {
    if (ah.op?.name !== "adamHyper") continue;
    const [lr, t, ok] = ah.inputs;
    const g = ok.node;
    if (g.op?.name !== "allFinite" || g.inputs.length > GUARD_HYPER_INPUTS || absorbed.has(g) || replaced.has(g)) continue;
    if (![lr, t].every((x) => x.node.op === null || position.get(x.node)! < position.get(g)!)) continue;
    absorbed.add(ah);
    const { b1, b2 } = ah.attrs as { b1: number; b2: number };
    replaced.set(g, { op: allFiniteHyperDef, attrs: { ...(g.attrs as object), b1, b2 }, inputs: [...g.inputs, lr, t], outputs: [ok, ...ah.outputs] });
  }
  // float32 sums ready at the same point into one dispatch (sumMany): a run of them, in
  // order, none of whose outputs is read before (or by) the last of the run, where it runs;
  // a reshape of an output in between (a view, no kernel) moves to just after it
  const deferred = new Map<Node, Node[]>(); // fused step's node → reshapes emitted after it
  const moved = new Set<Node>();
  /** The reshapes reading t (through reshapes) at or before `pos`, or null if anything else does. */
  const viewsBefore = (t: Tensor, pos: number): Node[] | null => {
    const found: Node[] = [];
    for (const r of readers.get(t) ?? []) {
      if (position.get(r)! > pos) continue;
      if (r.op?.name !== "reshape") return null;
      const deeper = viewsBefore(r.outputs[0], pos);
      if (!deeper) return null;
      found.push(r, ...deeper);
    }
    return found;
  };
  const run: Node[] = [];
  let views: Node[] = [];
  const flush = () => {
    if (run.length >= 2) {
      const last = run[run.length - 1];
      for (const n of run.slice(0, -1)) absorbed.add(n);
      const attrs = run.map((n) => n.attrs as { axes: number[]; keepdims: boolean });
      replaced.set(last, { op: sumManyDef, attrs: { axes: attrs.map((a) => a.axes), keepdims: attrs.map((a) => a.keepdims) }, inputs: run.map((n) => n.inputs[0]), outputs: run.map((n) => n.outputs[0]) });
      const later = [...new Set(views)].sort((a, b) => position.get(a)! - position.get(b)!);
      for (const v of later) moved.add(v);
      deferred.set(last, later);
    }
    run.length = 0;
    views = [];
  };
  for (const n of nodes) {
    if (n.op?.name !== "sum" || absorbed.has(n) || replaced.has(n)) continue;
    const x = n.inputs[0];
    if (x.dtype !== "float32" || x.size === 0 || !sumSegment(x.shape, (n.attrs as { axes: number[] }).axes)) continue;
    const before = run.map((p) => viewsBefore(p.outputs[0], position.get(n)!));
    if (before.some((v) => v === null) || run.length === SUM_MANY) flush();
    else views = [...views, ...before.flat() as Node[]];
    run.push(n);
  }
  flush();
  const steps: PlanNode[] = [];
  const asStep = (n: Node): PlanNode => ({ op: n.op!, attrs: n.attrs, inputs: n.inputs, outputs: n.outputs });
  for (const n of nodes) {
    if (moved.has(n)) continue;
    const fused = replaced.get(n);
    if (fused) steps.push(fused);
    else if (!absorbed.has(n)) steps.push(asStep(n));
    for (const v of deferred.get(n) ?? []) steps.push(asStep(v));
  }
  return fuseIm2col(steps, wanted);
}

/**
 * im2col into the products that read its columns as B (a convolution's forward pass, fused
 * with its bias and activation or not, and its weight gradient), where every reader is such
 * a product: each becomes an im2colMatmul of the image, at its own place (the image is ready
 * before the im2col was), and the columns are never stored.
 */
function fuseIm2col(steps: PlanNode[], wanted: Set<Tensor>): PlanNode[] {
  const readers = new Map<Tensor, PlanNode[]>();
  for (const s of steps) for (const t of new Set(s.inputs)) readers.set(t, [...(readers.get(t) ?? []), s]);
  const product = (r: PlanNode, cols: Tensor) => (r.op === matmulDef || (r.op === matmulBiasActDef && !(r.attrs as MatmulBiasActAttrs).mask))
    && r.inputs[1] === cols && r.inputs.filter((t) => t === cols).length === 1;
  const fused = new Map<PlanNode, PlanNode>();
  const dropped = new Set<PlanNode>();
  for (const s of steps) {
    if (s.op !== im2colDef) continue;
    const cols = s.outputs[0], rs = readers.get(cols) ?? [];
    if (wanted.has(cols) || rs.length === 0 || !rs.every((r) => product(r, cols))) continue;
    dropped.add(s);
    for (const r of rs) {
      const attrs: Im2colMatmulAttrs = { base: r.op === matmulDef ? "matmul" : "matmulBiasAct", mm: r.attrs as Im2colMatmulAttrs["mm"], window: s.attrs as WindowAttrs };
      fused.set(r, { op: im2colMatmulDef, attrs, inputs: [r.inputs[0], s.inputs[0], ...r.inputs.slice(2)], outputs: r.outputs });
    }
  }
  return steps.filter((s) => !dropped.has(s)).map((s) => fused.get(s) ?? s);
}

/** z = y's shape with its last axis (N) split into axes of the same product: rows unchanged. */
function keepsRows(y: readonly number[], z: readonly number[]): boolean {
  const lead = y.length - 1;
  return z.length >= lead && z.slice(0, lead).join() === y.slice(0, lead).join() && z.slice(lead).reduce((a, d) => a * d, 1) === y[lead];
}

/** A bias of M elements that, broadcast against z, varies only along z's axis `axis` (the rows). */
function rowBias(bias: readonly number[], z: readonly number[], axis: number, m: number): boolean {
  const lead = z.length - bias.length;
  if (lead < 0 || m < 2) return false;
  return bias.every((d, i) => (i + lead === axis ? d === m : d === 1));
}
