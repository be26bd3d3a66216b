/**
 * @file Reverse-mode autodiff on the lazy graph. Walks the nodes between the output and the
 * wanted inputs in reverse topological order, calling each op's gradient rule; cotangents of
 * a tensor used several times are summed (see `accumulate`: a weight shared by every step of
 * an RNN gets one matmul over all steps, not one per step). Gradients are ordinary graph
 * nodes, so they run on any backend, fuse into a compiled step, and can be differentiated
 * again where rules allow.
 */
import { isFloat } from "../dtype.ts";
import { GraphError, ShapeError, fmtShape } from "../errors.ts";
import type { Tensor } from "../tensor.ts";
import { filled, topoNodes, type Node } from "./ir.ts";
import { add } from "../ops/elementwise.ts";
import { concat, reshape } from "../ops/movement.ts";
import { expand } from "../ops/sum.ts";
import { matmul } from "../ops/matmul.ts";
import { sum } from "../ops/reduce.ts";

function zerosLike(t: Tensor): Tensor {
  return expand(filled(0, [], t.dtype), t.shape);
}

/**
 * Cotangents of `xs` for output `y`: ∂(Σ y·dy)/∂x. `dy` defaults to 1 for a scalar y.
 * An x that y does not depend on gets zeros.
 */
export function gradients(y: Tensor, xs: readonly Tensor[], dy?: Tensor): Tensor[] {
  if (!isFloat(y.dtype)) throw new GraphError(`grad: output ${y.describe()} is not a float tensor`);
  if (!dy) {
    if (y.size !== 1) throw new ShapeError(`grad: output has shape ${fmtShape(y.shape)}, expected a scalar (or pass dy)`);
    dy = filled(1, y.shape, y.dtype);
  } else if (dy.shape.join() !== y.shape.join()) {
    throw new ShapeError(`grad: dy ${fmtShape(dy.shape)} does not match output ${fmtShape(y.shape)}`);
  }
  // Every node y depends on, down to the leaves; only those between y and some x matter.
  const { nodes } = topoNodes([y], (t) => t.node.op === null);
  const depends = new Set<Tensor>(xs);
  for (const node of nodes) {
    if (node.inputs.some((t) => depends.has(t))) for (const o of node.outputs) depends.add(o);
  }
  // every contribution to each tensor's cotangent, summed once all are in (a tensor's readers
  // come after it in topological order, so by the time its own node is reached)
  const parts = new Map<Tensor, Tensor[]>([[y, [dy]]]);
  const cot = new Map<Tensor, Tensor>();
  const concats = new Map<string, Tensor>();
  const cotOf = (t: Tensor): Tensor | undefined => {
    if (!cot.has(t) && parts.has(t)) cot.set(t, accumulate(parts.get(t)!, concats));
    return cot.get(t);
  };
  for (let k = nodes.length - 1; k >= 0; k--) {
    const node = nodes[k];
    if (!node.outputs.some((o) => parts.has(o)) || !node.inputs.some((t) => depends.has(t))) continue;
    for (const [i, g] of ruleOf(node).entries()) {
      const x = node.inputs[i];
      if (!g || !depends.has(x) || !isFloat(x.dtype)) continue;
      if (g.shape.join() !== x.shape.join()) {
        throw new GraphError(`grad: rule of ${node.op!.name} gave ${g.describe()} for input ${i} of shape ${fmtShape(x.shape)} (a bug in that rule)`);
      }
      parts.set(x, [...(parts.get(x) ?? []), g]);
    }
  }
  return xs.map((x) => cotOf(x) ?? zerosLike(x));

  function ruleOf(node: Node): (Tensor | null)[] {
    const op = node.op!;
    if (!op.grad) throw new GraphError(`grad: ${op.name} has no gradient rule; it cannot be differentiated (here, a second time)`);
    const dys = node.outputs.map((o) => cotOf(o) ?? zerosLike(o));
    return op.grad({ inputs: [...node.inputs], outputs: node.outputs, dys, attrs: node.attrs as never });
  }
}

