/**
 * @file matmulBiasAct: act(a·b + bias), the fused form the planner substitutes for a matmul
 * whose only reader adds a bias along the last axis, or with `rows` along the rows (a
 * convolution's bias per output channel, added after its [N, O, P] → [N, O, OH, OW] reshape),
 * and, optionally, whose sum's only reader is relu, tanh or sigmoid. It is never built by
 * autodiff, so it has no gradient rule.
 * CPU: the matmul reference, then bias and activation per element with the same roundings
 * as the unfused ops, so fusing never changes a CPU result. WebGPU: the tiled matmul with the
 * bias add and the unary table's activation applied as it stores each output.
 */
import type { OpDef } from "./types.ts";
import { matmulDef, matmulDims, matmulLayout } from "./matmul.ts";
import { unaryJs, unaryWgsl } from "./elementwise.ts";
import { matmulPlan } from "./matmul_kernel.ts";
import { wgslType } from "./wgsl.ts";
import { ShapeError, fmtShape } from "../errors.ts";
import { sizeOf } from "../shape.ts";

export type Activation = "none" | "relu" | "tanh" | "sigmoid";

export interface MatmulBiasActAttrs {
  transposeA: boolean;
  transposeB: boolean;
  act: Activation;
  /** bias[i] per row (any shape of M elements) instead of bias[j] per column. */
  rows: boolean;
  /**
   * ReLU's backward fused in instead of a bias: the third input is the ReLU's output y, the
   * shape of the (unbatched) product, and the result is a·b where y > 0, else 0.
   */
  mask?: boolean;
}

export const matmulBiasActDef: OpDef<MatmulBiasActAttrs> = {
  name: "matmulBiasAct",
  infer: ([a, b, bias], attrs) => {
    const [y] = matmulDef.infer([a, b], attrs);
    const { m, n } = matmulDims(a.shape, b.shape, attrs);
    if (attrs.mask) {
      if (y.shape.length !== 2 || bias.shape.join() !== y.shape.join() || bias.dtype !== y.dtype) {
        throw new ShapeError(`matmulBiasAct: the ReLU output ${bias.dtype}${fmtShape(bias.shape)} should be ${y.dtype}${fmtShape(y.shape)}, the unbatched product's shape`);
      }
      return [y];
    }
    const ok = attrs.rows ? sizeOf(bias.shape) === m : bias.shape.length === 1 && bias.shape[0] === n;
    if (!ok || bias.dtype !== y.dtype) {
      throw new ShapeError(`matmulBiasAct: bias ${bias.dtype}${fmtShape(bias.shape)} should be ${y.dtype} with ${attrs.rows ? `${m} elements (one per row)` : `shape [${n}]`}`);
    }
    return [y];
  },
  cpu: (args) => {
    const { inputs: [, , bias], outputs: [y], attrs } = args;
    matmulDef.cpu({ ...args, inputs: args.inputs.slice(0, 2), inShapes: args.inShapes.slice(0, 2) });
    // y already holds the stored a·b; storing the sum rounds it, as the separate add would
    if (attrs.mask) {
      // as reluBackward(dy, y): dy where y > 0, else 0
      for (let i = 0; i < y.length; i++) y[i] = bias[i] > 0 ? y[i] : 0;
      return;
    }
    const act = attrs.act === "none" ? null : unaryJs(attrs.act);
    const { m, n } = matmulDims(args.inShapes[0], args.inShapes[1], attrs);
    for (let i = 0; i < y.length; i++) {
      y[i] += bias[attrs.rows ? Math.floor(i / n) % m : i % n];
      if (act) y[i] = act(y[i]);
    }
  },
  webgpu: ({ inShapes: [as, bs], inDtypes: [dt], attrs, device }) => {
    wgslType(dt, "matmulBiasAct");
    const act = attrs.act === "none" ? "x" : unaryWgsl(attrs.act);
    return matmulPlan("matmulBiasAct", device.matmul, matmulLayout(as, bs, attrs), [{ in: 0 }, { in: 1 }, { out: 0 }], 0, { bias: { in: 2 }, act, rows: attrs.rows, mask: attrs.mask });
  },
};
