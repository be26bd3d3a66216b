/**
 * Hand-worked convolutions on every backend (the CPU, and WebGPU where there is an adapter:
 * always under CI); inputs from the shared spec builder, tolerances from test/tolerance.ts.
 * The adjoint identity runs on the CPU in float64, where it is sharp (WebGPU has no float64;
 * its backward kernels are checked against the CPU in test/webgpu/conv_pool.test.ts).
 */
import { describe, expect, it } from "vitest";
import { F, ShapeError, conv2dBackwardFilter, conv2dBackwardInput, grad, ones, sum, tensor, zeros } from "../../src/index.ts";
import * as W from "../../src/index.ts";
import { HAND, expectClose, TOL } from "../tolerance.ts";
import { expectValues, onEachBackend, opCases, testBackends } from "../helpers/backends.ts";
import { given } from "../helpers/inputs.ts";

const backends = await testBackends();
const X33 = given([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 1, 3, 3]); // 1 2 3 / 4 5 6 / 7 8 9
const fill = (v: number, shape: number[]) => given(Array(shape.reduce((a, b) => a * b, 1)).fill(v), shape);

opCases(backends, 'conv2d padding as PyTorch and TensorFlow write it: "same", "valid", [top, bottom, left, right], by hand', [
  // a 2×2 kernel of ones: "same" pads one row below and one column to the right (the larger half after)
  { name: '"same" with an even kernel', f: (x, w) => F.conv2d(x, w, null, { padding: "same" }), inputs: [X33, fill(1, [1, 1, 2, 2])], want: [[12, 16, 9, 24, 28, 15, 15, 17, 9]], shapes: [[1, 1, 3, 3]], how: "exact" },
  { name: '"valid" is no padding', f: (x, w) => F.conv2d(x, w, null, { padding: "valid" }), inputs: [X33, fill(1, [1, 1, 2, 2])], want: [[12, 16, 24, 28]], shapes: [[1, 1, 2, 2]], how: "exact" },
  // padded to 0 0 0 0 / 1 2 3 0 / 4 5 6 0 / 7 8 9 0; a 1×2 kernel at rows 0 and 2 (stride 2), columns 0…2
  {
    name: "[top 1, bottom 0, left 0, right 1] with a non-square kernel and stride [2, 1]",
    f: (x, w) => F.conv2d(x, w, null, { padding: [1, 0, 0, 1], stride: [2, 1] }), inputs: [X33, fill(1, [1, 1, 1, 2])],
    want: [[0, 0, 0, 9, 11, 6]], shapes: [[1, 1, 2, 3]], how: "exact",
  },
  // TensorFlow's rule at stride 2: out ⌈3/2⌉ = 2, total padding (2 − 1)·2 + 2 − 3 = 1, after
  { name: '"same" at stride 2 (TensorFlow\'s rule)', f: (x, w) => F.conv2d(x, w, null, { padding: "same", stride: 2 }), inputs: [X33, fill(1, [1, 1, 2, 2])], want: [[12, 9, 15, 9]], shapes: [[1, 1, 2, 2]], how: "exact" },
  { name: "F.pad takes PyTorch's order, last axis first", f: (x) => F.pad(x, [1, 0, 0, 1]), inputs: [given([1, 2, 3, 4], [1, 2, 2])], want: [[0, 1, 2, 0, 3, 4, 0, 0, 0]], shapes: [[1, 3, 3]], how: "exact" },
]);

describe("padding specs", () => {
  it("refuses a padding that is none of the five forms, naming the op", () => {
    const x = W.zeros([1, 1, 3, 3]), w = W.zeros([1, 1, 2, 2]);
    expect(() => F.conv2d(x, w, null, { padding: [1, 2, 3] as never })).toThrow(new ShapeError('conv2d: padding must be an integer ≥ 0, [ph, pw], [top, bottom, left, right], "same" or "valid", got [1,2,3]'));
    expect(() => F.maxPool2d(x, { kernelSize: 2, padding: [0, -1, 0, 0] })).toThrow(/maxPool2d: padding must be/);
    expect(() => F.pad(x, [1, 2, 3])).toThrow(/PyTorch-order pads come in pairs/);
  });
});

