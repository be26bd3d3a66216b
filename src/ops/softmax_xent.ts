/**
 * @file Fused softmax + cross-entropy with integer labels, per sample:
 *   loss[i] = log Σⱼ exp(x[i,j]) − x[i, label[i]]       (stable: shifted by the row max)
 *   dlogits[i, j] = (softmax(x)[i, j] − [j = label[i]]) · dy[i]
 * With `reduction: "mean"` or `"sum"` the op returns the scalar mean or sum of those in one
 * kernel (a workgroup tree reduction) and its backward reads the one cotangent, scaled: the
 * mean loss of a batch costs two dispatches, not six (per-sample loss, sum, division, and
 * backward a division, an expand and the per-logit kernel).
 * The backward is its own primitive so a backend runs it as one kernel. A label outside
 * [0, C) faults (ops/fault.ts): its row's loss and gradient are NaN (a reduced loss is NaN)
 * and reading the step's results throws IndexError, on both backends.
 */
import { requireFloat } from "../dtype.ts";
import { DTypeError, ShapeError, fmtShape } from "../errors.ts";
import { apply1 } from "../graph/ir.ts";
import type { Tensor } from "../tensor.ts";
import type { BufferRef, FaultRule, OpDef, ValueInfo } from "./types.ts";
import { reduceKernel } from "./strided_kernels.ts";
import { shaderCall } from "./shaders.ts";
import { raiseFault } from "./fault.ts";

export interface XentAttrs {
  /** "none": a loss per sample [N]; "mean" / "sum": their mean or sum, a scalar. */
  reduction: "none" | "mean" | "sum";
}

function check(op: string, logits: ValueInfo, labels: ValueInfo): void {
  requireFloat(op, "logits", logits.dtype);
  if (labels.dtype !== "int32") throw new DTypeError(`${op}: labels have dtype ${labels.dtype}, expected int32 class indices`);
  if (logits.shape.length !== 2 || labels.shape.length !== 1 || labels.shape[0] !== logits.shape[0]) {
    throw new ShapeError(`${op}: expected logits [N, C] and labels [N], got logits ${fmtShape(logits.shape)} and labels ${fmtShape(labels.shape)}`);
  }
}

