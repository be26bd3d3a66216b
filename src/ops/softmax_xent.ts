/**
 * @file Fused softmax + cross-entropy with integer labels, per sample:
 *   loss[i] = log Σⱼ exp(x[i,j]) − x[i, label[i]]       (stable: shifted by the row max)
 *   dlogits[i, j] = (softmax(x)[i, j] − [j = label[i]]) · dy[i]
 * The backward is its own primitive so a backend runs it as one kernel. A label outside
 * [0, C) faults (ops/fault.ts): its row's loss and gradient are NaN and reading the step's
 * results throws IndexError, on both backends.
 */
import { requireFloat } from "../dtype.ts";
import { DTypeError, ShapeError, fmtShape } from "../errors.ts";
import { apply1 } from "../graph/ir.ts";
import type { Tensor } from "../tensor.ts";
import type { FaultRule, OpDef, ValueInfo } from "./types.ts";
import { shaderCall } from "./shaders.ts";
import { raiseFault } from "./fault.ts";

function check(op: string, logits: ValueInfo, labels: ValueInfo): void {
  requireFloat(op, "logits", logits.dtype);
  if (labels.dtype !== "int32") throw new DTypeError(`${op}: labels have dtype ${labels.dtype}, expected int32 class indices`);
  if (logits.shape.length !== 2 || labels.shape.length !== 1 || labels.shape[0] !== logits.shape[0]) {
    throw new ShapeError(`${op}: expected logits [N, C] and labels [N], got logits ${fmtShape(logits.shape)} and labels ${fmtShape(labels.shape)}`);
  }
}

function labelFault(op: string): FaultRule<Record<string, never>> {
  return {
    kind: "index",
    describe: ({ inShapes: [[, c]], value, position }) => `${op}: label ${value} of sample ${position} is outside [0, ${c}) (the logits have ${c} classes)`,
  };
}

/** Row i's max and log Σ exp(x − max). */
function rowStats(x: ArrayLike<number>, i: number, c: number): { m: number; lse: number } {
  let m = -Infinity;
  for (let j = 0; j < c; j++) m = Math.max(m, x[i * c + j]);
  let s = 0;
  for (let j = 0; j < c; j++) s += Math.exp(x[i * c + j] - m);
  return { m, lse: Math.log(s) };
}

export const softmaxCrossEntropyDef: OpDef<Record<string, never>> = {
  name: "softmaxCrossEntropy",
  infer: ([logits, labels]) => {
    check("softmaxCrossEntropy", logits, labels);
    return [{ shape: [logits.shape[0]], dtype: logits.dtype }];
  },
  cpu: ({ inputs: [x, labels], outputs: [loss], inShapes: [[n, c]], status, site }) => {
    for (let i = 0; i < n; i++) {
      if (!(labels[i] >= 0 && labels[i] < c)) {
        raiseFault(status, site, labels[i], i);
        loss[i] = NaN;
        continue;
      }
      const { m, lse } = rowStats(x, i, c);
      loss[i] = m + lse - x[i * c + labels[i]];
    }
  },
  grad: ({ inputs: [logits, labels], dys: [dy] }) => [softmaxCrossEntropyBackward(logits, labels, dy), null],
  webgpu: ({ inShapes: [[n, c]] }) => ({
    calls: [shaderCall("softmaxCrossEntropy", "softmax_xent", [{ in: 0 }, { in: 1 }, { out: 0 }, { status: true }], { R: n, C: c }, { threads: n })],
  }),
  fault: labelFault("softmaxCrossEntropy"),
};

export const softmaxCrossEntropyBackwardDef: OpDef<Record<string, never>> = {
  name: "softmaxCrossEntropyBackward",
  infer: ([logits, labels, dy]) => {
    check("softmaxCrossEntropyBackward", logits, labels);
    if (dy.shape.join() !== labels.shape.join()) throw new ShapeError(`softmaxCrossEntropyBackward: dy ${fmtShape(dy.shape)} should match labels ${fmtShape(labels.shape)}`);
    return [{ shape: logits.shape, dtype: logits.dtype }];
  },
  cpu: ({ inputs: [x, labels, dy], outputs: [dx], inShapes: [[n, c]], status, site }) => {
    for (let i = 0; i < n; i++) {
      if (!(labels[i] >= 0 && labels[i] < c)) {
        raiseFault(status, site, labels[i], i);
        dx.fill(NaN, i * c, i * c + c);
        continue;
      }
      const { m, lse } = rowStats(x, i, c);
      for (let j = 0; j < c; j++) {
        const p = Math.exp(x[i * c + j] - m - lse);
        dx[i * c + j] = (p - (j === labels[i] ? 1 : 0)) * dy[i];
      }
    }
  },
  // one thread per logit; each recomputes its row's statistics (C is small: classes)
  webgpu: ({ inShapes: [[n, c]] }) => ({
    calls: [shaderCall("softmaxCrossEntropyBackward", "softmax_xent_backward", [{ in: 0 }, { in: 1 }, { in: 2 }, { out: 0 }, { status: true }], { N: n * c, C: c }, { threads: n * c })],
  }),
  fault: labelFault("softmaxCrossEntropyBackward"),
};

/** Per-sample cross-entropy of logits [N, C] against int32 labels [N] → [N]. */
export function softmaxCrossEntropy(logits: Tensor, labels: Tensor): Tensor {
  return apply1(softmaxCrossEntropyDef, [logits, labels]);
}

export function softmaxCrossEntropyBackward(logits: Tensor, labels: Tensor, dy: Tensor): Tensor {
  return apply1(softmaxCrossEntropyBackwardDef, [logits, labels, dy]);
}