/**
 * The sum of a tensor's cotangent contributions. Contributions that are the same linear map
 * of different inputs are batched first, since Σᵢ f(aᵢ) = f(aᵢ joined):
 *   Σ matmul(aᵢ, bᵢ)         = matmul(concat aᵢ along K, concat bᵢ along K)   (2-D operands)
 *   Σ sum(gᵢ, axes)          = sum(concat gᵢ along axes[0], axes)              (shapes equal off axes[0])
 *   Σ reshape(gᵢ, shape)     = reshape(Σ gᵢ, shape)                            (same shapes)
 * For an RNN's W_hh, T per-step matmuls [4H, B]·[B, H] and T − 1 adds become one
 * [4H, T·B]·[T·B, H] matmul, and the bias's T sums and adds one sum; the per-step cotangents
 * are joined once (`concats` shares each join between the matmul and the sum). What is left
 * is added in a chain.
 */
function accumulate(gs: Tensor[], concats: Map<string, Tensor>): Tensor {
  if (gs.length === 1) return gs[0];
  const groups = new Map<string, Tensor[]>();
  const rest: Tensor[] = [];
  for (const g of gs) {
    const key = batchKey(g);
    if (key === null) rest.push(g);
    else groups.set(key, [...(groups.get(key) ?? []), g]);
  }
  const join = (ts: Tensor[], axis: number) => {
    const key = `${axis}:${ts.map((t) => `${t.node.id}.${t.index}`).join(",")}`;
    if (!concats.has(key)) concats.set(key, concat(ts, axis));
    return concats.get(key)!;
  };
  const terms: Tensor[] = [...rest];
  for (const group of groups.values()) {
    if (group.length === 1) {
      terms.push(group[0]);
      continue;
    }
    const { op, attrs } = group[0].node;
    const ins = (i: number) => group.map((g) => g.node.inputs[i]);
    if (op!.name === "matmul") {
      const { transposeA: tA, transposeB: tB } = attrs as { transposeA: boolean; transposeB: boolean };
      terms.push(matmul(join(ins(0), tA ? 0 : 1), join(ins(1), tB ? 1 : 0), { transposeA: tA, transposeB: tB }));
    } else if (op!.name === "sum") {
      const { axes, keepdims } = attrs as { axes: number[]; keepdims: boolean };
      terms.push(sum(join(ins(0), axes[0]), axes, keepdims));
    } else {
      terms.push(reshape(accumulate(ins(0), concats), group[0].shape));
    }
  }
  return terms.reduce((acc, t) => add(acc, t));
}

/** Contributions with the same key can be batched by `accumulate`; null: add as is. */
function batchKey(g: Tensor): string | null {
  const { op, inputs, attrs } = g.node;
  if (!op || g.index !== 0) return null;
  const x = inputs[0];
  // every g has the cotangent's shape, so matmuls agree in M and N and may differ in K
  if (op.name === "matmul" && inputs.every((t) => t.rank === 2)) return `matmul ${JSON.stringify(attrs)} ${x.dtype}`;
  // sums may differ in the first reduced axis, where their inputs are joined
  const axes = op.name === "sum" ? (attrs as { axes: number[] }).axes : [];
  if (axes.length > 0) return `sum ${JSON.stringify(attrs)} ${x.dtype}[${x.shape.map((d, i) => (i === axes[0] ? "*" : d)).join()}]`;
  if (op.name === "reshape") return `reshape ${x.dtype}[${x.shape.join()}]`;
  return null;
}

type Args = Tensor[];

/**
 * `grad(f)` is a function returning ∂f/∂(argument), jax-style. f must return a scalar.
 * With `argnums` an array, it returns one gradient per named argument.
 * @example const dfdw = grad((w, x) => sum(square(matmul(x, w))))(w, x)
 */
export function grad<A extends Args>(f: (...args: A) => Tensor, argnums: number | number[] = 0): (...args: A) => Tensor | Tensor[] {
  const vg = valueAndGrad(f, argnums);
  return (...args: A) => vg(...args)[1];
}

/** Like `grad`, returning [f(args), gradients]. */
export function valueAndGrad<A extends Args>(f: (...args: A) => Tensor, argnums: number | number[] = 0): (...args: A) => [Tensor, Tensor | Tensor[]] {
  return (...args: A) => {
    const nums = typeof argnums === "number" ? [argnums] : argnums;
    for (const n of nums) {
      if (!(n >= 0 && n < args.length)) throw new GraphError(`grad: argnum ${n} is out of range for ${args.length} arguments`);
    }
    const y = f(...args);
    const gs = gradients(y, nums.map((n) => args[n]));
    return [y, typeof argnums === "number" ? gs[0] : gs];
  };
}
