/**
 * @file ONNX export of the shipped models, for inference elsewhere (onnxruntime, …):
 * LeNet-5 (modern: Conv, Relu, MaxPool; classic: Tanh, AveragePool), the VGG-style CNN, the LSTM row classifier
 * and the text classifier (Gather, a bidirectional ONNX LSTM or GRU, the masked mean) and its
 * bag-of-words baseline. Opset 17, float32, the batch dimension named "N".
 *
 * Encoding is protobufjs's (an optional dependency, loaded when exporting); the schema below is
 * the part of onnx.proto (github.com/onnx/onnx, onnx/onnx.proto) these graphs use, with the
 * same field numbers. Recurrent weights are converted from PyTorch's layout: gates i,f,g,o
 * (LSTM) become ONNX's i,o,f,c; r,z,n (GRU) become z,r,h, with linear_before_reset = 1,
 * which is PyTorch's GRU; W and R stack the directions, B is [Wb, Rb] per direction.
 */
import { FormatError } from "../errors.ts";
import type { Module } from "../nn/module.ts";
import type { Tensor } from "../tensor.ts";

/** onnx.proto's messages and field numbers, as a protobufjs JSON schema. */
const SCHEMA = {
  nested: {
    onnx: {
      nested: {
        ModelProto: { fields: { irVersion: { type: "int64", id: 1 }, opsetImport: { rule: "repeated", type: "OperatorSetIdProto", id: 8 }, producerName: { type: "string", id: 2 }, producerVersion: { type: "string", id: 3 }, docString: { type: "string", id: 6 }, graph: { type: "GraphProto", id: 7 } } },
        OperatorSetIdProto: { fields: { domain: { type: "string", id: 1 }, version: { type: "int64", id: 2 } } },
        GraphProto: { fields: { node: { rule: "repeated", type: "NodeProto", id: 1 }, name: { type: "string", id: 2 }, initializer: { rule: "repeated", type: "TensorProto", id: 5 }, docString: { type: "string", id: 10 }, input: { rule: "repeated", type: "ValueInfoProto", id: 11 }, output: { rule: "repeated", type: "ValueInfoProto", id: 12 } } },
        NodeProto: { fields: { input: { rule: "repeated", type: "string", id: 1 }, output: { rule: "repeated", type: "string", id: 2 }, name: { type: "string", id: 3 }, opType: { type: "string", id: 4 }, attribute: { rule: "repeated", type: "AttributeProto", id: 5 } } },
        AttributeProto: { fields: { name: { type: "string", id: 1 }, f: { type: "float", id: 2 }, i: { type: "int64", id: 3 }, s: { type: "bytes", id: 4 }, floats: { rule: "repeated", type: "float", id: 7 }, ints: { rule: "repeated", type: "int64", id: 8 }, type: { type: "int32", id: 20 } } },
        TensorProto: { fields: { dims: { rule: "repeated", type: "int64", id: 1 }, dataType: { type: "int32", id: 2 }, name: { type: "string", id: 8 }, rawData: { type: "bytes", id: 9 } } },
        ValueInfoProto: { fields: { name: { type: "string", id: 1 }, type: { type: "TypeProto", id: 2 } } },
        TypeProto: { fields: { tensorType: { type: "TypeProtoTensor", id: 1 } } },
        TypeProtoTensor: { fields: { elemType: { type: "int32", id: 1 }, shape: { type: "TensorShapeProto", id: 2 } } },
        TensorShapeProto: { fields: { dim: { rule: "repeated", type: "Dimension", id: 1 } } },
        Dimension: { fields: { dimValue: { type: "int64", id: 1 }, dimParam: { type: "string", id: 2 } } },
      },
    },
  },
};

/** onnx.proto's TensorProto.DataType and AttributeProto.AttributeType values used here. */
const FLOAT = 1, INT32 = 6, INT64 = 7;
const ATTR = { FLOAT: 1, INT: 2, STRING: 3, INTS: 7 } as const;

type Attr = number | string | number[] | { float: number };
interface Node { opType: string; input: string[]; output: string[]; attrs?: Record<string, Attr> }
interface Init { name: string; dims: number[]; type: typeof FLOAT | typeof INT64; data: Float32Array | BigInt64Array }

/** A graph under construction: nodes, weights (initializers) and fresh value names. */
class Graph {
  nodes: Node[] = [];
  inits: Init[] = [];
  private n = 0;

