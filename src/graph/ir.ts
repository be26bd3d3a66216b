/**
 * @file The graph IR. A Node is one op application: its OpDef, input tensors, attrs and
 * output tensors. Leaves (op === null) are constants (holding storage) or compile
 * placeholders. Building a node runs the op's shape rule at once, so a bad shape fails at
 * the line that wrote it, long before anything executes.
 *
 * The tracing state (`whileTracing`, `isTracing`, `recordEffect`) lives in graph/trace.ts,
 * below the Tensor; it is re-exported here for the graph's users.
 */
import { allocArray, type DType, type TypedArray } from "../dtype.ts";
import { sizeOf } from "../shape.ts";
import { getBackend } from "../backends/backend.ts";
import { Tensor, type Storage } from "../tensor.ts";
import type { OpDef, ValueInfo } from "../ops/types.ts";
import { GraphError, fmtShape } from "../errors.ts";

export { isTracing, recordEffect, whileTracing, type Effect } from "./trace.ts";

let nextId = 0;

export class Node {
  readonly id = nextId++;
  outputs: Tensor[] = [];
  constructor(
    /** null for a leaf: a constant or a compile placeholder. */
    readonly op: OpDef | null,
    readonly inputs: readonly Tensor[],
    readonly attrs: unknown,
  ) {}
}

/** Records one application of `op`; validates shapes now, computes nothing. */
export function apply(op: OpDef, inputs: Tensor[], attrs: unknown = {}): Tensor[] {
  const infos: ValueInfo[] = inputs.map((t) => ({ shape: [...t.shape], dtype: t.dtype }));
  const outs = op.infer(infos, attrs as never);
  const node = new Node(op, inputs, attrs);
  node.outputs = outs.map((o, i) => new Tensor(node, i, o.shape, o.dtype));
  return node.outputs;
}

/** Single-output convenience for `apply`. */
export function apply1(op: OpDef, inputs: Tensor[], attrs: unknown = {}): Tensor {
  return apply(op, inputs, attrs)[0];
}

/** A leaf tensor: a constant when it has storage, else a compile placeholder. */
export function leaf(shape: readonly number[], dtype: DType, storage: Storage | null): Tensor {
  const node = new Node(null, [], {});
  const t = new Tensor(node, 0, [...shape], dtype);
  node.outputs = [t];
  t.storage = storage;
  return t;
}

/** A constant leaf: `data` (taken over, not copied; checked by the caller) on the current backend. */
export function constant(data: TypedArray, shape: readonly number[], dtype: DType): Tensor {
  const backend = getBackend();
  return leaf(shape, dtype, { backend, handle: backend.upload(data, dtype), host: data });
}

/** A constant leaf of `shape` holding `value` everywhere (shape checked by the caller). */
export function filled(value: number, shape: readonly number[], dtype: DType): Tensor {
  const a = allocArray(dtype, sizeOf(shape), `full(${fmtShape(shape)})`);
  a.fill(value);
  return constant(a, shape, dtype);
}

/** A leaf with no data yet: what `compile` feeds a function while tracing it. */
export function placeholder(shape: readonly number[], dtype: DType): Tensor {
  return leaf(shape, dtype, null);
}

export function isPlaceholder(t: Tensor): boolean {
  return t.node.op === null && t.storage === null;
}

/**
 * Every tensor the outputs depend on, in topological order (inputs before users), stopping
 * at tensors for which `isInput` holds. Iterative DFS: unrolled RNN graphs are deep.
 */
export function topoNodes(outputs: readonly Tensor[], isInput: (t: Tensor) => boolean): { nodes: Node[]; inputs: Tensor[] } {
  const nodes: Node[] = [];
  const inputs: Tensor[] = [];
  const seenNode = new Set<Node>();
  const seenInput = new Set<Tensor>();
  const stack: { node: Node; next: number }[] = [];
  const visit = (t: Tensor) => {
    // a disposed tensor is never silently recomputed from the graph that made it
    if (t.disposed) throw new GraphError(`tensor ${t.describe()} was disposed; it cannot be computed from`);
    if (isInput(t)) {
      if (!seenInput.has(t)) {
        seenInput.add(t);
        inputs.push(t);
      }
      return;
    }
    if (t.node.op === null) {
      throw new GraphError(t.disposed ? `tensor ${t.describe()} was disposed; it cannot be computed from` : `tensor ${t.describe()} is a leaf with no data; it cannot be computed`);
    }
    if (!seenNode.has(t.node)) {
      seenNode.add(t.node);
      stack.push({ node: t.node, next: 0 });
    }
  };
  for (const o of outputs) {
    visit(o);
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      if (top.next < top.node.inputs.length) visit(top.node.inputs[top.next++]);
      else nodes.push(stack.pop()!.node);
    }
  }
  return { nodes, inputs };
}
