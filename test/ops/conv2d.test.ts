import { describe, expect, it } from "vitest";
import { F, ShapeError, arange, conv2dBackwardFilter, conv2dBackwardInput, grad, ones, reshape, sum, tensor, zeros } from "../../src/index.ts";
import * as W from "../../src/index.ts";
import { expectClose, TOL } from "../tolerance.ts";
import { values } from "../helpers/values.ts";

describe("conv2d forward, hand-worked", () => {
  it("im2col lays out each window as a column, zero in the padding; col2im adds them back", async () => {
    const x = reshape(arange(1, 10), [1, 1, 3, 3]); // 1 2 3 / 4 5 6 / 7 8 9
    // 2×2 windows at (0,0) (0,1) (1,0) (1,1): rows are the window's (i, j), columns the windows
    expect(await values(W.im2col(x, 2))).toEqual([1, 2, 4, 5, 2, 3, 5, 6, 4, 5, 7, 8, 5, 6, 8, 9]);
    // padding 1, stride 2: windows at (−1,−1) (−1,1) (1,−1) (1,1)
    expect(await values(W.im2col(x, 2, { padding: 1, stride: 2 }))).toEqual([0, 0, 0, 5, 0, 0, 4, 6, 0, 2, 0, 8, 1, 3, 7, 9]);
    // each pixel is summed once per window that holds it: the centre is in all four
    expect(await values(W.col2im(W.im2col(x, 2), [1, 1, 3, 3], 2))).toEqual([1, 4, 3, 8, 20, 12, 7, 16, 9]);
  });
  it("the 3×3 Laplacian on a 6×6 vertical edge responds only beside the edge", async () => {
    // columns 10,10,10,0,0,0: vertical second differences vanish, horizontal ones are
    // x[j] − 2x[j+1] + x[j+2] = 0, −10, +10, 0 for output columns 0…3
    const img = tensor(Array.from({ length: 36 }, (_, i) => (i % 6 < 3 ? 10 : 0)), [1, 1, 6, 6]);
    const lap = tensor([0, 1, 0, 1, -4, 1, 0, 1, 0], [1, 1, 3, 3]);
    const y = F.conv2d(img, lap);
    expect(y.shape).toEqual([1, 1, 4, 4]);
    expect(await values(y)).toEqual([0, -10, 10, 0, 0, -10, 10, 0, 0, -10, 10, 0, 0, -10, 10, 0]);
  });

  it("stride 2 with padding 1 sums the clipped 3×3 neighbourhoods", async () => {
    // x = 1…16 in a 4×4 grid; windows centred on (0,0), (0,2), (2,0), (2,2)
    const x = reshape(arange(1, 17), [1, 1, 4, 4]);
    const y = F.conv2d(x, ones([1, 1, 3, 3]), null, { stride: 2, padding: 1 });
    expect(y.shape).toEqual([1, 1, 2, 2]);
    expect(await values(y)).toEqual([1 + 2 + 5 + 6, 2 + 3 + 4 + 6 + 7 + 8, 5 + 6 + 9 + 10 + 13 + 14, 6 + 7 + 8 + 10 + 11 + 12 + 14 + 15 + 16]);
  });

  it("mixes input channels and adds a bias per output channel", async () => {
    // 1×1 kernels: out0 = 2·x0 + 3·x1 + 1, out1 = −x0 + 0.5
    const x = tensor([[[[1, 2]], [[10, 20]]]]); // [1, 2, 1, 2]
    const w = tensor([2, 3, -1, 0], [2, 2, 1, 1]);
    const y = F.conv2d(x, w, tensor([1, 0.5]));
    expect(y.shape).toEqual([1, 2, 1, 2]);
    expect(await values(y)).toEqual([33, 65, -0.5, -1.5]);
  });

  it("a non-square kernel with dilation reads the spaced taps", async () => {
    // kernel [1, 1] horizontally with dilation 2: y[j] = x[j] + x[j+2]
    const x = reshape(arange(5), [1, 1, 1, 5]);
    const y = F.conv2d(x, ones([1, 1, 1, 2]), null, { dilation: [1, 2] });
    expect(await values(y)).toEqual([2, 4, 6]);
  });

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

  it("its gradient with respect to a bias is the sum of dy over batch and space", async () => {
    const x = ones([2, 1, 3, 3]);
    const g = grad((b) => sum(F.conv2d(x, zeros([4, 1, 2, 2]), b)))(zeros([4])) as ReturnType<typeof ones>;
    expect(await values(g)).toEqual([8, 8, 8, 8]); // 2 images × 2×2 outputs
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