opCases(backends, "im2col, col2im and conv2d by hand", [
  // 2×2 windows at (0,0) (0,1) (1,0) (1,1): rows are the window's (i, j), columns the windows
  { name: "im2col lays out each window as a column", f: (x) => W.im2col(x, 2), inputs: [X33], want: [[1, 2, 4, 5, 2, 3, 5, 6, 4, 5, 7, 8, 5, 6, 8, 9]], how: "exact" },
  // padding 1, stride 2: windows at (−1,−1) (−1,1) (1,−1) (1,1)
  { name: "im2col is zero in the padding", f: (x) => W.im2col(x, 2, { padding: 1, stride: 2 }), inputs: [X33], want: [[0, 0, 0, 5, 0, 0, 4, 6, 0, 2, 0, 8, 1, 3, 7, 9]], how: "exact" },
  // each pixel is summed once per window that holds it: the centre is in all four
  { name: "col2im adds the windows back", f: (x) => W.col2im(W.im2col(x, 2), [1, 1, 3, 3], 2), inputs: [X33], want: [[1, 4, 3, 8, 20, 12, 7, 16, 9]], how: "exact" },
  {
    // columns 10,10,10,0,0,0: vertical second differences vanish, horizontal ones are
    // x[j] − 2x[j+1] + x[j+2] = 0, −10, +10, 0 for output columns 0…3
    name: "the 3×3 Laplacian on a 6×6 vertical edge responds only beside the edge",
    f: (img, lap) => F.conv2d(img, lap),
    inputs: [given(Array.from({ length: 36 }, (_, i) => (i % 6 < 3 ? 10 : 0)), [1, 1, 6, 6]), given([0, 1, 0, 1, -4, 1, 0, 1, 0], [1, 1, 3, 3])],
    want: [[0, -10, 10, 0, 0, -10, 10, 0, 0, -10, 10, 0, 0, -10, 10, 0]],
    shapes: [[1, 1, 4, 4]],
    how: "exact",
  },
  {
    // x = 1…16 in a 4×4 grid; windows centred on (0,0), (0,2), (2,0), (2,2)
    name: "stride 2 with padding 1 sums the clipped 3×3 neighbourhoods",
    f: (x, w) => F.conv2d(x, w, null, { stride: 2, padding: 1 }),
    inputs: [given(Array.from({ length: 16 }, (_, i) => i + 1), [1, 1, 4, 4]), fill(1, [1, 1, 3, 3])],
    want: [[1 + 2 + 5 + 6, 2 + 3 + 4 + 6 + 7 + 8, 5 + 6 + 9 + 10 + 13 + 14, 6 + 7 + 8 + 10 + 11 + 12 + 14 + 15 + 16]],
    shapes: [[1, 1, 2, 2]],
    how: "exact",
  },
  {
    // 1×1 kernels: out0 = 2·x0 + 3·x1 + 1, out1 = −x0 + 0.5
    name: "mixes input channels and adds a bias per output channel",
    f: (x, w, b) => F.conv2d(x, w, b),
    inputs: [given([1, 2, 10, 20], [1, 2, 1, 2]), given([2, 3, -1, 0], [2, 2, 1, 1]), given([1, 0.5])],
    want: [[33, 65, -0.5, -1.5]],
    shapes: [[1, 2, 1, 2]],
    how: "exact",
  },
  // kernel [1, 1] horizontally with dilation 2: y[j] = x[j] + x[j+2]
  { name: "a non-square kernel with dilation reads the spaced taps", f: (x, w) => F.conv2d(x, w, null, { dilation: [1, 2] }), inputs: [given([0, 1, 2, 3, 4], [1, 1, 1, 5]), fill(1, [1, 1, 1, 2])], want: [[2, 4, 6]], how: "exact" },
  { name: "non-integer weights", f: (x, w) => F.conv2d(x, w), inputs: [given([0.1, 0.2, 0.3, 0.4], [1, 1, 2, 2]), given([0.5, -0.25, 0.125, 1], [1, 1, 2, 2])], want: [[0.05 - 0.05 + 0.0375 + 0.4]], how: "summed" },
]);