  /** Adds a node; returns its (first) output's name. */
  op(opType: string, input: string[], attrs?: Record<string, Attr>, outputs = 1): string {
    const output = Array.from({ length: outputs }, () => `${opType.toLowerCase()}_${this.n++}`);
    this.nodes.push({ opType, input, output, attrs });
    return output[0];
  }

  /** The outputs of the last node added. */
  get last(): string[] { return this.nodes[this.nodes.length - 1].output; }

  weight(name: string, dims: number[], data: Float32Array): string {
    this.inits.push({ name, dims, type: FLOAT, data });
    return name;
  }

  ints(values: number[]): string {
    const name = `const_${this.n++}`;
    this.inits.push({ name, dims: [values.length], type: INT64, data: BigInt64Array.from(values, BigInt) });
    return name;
  }

  scalar(value: number): string {
    const name = `const_${this.n++}`;
    this.inits.push({ name, dims: [], type: FLOAT, data: Float32Array.of(value) });
    return name;
  }
}

/** The model's tensors by stateDict name, read once (float32). */
async function weightsOf(model: Module): Promise<Map<string, { shape: number[]; data: Float32Array }>> {
  const out = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const [k, t] of model.stateDict() as Map<string, Tensor>) out.set(k, { shape: [...t.shape], data: Float32Array.from(await t.data()) });
  return out;
}

/** Rows of `w` ([G·H, …]) regrouped: block k of the result is block order[k] of `w`. */
function regate(w: Float32Array, gates: number, order: number[]): Float32Array {
  const block = w.length / gates, out = new Float32Array(w.length);
  order.forEach((src, k) => out.set(w.subarray(src * block, (src + 1) * block), k * block));
  return out;
}

/** A PyTorch-layout LSTM or GRU layer 0 (both directions if present) as one ONNX node; returns Y's name. */
function recurrent(g: Graph, w: Map<string, { shape: number[]; data: Float32Array }>, prefix: string, cell: "lstm" | "gru", x: string, hidden: number): { y: string; yh: string; directions: number } {
  const gates = cell === "lstm" ? 4 : 3;
  const order = cell === "lstm" ? [0, 3, 1, 2] : [1, 0, 2]; // ONNX i,o,f,c from i,f,g,o; z,r,h from r,z,n
  const dirs = w.has(`${prefix}weight_ih_l0_reverse`) ? ["", "_reverse"] : [""];
  const get = (name: string) => {
    const t = w.get(`${prefix}${name}`);
    if (!t) throw new FormatError(`exportOnnx: the ${cell.toUpperCase()} has no ${prefix}${name}; only a one-layer recurrent layer with biases is exported`);
    return t;
  };
  if (w.has(`${prefix}weight_ih_l1`)) throw new FormatError(`exportOnnx: ${prefix} has more than one layer; export supports one`);
  const input = get("weight_ih_l0").shape[1];
  const cat = (parts: Float32Array[]) => { const o = new Float32Array(parts.reduce((n, p) => n + p.length, 0)); let at = 0; for (const p of parts) { o.set(p, at); at += p.length; } return o; };
  const W = g.weight(`${prefix}W`, [dirs.length, gates * hidden, input], cat(dirs.map((d) => regate(get(`weight_ih_l0${d}`).data, gates, order))));
  const R = g.weight(`${prefix}R`, [dirs.length, gates * hidden, hidden], cat(dirs.map((d) => regate(get(`weight_hh_l0${d}`).data, gates, order))));
  const B = g.weight(`${prefix}B`, [dirs.length, 2 * gates * hidden], cat(dirs.flatMap((d) => [regate(get(`bias_ih_l0${d}`).data, gates, order), regate(get(`bias_hh_l0${d}`).data, gates, order)])));
  const attrs: Record<string, Attr> = { hidden_size: hidden, direction: dirs.length === 2 ? "bidirectional" : "forward" };
  if (cell === "gru") attrs.linear_before_reset = 1;
  g.op(cell === "lstm" ? "LSTM" : "GRU", [x, W, R, B], attrs, 2);
  const [y, yh] = g.last;
  return { y, yh, directions: dirs.length };
}

