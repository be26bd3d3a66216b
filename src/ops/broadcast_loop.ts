/**
 * @file The CPU loop behind every broadcasting elementwise op (binary table, comparisons,
 * where). Walks the output in row-major order keeping one running offset per input; a
 * broadcast axis has stride 0 so the same input element is read again. Same-shape inputs
 * take a flat loop.
 */
import type { TypedArray } from "../dtype.ts";
import { broadcastStrides, type Shape } from "../shape.ts";

type Arr = ArrayLike<number>;

/** out[i] = f(a[ia], b[ib]) over the broadcast shape `outShape`. */
export function broadcast2(a: Arr, aShape: Shape, b: Arr, bShape: Shape, out: TypedArray, outShape: Shape, f: (x: number, y: number) => number): void {
  const n = out.length;
  if (a.length === n && b.length === n) {
    for (let i = 0; i < n; i++) out[i] = f(a[i], b[i]);
    return;
  }
  if (b.length === 1 && a.length === n) {
    const y = b[0];
    for (let i = 0; i < n; i++) out[i] = f(a[i], y);
    return;
  }
  walk(outShape, [broadcastStrides(aShape, outShape), broadcastStrides(bShape, outShape)], (o, off, st, len) => {
    for (let j = 0, ia = off[0], ib = off[1]; j < len; j++, ia += st[0], ib += st[1]) out[o + j] = f(a[ia], b[ib]);
  });
}

/** out[i] = f(a[ia], b[ib], c[ic]) over the broadcast shape `outShape`. */
export function broadcast3(
  a: Arr, aShape: Shape, b: Arr, bShape: Shape, c: Arr, cShape: Shape,
  out: TypedArray, outShape: Shape, f: (x: number, y: number, z: number) => number,
): void {
  const strides = [aShape, bShape, cShape].map((s) => broadcastStrides(s, outShape));
  walk(outShape, strides, (o, off, st, len) => {
    for (let j = 0, ia = off[0], ib = off[1], ic = off[2]; j < len; j++, ia += st[0], ib += st[1], ic += st[2]) {
      out[o + j] = f(a[ia], b[ib], c[ic]);
    }
  });
}

/**
 * Calls `row(outOffset, inputOffsets, innerStrides, innerLength)` once per run of the last
 * axis, advancing the inputs' offsets like an odometer over the outer axes.
 */
export function walk(outShape: Shape, strides: number[][], row: (o: number, off: number[], st: number[], len: number) => void): void {
  const rank = outShape.length;
  const n = outShape.reduce((x, y) => x * y, 1);
  if (n === 0) return;
  if (rank === 0) {
    row(0, strides.map(() => 0), strides.map(() => 0), 1);
    return;
  }
  const len = outShape[rank - 1];
  const inner = strides.map((s) => s[rank - 1]);
  const off = strides.map(() => 0);
  const idx = new Array<number>(rank).fill(0);
  for (let o = 0; o < n; o += len) {
    row(o, off, inner, len);
    for (let d = rank - 2; d >= 0; d--) {
      idx[d]++;
      for (let k = 0; k < off.length; k++) off[k] += strides[k][d];
      if (idx[d] < outShape[d]) break;
      for (let k = 0; k < off.length; k++) off[k] -= strides[k][d] * outShape[d];
      idx[d] = 0;
    }
  }
}
