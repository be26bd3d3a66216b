/**
 * @file The pointwise half of a GRU step, fused, with PyTorch's gate order r, z, n and its
 * placement of the reset gate (inside, on the hidden projection):
 *   r = σ(xᵣ + hᵣ)   z = σ(x_z + h_z)   n = tanh(x_n + r·h_n)   h' = (1 − z)·n + z·h
 * where x = x·W_ihᵀ + b_ih and h = h·W_hhᵀ + b_hh are [B, 3H] (computed before, as matmuls).
 * Backward: dn = dh'(1−z)·(1−n²); dz = dh'(h − n)·z(1−z); dr = dn·h_n·r(1−r);
 *   dxᵣ = dhᵣ = dr, dx_z = dh_z = dz, dx_n = dn, dh_n = dn·r; dh = dh'·z.
 */
import { requireFloat } from "../dtype.ts";
import { ShapeError, fmtShape } from "../errors.ts";
import { apply, apply1 } from "../graph/ir.ts";
import type { Tensor } from "../tensor.ts";
import type { OpDef, ValueInfo } from "./types.ts";
import { shaderCall } from "./shaders.ts";

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

function check(op: string, gi: ValueInfo, gh: ValueInfo, h: ValueInfo): void {
  requireFloat(op, "gates", gi.dtype);
  const [b, hh] = h.shape;
  const ok = (g: ValueInfo) => g.shape.length === 2 && g.shape[0] === b && g.shape[1] === 3 * hh;
  if (h.shape.length !== 2 || !ok(gi) || !ok(gh)) {
    throw new ShapeError(`${op}: expected input gates [B, 3H], hidden gates [B, 3H] and h [B, H], got ${fmtShape(gi.shape)}, ${fmtShape(gh.shape)} and ${fmtShape(h.shape)}`);
  }
}

/** Gate values of unit k in batch row n. */
function gates(gi: ArrayLike<number>, gh: ArrayLike<number>, row: number, h: number, k: number) {
  const r = sigmoid(gi[row + k] + gh[row + k]);
  const z = sigmoid(gi[row + h + k] + gh[row + h + k]);
  const hn = gh[row + 2 * h + k];
  const n = Math.tanh(gi[row + 2 * h + k] + r * hn);
  return { r, z, n, hn };
}

export const gruCellDef: OpDef<Record<string, never>> = {
  name: "gruCell",
  infer: ([gi, gh, h]) => {
    check("gruCell", gi, gh, h);
    return [{ shape: h.shape, dtype: h.dtype }];
  },
  cpu: ({ inputs: [gi, gh, hPrev], outputs: [hOut], inShapes: [, , [b, h]] }) => {
    for (let n = 0; n < b; n++) {
      for (let k = 0; k < h; k++) {
        const g = gates(gi, gh, n * 3 * h, h, k);
        hOut[n * h + k] = (1 - g.z) * g.n + g.z * hPrev[n * h + k];
      }
    }
  },
  grad: ({ inputs: [gi, gh, h], dys: [dh] }) => gruCellBackward(gi, gh, h, dh),
  webgpu: ({ inShapes: [, , [b, h]] }) => ({
    calls: [shaderCall("gruCell", "gru_cell", [{ in: 0 }, { in: 1 }, { in: 2 }, { out: 0 }], { N: b * h, H: h }, { threads: b * h })],
  }),
};

export const gruCellBackwardDef: OpDef<Record<string, never>> = {
  name: "gruCellBackward",
  infer: ([gi, gh, h, dh]) => {
    check("gruCellBackward", gi, gh, h);
    if (dh.shape.join() !== h.shape.join()) throw new ShapeError(`gruCellBackward: dh ${fmtShape(dh.shape)} should match h ${fmtShape(h.shape)}`);
    return [{ shape: gi.shape, dtype: gi.dtype }, { shape: gh.shape, dtype: gh.dtype }, { shape: h.shape, dtype: h.dtype }];
  },
  cpu: ({ inputs: [gi, gh, hPrev, dh], outputs: [dgi, dgh, dhPrev], inShapes: [, , [b, h]] }) => {
    for (let n = 0; n < b; n++) {
      const row = n * 3 * h;
      for (let k = 0; k < h; k++) {
        const s = n * h + k;
        const { r, z, n: nn, hn } = gates(gi, gh, row, h, k);
        const dnPre = dh[s] * (1 - z) * (1 - nn * nn);
        const dzPre = dh[s] * (hPrev[s] - nn) * z * (1 - z);
        const drPre = dnPre * hn * r * (1 - r);
        dgi[row + k] = drPre;
        dgh[row + k] = drPre;
        dgi[row + h + k] = dzPre;
        dgh[row + h + k] = dzPre;
        dgi[row + 2 * h + k] = dnPre;
        dgh[row + 2 * h + k] = dnPre * r;
        dhPrev[s] = dh[s] * z;
      }
    }
  },
  webgpu: ({ inShapes: [, , [b, h]] }) => ({
    calls: [shaderCall("gruCellBackward", "gru_cell_backward", [{ in: 0 }, { in: 1 }, { in: 2 }, { in: 3 }, { out: 0 }, { out: 1 }, { out: 2 }], { N: b * h, H: h }, { threads: b * h })],
  }),
};

/**
 * One GRU state update.
 * @param gi [B, 3H] input projection x·W_ihᵀ + b_ih (r, z, n)
 * @param gh [B, 3H] hidden projection h·W_hhᵀ + b_hh (r, z, n)
 * @param h [B, H] previous hidden state
 * @returns h' [B, H]
 */
export function gruCell(gi: Tensor, gh: Tensor, h: Tensor): Tensor {
  return apply1(gruCellDef, [gi, gh, h]);
}

export function gruCellBackward(gi: Tensor, gh: Tensor, h: Tensor, dh: Tensor): [Tensor, Tensor, Tensor] {
  const [a, b, c] = apply(gruCellBackwardDef, [gi, gh, h, dh]);
  return [a, b, c];
}
