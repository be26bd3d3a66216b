/**
 * @file Inverted dropout with a counter-based mask: element i is kept when
 * uniform(seed, i) ≥ p (src/random.ts, decided on integers: keepThreshold), and kept values are scaled by 1/(1 − p). The seed is
 * an int32 scalar tensor, not an attribute, so a compiled step can draw a new mask each call
 * without re-planning. With the mask fixed, dropout is linear in x: its gradient is dropout
 * of dy with the same seed.
 */
import { requireFloat } from "../dtype.ts";
import { DTypeError, ShapeError } from "../errors.ts";
import { apply1 } from "../graph/ir.ts";
import type { Tensor } from "../tensor.ts";
import { keepThreshold, randomBits } from "../random.ts";
import { sizeOf } from "../shape.ts";
import { shaderCall } from "./shaders.ts";
import type { OpDef } from "./types.ts";

export const dropoutDef: OpDef<{ p: number }> = {
  name: "dropout",
  infer: ([x, seed], { p }) => {
    requireFloat("dropout", "input", x.dtype);
    if (seed.dtype !== "int32" || seed.shape.length !== 0) throw new DTypeError(`dropout: seed must be an int32 scalar tensor, got ${seed.dtype}[${seed.shape.join(",")}]`);
    if (!(p >= 0 && p < 1)) throw new ShapeError(`dropout: p must be in [0, 1), got ${p}`);
    return [{ shape: x.shape, dtype: x.dtype }];
  },
  cpu: ({ inputs: [x, seed], outputs: [y], attrs: { p } }) => {
    const s = seed[0] >>> 0;
    const scale = 1 / (1 - p);
    const keep = keepThreshold(p);
    for (let i = 0; i < y.length; i++) y[i] = randomBits(s, i) >>> 8 >= keep ? x[i] * scale : 0;
  },
  grad: ({ inputs: [, seed], dys: [dy], attrs: { p } }) => [dropout(dy, seed, p), null],
  webgpu: ({ inShapes: [xs], attrs: { p } }) => ({
    calls: [shaderCall("dropout", "dropout", [{ in: 0 }, { in: 1 }, { out: 0 }], { N: sizeOf(xs), KEEP: keepThreshold(p), SCALE: 1 / (1 - p) }, { threads: sizeOf(xs) })],
  }),
};

/** Zeroes each element with probability p (mask from `seed`), scales the rest by 1/(1−p). */
export function dropout(x: Tensor, seed: Tensor, p: number): Tensor {
  return apply1(dropoutDef, [x, seed], { p });
}