onEachBackend(backends, "conv2d gradients by hand", (backend) => {
  it("its gradient with respect to a bias is the sum of dy over batch and space", async () => {
    const x = ones([2, 1, 3, 3]);
    const g = grad((b) => sum(F.conv2d(x, zeros([4, 1, 2, 2]), b)))(zeros([4])) as ReturnType<typeof ones>;
    await expectValues(g, [8, 8, 8, 8], HAND.exact[backend]); // 2 images × 2×2 outputs
  });
  it("its gradient with respect to the input spreads each weight over the windows", async () => {
    // a 2×2 kernel over a 2×3 image: windows at columns 0 and 1, overlapping in column 1
    const g = grad((x) => sum(F.conv2d(x, tensor([1, 2, 3, 4], [1, 1, 2, 2]))))(zeros([1, 1, 2, 3])) as ReturnType<typeof ones>;
    await expectValues(g, [1, 3, 2, 3, 7, 4], HAND.exact[backend]);
  });
});

describe("conv2d on the CPU, float64", () => {
  it("backward ops are the adjoints of conv2d: <conv(x,w), dy> = <x, dX(dy,w)> = <w, dW(x,dy)>", async () => {
    const opts = { stride: 2, padding: [1, 2] as [number, number] };
    const x = tensor(Array.from({ length: 2 * 3 * 5 * 6 }, (_, i) => Math.sin(i)), [2, 3, 5, 6], "float64");
    const w = tensor(Array.from({ length: 4 * 3 * 3 * 2 }, (_, i) => Math.cos(i)), [4, 3, 3, 2], "float64");
    const y = F.conv2d(x, w, null, opts);
    const dy = tensor(Array.from({ length: y.size }, (_, i) => Math.sin(3 * i + 1)), y.shape, "float64");
    const lhs = await sum(y.mul(dy)).item();
    expectClose([await sum(x.mul(conv2dBackwardInput(dy, w, x.shape, opts))).item()], [lhs], TOL.handF64);
    expectClose([await sum(w.mul(conv2dBackwardFilter(x, dy, w.shape, opts))).item()], [lhs], TOL.handF64);
  });
});

describe("conv2d shape rule", () => {
  it("names the op and both shapes when channels differ", () => {
    const err = (() => { try { F.conv2d(zeros([64, 3, 28, 28]), zeros([6, 1, 5, 5])); } catch (e) { return e; } })();
    expect(err).toBeInstanceOf(ShapeError);
    expect((err as Error).message).toBe("conv2d: input has 3 channels, weight expects 1 (input [64,3,28,28], weight [6,1,5,5])");
  });
  it("rejects a kernel larger than the padded input, non-4-D inputs and bad strides", () => {
    expect(() => F.conv2d(zeros([1, 1, 2, 2]), zeros([1, 1, 3, 3]))).toThrow(/conv2d: kernel 3×3 does not fit/);
    expect(() => F.conv2d(zeros([1, 28, 28]), zeros([6, 1, 5, 5]))).toThrow(/conv2d: input must be 4-D NCHW, got \[1,28,28\]/);
    expect(() => F.conv2d(zeros([1, 1, 5, 5]), zeros([1, 1, 3, 3]), null, { stride: 0 })).toThrow(/conv2d: stride must be an integer ≥ 1/);
    expect(() => F.conv2d(zeros([1, 1, 5, 5]), zeros([2, 1, 3, 3]), zeros([3]))).toThrow(/conv2d: bias \[3\] should be \[2\]/);
    expect(() => W.im2col(zeros([1, 4, 4]), 2)).toThrow(/im2col: input must be 4-D NCHW, got \[1,4,4\]/);
    expect(() => W.im2col(zeros([1, 1, 2, 2]), 3)).toThrow(/im2col: kernel 3×3 does not fit/);
    expect(() => W.col2im(zeros([1, 4, 8]), [1, 1, 4, 4], 2)).toThrow("col2im: columns [1,4,8] should be [1,4,9] for image [1,1,4,4] and window 2×2");
  });
});