/** A Linear layer ([out, in] weight) as Gemm with transB. */
function linear(g: Graph, w: Map<string, { shape: number[]; data: Float32Array }>, name: string, x: string): string {
  const wt = w.get(`${name}.weight`)!, b = w.get(`${name}.bias`)!;
  return g.op("Gemm", [x, g.weight(`${name}.weight`, wt.shape, wt.data), g.weight(`${name}.bias`, b.shape, b.data)], { transB: 1 });
}

export interface OnnxInput { name: string; type: "float32" | "int32"; /** "N": the batch, "L": the tokens per text */ shape: (number | "N" | "L")[] }

/** The graph of one of the shipped models, by its checkpoint kind. */
async function build(model: Module, kind: string): Promise<{ g: Graph; input: OnnxInput; output: string; classes: number }> {
  const w = await weightsOf(model);
  const g = new Graph();
  if (kind === "lenet5") {
    const variant = (model as unknown as { variant: string }).variant;
    const act = variant === "modern" ? "Relu" : "Tanh", pool = variant === "modern" ? "MaxPool" : "AveragePool";
    const conv = (name: string, x: string, pad: number) => g.op("Conv", [x, g.weight(`${name}.weight`, w.get(`${name}.weight`)!.shape, w.get(`${name}.weight`)!.data), g.weight(`${name}.bias`, w.get(`${name}.bias`)!.shape, w.get(`${name}.bias`)!.data)], { kernel_shape: [5, 5], pads: [pad, pad, pad, pad] });
    let h = g.op(pool, [g.op(act, [conv("conv1", "input", 2)])], { kernel_shape: [2, 2], strides: [2, 2] });
    h = g.op(pool, [g.op(act, [conv("conv2", h, 0)])], { kernel_shape: [2, 2], strides: [2, 2] });
    h = g.op(act, [linear(g, w, "fc1", g.op("Flatten", [h], { axis: 1 }))]);
    h = g.op(act, [linear(g, w, "fc2", h)]);
    const classes = w.get("fc3.weight")!.shape[0];
    return { g, input: { name: "input", type: "float32", shape: ["N", 1, 28, 28] }, output: linear(g, w, "fc3", h), classes };
  }
  if (kind === "vgg") {
    // blocks of (Conv 3×3 pad 1, Relu) × 2 and a 2×2 MaxPool; then Gemm, Relu, (dropout: identity at inference), Gemm
    let h = "input";
    for (let b = 1; w.has(`conv${b}_1.weight`); b++) {
      for (const k of [1, 2]) {
        const name = `conv${b}_${k}`, wt = w.get(`${name}.weight`)!, bias = w.get(`${name}.bias`)!;
        h = g.op("Relu", [g.op("Conv", [h, g.weight(`${name}.weight`, wt.shape, wt.data), g.weight(`${name}.bias`, bias.shape, bias.data)], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] })]);
      }
      h = g.op("MaxPool", [h], { kernel_shape: [2, 2], strides: [2, 2] });
    }
    h = g.op("Relu", [linear(g, w, "fc1", g.op("Flatten", [h], { axis: 1 }))]);
    return { g, input: { name: "input", type: "float32", shape: ["N", 1, 28, 28] }, output: linear(g, w, "fc2", h), classes: w.get("fc2.weight")!.shape[0] };
  }
  if (kind === "lstm") {
    const hidden = w.get("lstm.weight_hh_l0")!.shape[1];
    const cell = w.get("lstm.weight_hh_l0")!.shape[0] === 3 * hidden ? "gru" : "lstm";
    // [N, 1, 28, 28] → [28, N, 28]: the rows are the time steps
    const seq = g.op("Transpose", [g.op("Squeeze", ["input", g.ints([1])])], { perm: [1, 0, 2] });
    const { yh } = recurrent(g, w, "lstm.", cell, seq, hidden);
    const classes = w.get("fc.weight")!.shape[0];
    return { g, input: { name: "input", type: "float32", shape: ["N", 1, 28, 28] }, output: linear(g, w, "fc", g.op("Squeeze", [yh, g.ints([0])])), classes };
  }
  if (kind === "textclf" || kind === "bow") {
    const emb = w.get("embedding.weight")!;
    const tokens = "tokens";
    const rows = g.op("Gather", [g.weight("embedding.weight", emb.shape, emb.data), tokens]); // [N, L, E]
    // the mask of real tokens (id 0 is padding) [N, L, 1] and their count, at least 1
    const mask = g.op("Unsqueeze", [g.op("Cast", [g.op("Not", [g.op("Equal", [tokens, g.op("Cast", [g.ints([0])], { to: INT32 })])])], { to: FLOAT }), g.ints([2])]);
    const count = g.op("Max", [g.op("ReduceSum", [mask, g.ints([1])], { keepdims: 0 }), g.scalar(1)]);
    const mean = (x: string) => g.op("Div", [g.op("ReduceSum", [g.op("Mul", [x, mask]), g.ints([1])], { keepdims: 0 }), count]);
    if (kind === "bow") {
      const b = w.get("bias")!;
      return { g, input: { name: tokens, type: "int32", shape: ["N", "L"] }, output: g.op("Add", [mean(rows), g.weight("bias", b.shape, b.data)]), classes: b.shape[0] };
    }
    const hidden = w.get("rnn.weight_hh_l0")!.shape[1];
    const cell = w.get("rnn.weight_hh_l0")!.shape[0] === 3 * hidden ? "gru" : "lstm";
    const { y, directions } = recurrent(g, w, "rnn.", cell, g.op("Transpose", [rows], { perm: [1, 0, 2] }), hidden);
    // Y [L, D, N, H] → [N, L, D·H], as the batch-first output our layer returns
    const out = g.op("Reshape", [g.op("Transpose", [y], { perm: [2, 0, 1, 3] }), g.ints([0, 0, directions * hidden])]);
    const classes = w.get("fc.weight")!.shape[0];
    return { g, input: { name: tokens, type: "int32", shape: ["N", "L"] }, output: linear(g, w, "fc", mean(out)), classes };
  }
  throw new FormatError(`exportOnnx: no ONNX export for a ${JSON.stringify(kind)} model; lenet5, vgg, lstm, textclf and bow are exported`);
}

