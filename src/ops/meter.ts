/**
 * @file `trainMeter`: a training step's running sums on the device, so that a training loop
 * reads them every few steps instead of reading the loss and the logits every step:
 *   stats' = stats + (ok ≠ 0 ? [loss, correct, examples, 1, 0] : [0, 0, 0, 0, 1])
 * with stats = [loss sum, correct, examples, steps, skipped steps] (METER_FIELDS), `ok` the
 * step's guard (ops/guard.ts: a skipped step adds nothing but its count), `correct` the rows of
 * logits [..., C] whose first largest value is at the label (as `argmaxRows`), `examples` the
 * batch (y's first axis). One kernel (shaders/train_meter.wgsl); not differentiated.
 */
import { requireFloat } from "../dtype.ts";
import { DTypeError, ShapeError, fmtShape } from "../errors.ts";
import { apply1 } from "../graph/ir.ts";
import { sizeOf } from "../shape.ts";
import type { Tensor } from "../tensor.ts";
import type { BufferRef, OpDef } from "./types.ts";
import { shaderCall } from "./shaders.ts";

/** What each element of a meter holds. */
export const METER_FIELDS = ["lossSum", "correct", "examples", "steps", "skipped"] as const;

export interface MeterAttrs {
  /** Count correct rows (classifiers); false for language models. */
  accuracy: boolean;
}

export const trainMeterDef: OpDef<MeterAttrs> = {
  name: "trainMeter",
  infer: ([stats, loss, logits, y, ok], attrs) => {
    const need = (cond: boolean, what: string) => {
      if (!cond) throw new ShapeError(`trainMeter: ${what} (got stats ${fmtShape(stats.shape)}, loss ${fmtShape(loss.shape)}, logits ${fmtShape(logits.shape)}, y ${fmtShape(y.shape)}, ok ${fmtShape(ok.shape)})`);
    };
    need(sizeOf(stats.shape) === METER_FIELDS.length && stats.shape.length === 1, `stats must be [${METER_FIELDS.length}]`);
    need(sizeOf(loss.shape) === 1 && sizeOf(ok.shape) === 1, "loss and ok must have one element each");
    const c = logits.shape[logits.shape.length - 1];
    need(y.shape.length >= 1, "y must have a batch axis");
    // only counting correct rows reads the logits (a loss meter takes any outputs: BCE's match y)
    if (attrs.accuracy) need(logits.shape.length >= 1 && c > 0 && sizeOf(logits.shape) === sizeOf(y.shape) * c, "logits must be [..., C] with one row per label");
    requireFloat("trainMeter", "stats", stats.dtype);
    if (y.dtype !== "int32") throw new DTypeError(`trainMeter: labels have dtype ${y.dtype}, expected int32`);
    for (const [what, t] of [["loss", loss], ["logits", logits], ["ok", ok]] as const) {
      if (t.dtype !== stats.dtype) throw new DTypeError(`trainMeter: ${what} has dtype ${t.dtype}, stats ${stats.dtype}`);
    }
    return [{ shape: [...stats.shape], dtype: stats.dtype }];
  },
  cpu: ({ inputs: [stats, [loss], logits, y, [ok]], outputs: [out], inShapes: [, , ls, ys], attrs }) => {
    const c = ls[ls.length - 1];
    let correct = 0;
    if (attrs.accuracy) {
      for (let r = 0; r < y.length; r++) {
        let best = 0;
        for (let j = 1; j < c; j++) if (logits[r * c + j] > logits[r * c + best]) best = j;
        if (best === y[r]) correct++;
      }
    }
    const good = ok !== 0;
    const add = good ? [loss, correct, ys[0], 1, 0] : [0, 0, 0, 0, 1];
    for (let k = 0; k < METER_FIELDS.length; k++) out[k] = stats[k] + add[k];
  },
  webgpu: ({ inShapes: [, , ls, ys], inDtypes: [dt], attrs }) => {
    requireFloat("trainMeter", "stats", dt);
    const c = ls[ls.length - 1];
    const constants = { ROWS: sizeOf(ys), C: c, EXAMPLES: ys[0], ACCURACY: attrs.accuracy ? 1 : 0 };
    const bindings: BufferRef[] = [{ in: 0 }, { in: 1 }, { in: 2 }, { in: 3 }, { in: 4 }, { out: 0 }];
    return { calls: [shaderCall("trainMeter", "train_meter", bindings, constants, { workgroups: [1, 1, 1] })] };
  },
};

/** The meter after one step (see the file comment). */
export function trainMeter(stats: Tensor, loss: Tensor, logits: Tensor, y: Tensor, ok: Tensor, attrs: MeterAttrs): Tensor {
  return apply1(trainMeterDef, [stats, loss, logits, y, ok], attrs);
}
