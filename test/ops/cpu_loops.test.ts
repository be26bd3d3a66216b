/**
 * The CPU reference's faster loops (issue #22) give the plain loops' results bit for bit:
 * im2col/col2im with the in-row range found once per row, the sum without a callback,
 * max pooling's inside-the-image loop and its backward's direct writes. Each is compared with
 * the obvious per-element loop, written out here, on geometries that reach every edge case
 * (padding wider than the kernel's reach, strides, dilations, ties, NaN, −0).
 */
import { describe, expect, it } from "vitest";
import { OPS } from "../../src/internals.ts";
import { reduceCpu, sumCpu } from "../../src/ops/sum.ts";
import { seeded } from "../helpers/gradcheck.ts";

const caps = { wasmMatmul: true, mode: "reference" as const, threads: 1 };
const run = (op: keyof typeof OPS, inputs: ArrayLike<number>[], inShapes: number[][], outputs: Float32Array[] | (Float32Array | Int32Array)[], attrs: unknown) =>
  OPS[op].cpu({ inputs: inputs as never, outputs: outputs as never, inShapes, outShapes: [], attrs, status: new Uint32Array(8), site: 0, cpu: caps });
const rand = (n: number, seed: number) => {
  const rng = seeded(seed);
  // a few repeated values (ties for the max), a NaN and a −0
  return Float32Array.from({ length: n }, (_, i) => (i === 7 ? NaN : i === 11 ? -0 : Math.round((rng() * 2 - 1) * 8) / 4));
};
const bits = (a: ArrayLike<number>) => Array.from(new Uint32Array(Float32Array.from(a).buffer));

const windows = [
  { x: [2, 3, 9, 8], kernel: [3, 2], stride: [1, 1], padding: [1, 0], dilation: [1, 1] },
  { x: [1, 2, 7, 11], kernel: [2, 3], stride: [2, 3], padding: [4, 5], dilation: [1, 2] },
  { x: [2, 1, 6, 6], kernel: [3, 3], stride: [1, 2], padding: [2, 1], dilation: [2, 1] },
] as const;

