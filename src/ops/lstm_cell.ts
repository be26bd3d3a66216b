/**
 * @file The pointwise half of an LSTM step, fused (the two gate matmuls run before it as
 * matmuls). Gate pre-activations come packed as PyTorch packs them, [B, 4H] in order i, f, g, o:
 *   i = σ(gᵢ)  f = σ(g_f)  g = tanh(g_g)  o = σ(g_o)
 *   c' = f·c + i·g         h' = o·tanh(c')
 * With a third input gh (the hidden projection), the gates are gates + gh, summed in the kernel
 * (as the separate add would, in the tensor's precision): a step is one dispatch, not two.
 * Backward, with dc' = dc + dh·o·(1 − tanh²c'):
 *   dgᵢ = dc'·g·i(1−i)   dg_f = dc'·c·f(1−f)   dg_g = dc'·i·(1−g²)   dg_o = dh·tanh(c')·o(1−o)
 *   dc = dc'·f
 */
import { requireFloat } from "../dtype.ts";
import { ShapeError, fmtShape } from "../errors.ts";
import { apply } from "../graph/ir.ts";
import type { Tensor } from "../tensor.ts";
import type { BufferRef, OpDef, ValueInfo } from "./types.ts";
import type { TypedArray } from "../dtype.ts";
import { shaderCall } from "./shaders.ts";

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/** The gate pre-activations: gates, or gates + gh rounded to the tensors' precision as an add stores it. */
function preActivations(gates: TypedArray, gh: TypedArray | undefined): ArrayLike<number> {
  if (!gh) return gates;
  const sum = gates.slice();
  for (let j = 0; j < sum.length; j++) sum[j] = gates[j] + gh[j];
  return sum;
}

function checkHidden(op: string, gates: ValueInfo, gh: ValueInfo | undefined): void {
  if (gh && (gh.shape.join() !== gates.shape.join() || gh.dtype !== gates.dtype)) {
    throw new ShapeError(`${op}: the hidden projection ${gh.dtype}${fmtShape(gh.shape)} should match the gates ${gates.dtype}${fmtShape(gates.shape)}`);
  }
}

function checkGates(op: string, gates: ValueInfo, c: ValueInfo): void {
  requireFloat(op, "gates", gates.dtype);
  const [b, h] = c.shape;
  if (c.shape.length !== 2 || gates.shape.length !== 2 || gates.shape[0] !== b || gates.shape[1] !== 4 * h) {
    throw new ShapeError(`${op}: expected gates [B, 4H] and c [B, H], got gates ${fmtShape(gates.shape)} and c ${fmtShape(c.shape)}`);
  }
}

export const lstmCellDef: OpDef<Record<string, never>> = {
  name: "lstmCell",
  infer: ([gates, c, gh]) => {
    checkGates("lstmCell", gates, c);
    checkHidden("lstmCell", gates, gh);
    return [{ shape: c.shape, dtype: c.dtype }, { shape: c.shape, dtype: c.dtype }];
  },
  cpu: ({ inputs: [given, c, gh], outputs: [hOut, cOut], inShapes: [, [b, h]] }) => {
    const gates = preActivations(given, gh);
    for (let n = 0; n < b; n++) {
      const row = n * 4 * h;
      for (let k = 0; k < h; k++) {
        const i = sigmoid(gates[row + k]);
        const f = sigmoid(gates[row + h + k]);
        const g = Math.tanh(gates[row + 2 * h + k]);
        const o = sigmoid(gates[row + 3 * h + k]);
        const cNew = f * c[n * h + k] + i * g;
        cOut[n * h + k] = cNew;
        hOut[n * h + k] = o * Math.tanh(cNew);
      }
    }
  },
  // with gh, its gradient is the gates' (their sum's)
  grad: ({ inputs: [gates, c, gh], dys: [dh, dc] }) => {
    const [dGates, dcPrev] = lstmCellBackward(gates, c, dh, dc, gh);
    return gh ? [dGates, dcPrev, dGates] : [dGates, dcPrev];
  },
  webgpu: ({ inShapes }) => {
    const [b, h] = inShapes[1];
    const two = inShapes.length === 3;
    return { calls: [shaderCall("lstmCell", "lstm_cell", [{ in: 0 }, { in: 1 }, { out: 0 }, { out: 1 }, { in: two ? 2 : 0 }], { N: b * h, H: h, TWO: two ? 1 : 0 }, { threads: b * h })] };
  },
};