function labelFault(op: string): FaultRule<XentAttrs> {
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

/** What the reduced loss and its backward scale the sum by (the mean of no rows is NaN, as in PyTorch). */
const scaleOf = ({ reduction }: XentAttrs, n: number) => (reduction === "mean" ? 1 / n : 1);
/** The same for a kernel: an override must be finite, so no rows gets 0 and NAN_OUT instead. */
const kernelScale = (a: XentAttrs, n: number): Record<string, number> => (n === 0 ? { SCALE: 0, NAN_OUT: a.reduction === "mean" ? 1 : 0 } : { SCALE: scaleOf(a, n) });

export const softmaxCrossEntropyDef: OpDef<XentAttrs> = {
  name: "softmaxCrossEntropy",
  infer: ([logits, labels], a) => {
    check("softmaxCrossEntropy", logits, labels);
    return [{ shape: a.reduction === "none" ? [logits.shape[0]] : [], dtype: logits.dtype }];
  },
  cpu: ({ inputs: [x, labels], outputs: [loss], inShapes: [[n, c]], attrs, status, site }) => {
    let sum = 0;
    for (let i = 0; i < n; i++) {
      let li = NaN;
      if (!(labels[i] >= 0 && labels[i] < c)) raiseFault(status, site, labels[i], i);
      else {
        const { m, lse } = rowStats(x, i, c);
        li = m + lse - x[i * c + labels[i]];
      }
      if (attrs.reduction === "none") loss[i] = li;
      else sum += li;
    }
    if (attrs.reduction !== "none") loss[0] = sum * scaleOf(attrs, n);
  },
  grad: ({ inputs: [logits, labels], dys: [dy], attrs }) => [softmaxCrossEntropyBackward(logits, labels, dy, attrs), null],
  // a GPU with many classes: a workgroup per row (softmax_xent_rows.wgsl), reduced by a tree
  // sum of the scaled row losses; otherwise a thread per row, reduced in one workgroup
  webgpu: ({ inShapes: [[n, c]], attrs, device }) => {
    const bindings = [{ in: 0 }, { in: 1 }, { out: 0 }, { status: true as const }];
    const rows = (loss: BufferRef, scale: number) => shaderCall("softmaxCrossEntropy/rows", "softmax_xent_rows", [{ in: 0 }, { in: 1 }, loss, { status: true }], { R: n, C: c, SCALE: scale }, { workgroups: rowGrid(n) });
    if (device.matmul === "tiled" && c >= XENT_ROWS_MIN && n > 0) {
      if (attrs.reduction === "none") return { calls: [rows({ out: 0 }, 1)] };
      const sum = reduceKernel("softmaxCrossEntropy/sum", [n], [0], "f32", "0.0", "acc + v", device);
      return { scratch: [n * 4], calls: [rows({ scratch: 0 }, scaleOf(attrs, n)), { ...sum, bindings: [{ scratch: 0 }, { out: 0 }] }] };
    }
    return attrs.reduction === "none"
      ? { calls: [shaderCall("softmaxCrossEntropy", "softmax_xent", bindings, { R: n, C: c }, { threads: n })] }
      : { calls: [shaderCall("softmaxCrossEntropy", "softmax_xent_sum", bindings, { R: n, C: c, ...kernelScale(attrs, n) }, { workgroups: [1, 1, 1] }, { each: { G: 0 } })] };
  },
  fault: labelFault("softmaxCrossEntropy"),
};

export const softmaxCrossEntropyBackwardDef: OpDef<XentAttrs> = {
  name: "softmaxCrossEntropyBackward",
  infer: ([logits, labels, dy], a) => {
    check("softmaxCrossEntropyBackward", logits, labels);
    const want = a.reduction === "none" ? labels.shape : [];
    if (dy.shape.join() !== want.join() || dy.shape.length !== want.length) {
      throw new ShapeError(`softmaxCrossEntropyBackward: dy ${fmtShape(dy.shape)} should be ${fmtShape(want)} (reduction ${a.reduction})`);
    }
    return [{ shape: logits.shape, dtype: logits.dtype }];
  },
  cpu: ({ inputs: [x, labels, dy], outputs: [dx], inShapes: [[n, c]], attrs, status, site }) => {
    const perRow = attrs.reduction === "none";
    const scale = scaleOf(attrs, n);
    for (let i = 0; i < n; i++) {
      if (!(labels[i] >= 0 && labels[i] < c)) {
        raiseFault(status, site, labels[i], i);
        dx.fill(NaN, i * c, i * c + c);
        continue;
      }
      const { m, lse } = rowStats(x, i, c);
      for (let j = 0; j < c; j++) {
        const p = Math.exp(x[i * c + j] - m - lse);
        dx[i * c + j] = (p - (j === labels[i] ? 1 : 0)) * (perRow ? dy[i] : dy[0] * scale);
      }
    }
  },
  webgpu: ({ inShapes: [[n, c]], attrs }) => {
    const reduced: Record<string, number> = attrs.reduction === "none" ? {} : { DYS: 0, SCALE: kernelScale(attrs, n).SCALE };
    const bindings = [{ in: 0 }, { in: 1 }, { in: 2 }, { out: 0 }, { status: true as const }];
    return { calls: [shaderCall("softmaxCrossEntropyBackward", "softmax_xent_backward", bindings, { R: n, C: c, ...reduced }, { workgroups: rowGrid(n) })] };
  },
  fault: labelFault("softmaxCrossEntropyBackward"),
};

/** Classes from which a GPU computes the forward with a workgroup per row (softmax_xent_rows.wgsl). */
export const XENT_ROWS_MIN = 256;

/** One workgroup per row, folded into a second grid dimension past the per-dimension limit. */
function rowGrid(n: number): [number, number, number] {
  return [Math.min(n, 65535), Math.ceil(n / 65535), 1];
}

/** The most logits the planner fuses a reduced loss and its backward for (one workgroup does it all). */
export const XENT_FUSED_MAX = 1 << 14;

/**
 * A reduced softmax cross-entropy and its backward over the same logits as one step:
 * (logits, labels, dy) → [loss, dlogits], what softmaxCrossEntropy and
 * softmaxCrossEntropyBackward compute. Made only by the planner (graph/fuse.ts), for problems of
 * at most XENT_FUSED_MAX logits, after autodiff: not differentiated.
 */
export const softmaxCrossEntropyWithGradDef: OpDef<XentAttrs> = {
  name: "softmaxCrossEntropyWithGrad",
  infer: ([logits, labels, dy], a) => {
    if (a.reduction === "none") throw new ShapeError("softmaxCrossEntropyWithGrad: fuses a reduced loss (mean or sum) only, got reduction none");
    const [lossInfo] = softmaxCrossEntropyDef.infer([logits, labels], a);
    const [dxInfo] = softmaxCrossEntropyBackwardDef.infer([logits, labels, dy], a);
    return [lossInfo, dxInfo];
  },
  // the two reference loops, as they run unfused
  cpu: (args) => {
    softmaxCrossEntropyDef.cpu({ ...args, inputs: args.inputs.slice(0, 2), outputs: [args.outputs[0]] });
    softmaxCrossEntropyBackwardDef.cpu({ ...args, outputs: [args.outputs[1]] });
  },
  webgpu: ({ inShapes: [[n, c]], attrs }) => {
    // shaders/softmax_xent_sum.wgsl with the gradient lines (G = 1)
    const bindings = [{ in: 0 }, { in: 1 }, { out: 0 }, { status: true as const }, { in: 2 }, { out: 1 }];
    return { calls: [shaderCall("softmaxCrossEntropyWithGrad", "softmax_xent_sum", bindings, { R: n, C: c, ...kernelScale(attrs, n) }, { workgroups: [1, 1, 1] }, { each: { G: 1 } })] };
  },
  fault: labelFault("softmaxCrossEntropy"),
};

/**
 * Cross-entropy of logits [N, C] against int32 labels [N]: per sample → [N] (the default), or
 * their mean or sum → a scalar, fused.
 */
export function softmaxCrossEntropy(logits: Tensor, labels: Tensor, reduction: XentAttrs["reduction"] = "none"): Tensor {
  return apply1(softmaxCrossEntropyDef, [logits, labels], { reduction });
}

export function softmaxCrossEntropyBackward(logits: Tensor, labels: Tensor, dy: Tensor, attrs: XentAttrs = { reduction: "none" }): Tensor {
  return apply1(softmaxCrossEntropyBackwardDef, [logits, labels, dy], attrs);
}