describe("the CPU reference's fast loops equal the plain loops bit for bit", () => {
  it.each(windows)("im2col and col2im: x %j, kernel %j", ({ x: xs, kernel, stride, padding, dilation }) => {
    const [n, c, h, w] = xs;
    const oh = Math.floor((h + 2 * padding[0] - dilation[0] * (kernel[0] - 1) - 1) / stride[0]) + 1;
    const ow = Math.floor((w + 2 * padding[1] - dilation[1] * (kernel[1] - 1) - 1) / stride[1]) + 1;
    const rows = c * kernel[0] * kernel[1], P = oh * ow;
    const x = rand(n * c * h * w, 1);
    const attrs = { kernel: [...kernel], stride: [...stride], padding: [...padding], dilation: [...dilation] };
    const cols = new Float32Array(n * rows * P).fill(99);
    run("im2col", [x], [[...xs]], [cols], attrs);
    // the plain loop: every element, its input pixel or 0
    const want = new Float32Array(cols.length);
    const dx = new Float64Array(x.length);
    const dcols = rand(cols.length, 2);
    for (let b = 0; b < n; b++) for (let ci = 0; ci < c; ci++) for (let i = 0; i < kernel[0]; i++) for (let j = 0; j < kernel[1]; j++) {
      for (let oy = 0; oy < oh; oy++) for (let ox = 0; ox < ow; ox++) {
        const y = oy * stride[0] - padding[0] + i * dilation[0], xx = ox * stride[1] - padding[1] + j * dilation[1];
        const at = ((b * rows + (ci * kernel[0] + i) * kernel[1] + j) * P) + oy * ow + ox;
        const inside = y >= 0 && y < h && xx >= 0 && xx < w;
        want[at] = inside ? x[((b * c + ci) * h + y) * w + xx] : 0;
        if (inside) dx[((b * c + ci) * h + y) * w + xx] += dcols[at];
      }
    }
    expect(bits(cols)).toEqual(bits(want));
    const got = new Float32Array(x.length).fill(99);
    run("col2im", [dcols], [[n, rows, P]], [got], { ...attrs, inputShape: [...xs] });
    expect(bits(got)).toEqual(bits(dx));
  });

  it("sum: the loop without a callback gives reduceCpu's float64 sums", () => {
    const x = rand(3 * 4 * 5 * 6, 3).map((v) => (Number.isNaN(v) ? 0.1 : v + 0.01));
    for (const axes of [[0], [1, 3], [0, 2, 3], [3], [0, 1, 2, 3]]) {
      const keep = [3, 4, 5, 6].map((d, i) => (axes.includes(i) ? 1 : d));
      const size = keep.reduce((a, b) => a * b, 1);
      const [a, b] = [new Float32Array(size), new Float32Array(size)];
      const args = (y: Float32Array) => ({ inputs: [x], outputs: [y], inShapes: [[3, 4, 5, 6]], outShapes: [keep], attrs: { axes, keepdims: true }, status: new Uint32Array(8), site: 0, cpu: caps });
      sumCpu(args(a) as never);
      reduceCpu(args(b) as never, 0, (acc, v) => acc + v);
      expect(bits(a), `axes ${axes}`).toEqual(bits(b));
    }
  });

  it("maxPool2d: the inside-the-image loop picks the general loop's maxima and argmaxes (first maximum, NaN wins)", () => {
    const shape = [2, 3, 10, 9];
    const x = rand(2 * 3 * 10 * 9, 4);
    for (const [kernel, stride] of [[[2, 2], [2, 2]], [[3, 2], [2, 1]], [[2, 3], [3, 3]]]) {
      // extra [−1, −1] takes the general loop (it is not "inside"), with the same windows
      const oh = (e: number) => Math.floor((10 + e - kernel[0]) / stride[0]) + 1, ow = (e: number) => Math.floor((9 + e - kernel[1]) / stride[1]) + 1;
      const e: [number, number] = [oh(-1) === oh(0) ? -1 : 0, ow(-1) === ow(0) ? -1 : 0];
      expect(e, "the case must reach the general loop").not.toEqual([0, 0]);
      const out = () => [new Float32Array(2 * 3 * oh(0) * ow(0)), new Int32Array(2 * 3 * oh(0) * ow(0))] as [Float32Array, Int32Array];
      const [fast, slow] = [out(), out()];
      run("maxPool2d", [x], [shape], fast, { kernel, stride, padding: [0, 0] });
      run("maxPool2d", [x], [shape], slow, { kernel, stride, padding: [0, 0], extra: e });
      expect(bits(fast[0])).toEqual(bits(slow[0]));
      expect(Array.from(fast[1])).toEqual(Array.from(slow[1]));
    }
  });

  it("maxPool2dBackward: non-overlapping windows write dy directly, as 0 + dy (−0 becomes 0)", () => {
    const [n, c, h, w] = [2, 2, 6, 6];
    const x = rand(n * c * h * w, 5);
    const y = new Float32Array(n * c * 9), arg = new Int32Array(n * c * 9);
    run("maxPool2d", [x], [[n, c, h, w]], [y, arg], { kernel: [2, 2], stride: [2, 2], padding: [0, 0] });
    const dy = rand(n * c * 9, 6);
    dy[0] = -0;
    const dx = new Float32Array(x.length).fill(99);
    run("maxPool2dBackward", [dy, arg], [[n, c, 3, 3], [n, c, 3, 3]], [dx], { kernel: [2, 2], stride: [2, 2], padding: [0, 0], inputShape: [n, c, h, w] });
    const want = new Float64Array(x.length);
    for (let o = 0; o < dy.length; o++) want[Math.floor(o / 9) * h * w + arg[o]] += dy[o];
    expect(bits(dx)).toEqual(bits(want));
    expect(Object.is(dx[Math.floor(0 / 9) * h * w + arg[0]], 0)).toBe(true);
  });
});
