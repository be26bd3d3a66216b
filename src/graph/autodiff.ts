/**
 * @file Reverse-mode autodiff on the lazy graph. Walks the nodes between the output and the
 * wanted inputs in reverse topological order, calling each op's gradient rule; cotangents of
 * a tensor used several times are summed. Gradients are ordinary graph nodes, so they run on
 * any backend, fuse into a compiled step, and can be differentiated again where rules allow.
 */
import { isFloat } from "../dtype.ts";
import { GraphError, ShapeError, fmtShape } from "../errors.ts";
import type { Tensor } from "../tensor.ts";
import { topoNodes, type Node } from "./ir.ts";
import { add } from "../ops/elementwise.ts";
import { expand } from "../ops/movement.ts";
import { scalar, ones } from "../creation.ts";

function zerosLike(t: Tensor): Tensor {
  return expand(scalar(0, t.dtype), t.shape);
}

/**
 * Cotangents of `xs` for output `y`: ∂(Σ y·dy)/∂x. `dy` defaults to 1 for a scalar y.
 * An x that y does not depend on gets zeros.
 */
export function gradients(y: Tensor, xs: readonly Tensor[], dy?: Tensor): Tensor[] {
  if (!isFloat(y.dtype)) throw new GraphError(`grad: output ${y.describe()} is not a float tensor`);
  if (!dy) {
    if (y.size !== 1) throw new ShapeError(`grad: output has shape ${fmtShape(y.shape)}, expected a scalar (or pass dy)`);
    dy = ones(y.shape, y.dtype);
  } else if (dy.shape.join() !== y.shape.join()) {
    throw new ShapeError(`grad: dy ${fmtShape(dy.shape)} does not match output ${fmtShape(y.shape)}`);
  }
  // Every node y depends on, down to the leaves; only those between y and some x matter.
  const { nodes } = topoNodes([y], (t) => t.node.op === null);
  const depends = new Set<Tensor>(xs);
  for (const node of nodes) {
    if (node.inputs.some((t) => depends.has(t))) for (const o of node.outputs) depends.add(o);
  }
  const cot = new Map<Tensor, Tensor>([[y, dy]]);
  for (let k = nodes.length - 1; k >= 0; k--) {
    const node = nodes[k];
    if (!node.outputs.some((o) => cot.has(o)) || !node.inputs.some((t) => depends.has(t))) continue;
    for (const [i, g] of ruleOf(node).entries()) {
      const x = node.inputs[i];
      if (!g || !depends.has(x) || !isFloat(x.dtype)) continue;
      if (g.shape.join() !== x.shape.join()) {
        throw new GraphError(`grad: rule of ${node.op!.name} gave ${g.describe()} for input ${i} of shape ${fmtShape(x.shape)} (a bug in that rule)`);
      }
      const prev = cot.get(x);
      cot.set(x, prev ? add(prev, g) : g);
    }
  }
  return xs.map((x) => cot.get(x) ?? zerosLike(x));

  function ruleOf(node: Node): (Tensor | null)[] {
    const op = node.op!;
    if (!op.grad) throw new GraphError(`grad: ${op.name} has no gradient rule; it cannot be differentiated (here, a second time)`);
    const dys = node.outputs.map((o) => cot.get(o) ?? zerosLike(o));
    return op.grad({ inputs: [...node.inputs], outputs: node.outputs, dys, attrs: node.attrs as never });
  }
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