/**
 * The model as an ONNX file (bytes), with its input and output names: `kind` is the
 * checkpoint's `model` metadata (lenet5, lstm, textclf, bow). Needs the protobufjs package.
 */
export async function exportOnnx(model: Module, kind: string, docString = ""): Promise<{ bytes: Uint8Array; input: OnnxInput; output: string }> {
  const pb = await import("protobufjs").catch(() => {
    throw new FormatError("exportOnnx: ONNX export needs the protobufjs package (npm install protobufjs)");
  });
  const { g, input, output, classes } = await build(model, kind);
  const root = (pb.default ?? pb).Root.fromJSON(SCHEMA);
  const Model = root.lookupType("onnx.ModelProto");
  const attr = (name: string, v: Attr) =>
    typeof v === "string" ? { name, type: ATTR.STRING, s: new TextEncoder().encode(v) }
      : Array.isArray(v) ? { name, type: ATTR.INTS, ints: v }
      : typeof v === "object" ? { name, type: ATTR.FLOAT, f: v.float } : { name, type: ATTR.INT, i: v };
  const dims = (shape: (number | string)[]) => ({ dim: shape.map((d) => (typeof d === "number" ? { dimValue: d } : { dimParam: d })) });
  const value = (name: string, elemType: number, shape: (number | string)[]) => ({ name, type: { tensorType: { elemType, shape: dims(shape) } } });
  const message = {
    irVersion: 8, producerName: "webgpu-dl", producerVersion: "0.1.0", docString, opsetImport: [{ domain: "", version: 17 }],
    graph: {
      name: kind,
      node: g.nodes.map((n, k) => ({ name: `${n.opType}_${k}`, opType: n.opType, input: n.input, output: n.output, attribute: Object.entries(n.attrs ?? {}).map(([a, v]) => attr(a, v)) })),
      initializer: g.inits.map((t) => ({ name: t.name, dims: t.dims, dataType: t.type, rawData: new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength) })),
      input: [value(input.name, input.type === "int32" ? INT32 : FLOAT, input.shape)],
      output: [value("logits", FLOAT, ["N", classes])],
    },
  };
  // the graph's last value is named "logits"
  for (const n of message.graph.node) n.output = n.output.map((o) => (o === output ? "logits" : o));
  const err = Model.verify(message);
  if (err) throw new FormatError(`exportOnnx: ${err}`);
  return { bytes: Model.encode(Model.create(message)).finish(), input, output: "logits" };
}