export const lstmCellBackwardDef: OpDef<Record<string, never>> = {
  name: "lstmCellBackward",
  infer: ([gates, c, dh, dc, gh]) => {
    checkGates("lstmCellBackward", gates, c);
    checkHidden("lstmCellBackward", gates, gh);
    for (const d of [dh, dc]) {
      if (d.shape.join() !== c.shape.join()) throw new ShapeError(`lstmCellBackward: cotangent ${fmtShape(d.shape)} should match c ${fmtShape(c.shape)}`);
    }
    return [{ shape: gates.shape, dtype: gates.dtype }, { shape: c.shape, dtype: c.dtype }];
  },
  // recomputes the gates from their pre-activations rather than saving four more tensors
  cpu: ({ inputs: [given, c, dh, dc, gh], outputs: [dGates, dcPrev], inShapes: [, [b, h]] }) => {
    const gates = preActivations(given, gh);
    for (let n = 0; n < b; n++) {
      const row = n * 4 * h;
      for (let k = 0; k < h; k++) {
        const s = n * h + k;
        const i = sigmoid(gates[row + k]);
        const f = sigmoid(gates[row + h + k]);
        const g = Math.tanh(gates[row + 2 * h + k]);
        const o = sigmoid(gates[row + 3 * h + k]);
        const tc = Math.tanh(f * c[s] + i * g);
        const dcTotal = dc[s] + dh[s] * o * (1 - tc * tc);
        dGates[row + k] = dcTotal * g * i * (1 - i);
        dGates[row + h + k] = dcTotal * c[s] * f * (1 - f);
        dGates[row + 2 * h + k] = dcTotal * i * (1 - g * g);
        dGates[row + 3 * h + k] = dh[s] * tc * o * (1 - o);
        dcPrev[s] = dcTotal * f;
      }
    }
  },
  webgpu: ({ inShapes }) => {
    const [b, h] = inShapes[1];
    const two = inShapes.length === 5;
    const bindings: BufferRef[] = [{ in: 0 }, { in: 1 }, { in: 2 }, { in: 3 }, { out: 0 }, { out: 1 }, { in: two ? 4 : 0 }];
    return { calls: [shaderCall("lstmCellBackward", "lstm_cell_backward", bindings, { N: b * h, H: h, TWO: two ? 1 : 0 }, { threads: b * h })] };
  },
};

/**
 * One LSTM state update from packed gate pre-activations.
 * @param gates [B, 4H] = x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh, gate order i, f, g, o (or, with
 *   `gh`, the input projection x·W_ihᵀ + b_ih alone)
 * @param c [B, H] previous cell state
 * @param gh [B, 4H] the hidden projection h·W_hhᵀ + b_hh, added in the kernel
 * @returns [h', c'], each [B, H]
 */
export function lstmCell(gates: Tensor, c: Tensor, gh?: Tensor): [Tensor, Tensor] {
  const [h, cNew] = apply(lstmCellDef, gh ? [gates, c, gh] : [gates, c]);
  return [h, cNew];
}

export function lstmCellBackward(gates: Tensor, c: Tensor, dh: Tensor, dc: Tensor, gh?: Tensor): [Tensor, Tensor] {
  const [dGates, dcPrev] = apply(lstmCellBackwardDef, gh ? [gates, c, dh, dc, gh] : [gates, c, dh, dc]);
  return [dGates, dcPrev];
}
