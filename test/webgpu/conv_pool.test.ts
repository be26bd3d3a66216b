import { afterAll, describe, it } from "vitest";
import * as W from "../../src/index.ts";
import { F, setBackend } from "../../src/index.ts";
import { eachStrategy, expectKernelMatchesCpu, webgpuAvailable } from "../helpers/backends.ts";
import { TOL } from "../tolerance.ts";
import { rnd as s } from "../helpers/inputs.ts";

const gpu = await webgpuAvailable();

eachStrategy(gpu, "WebGPU convolution matches the CPU reference (forward, dx, dW, bias)", () => {
  it("LeNet's first layer: [3,1,28,28] * [6,1,5,5], padding 2, with bias", async () => {
    await expectKernelMatchesCpu("conv2d", (x, w, b) => F.conv2d(x, w, b, { padding: 2 }), [s(3, 1, 28, 28), s(6, 1, 5, 5), s(6)], TOL.gpuAccumulate);
  });
  it("LeNet's second layer: [2,6,14,14] * [16,6,5,5]", async () => {
    await expectKernelMatchesCpu("conv2d", (x, w) => F.conv2d(x, w), [s(2, 6, 14, 14), s(16, 6, 5, 5)], TOL.gpuAccumulate);
  });
  it("stride 2, non-square kernel, asymmetric padding, dilation, batch 1", async () => {
    await expectKernelMatchesCpu("conv2d", (x, w) => F.conv2d(x, w, null, { stride: 2, padding: [1, 0] }), [s(1, 3, 9, 8), s(5, 3, 2, 3)], TOL.gpuAccumulate);
    await expectKernelMatchesCpu("conv2d", (x, w) => F.conv2d(x, w, null, { stride: [1, 3], dilation: 2, padding: 2 }), [s(2, 2, 7, 11), s(3, 2, 3, 3)], TOL.gpuAccumulate);
  });
  it("the backward primitives on their own, and im2col / col2im", async () => {
    const o = { stride: 2, padding: 1 };
    await expectKernelMatchesCpu("im2col", (x) => W.im2col(x, [2, 3], { stride: [2, 1], padding: [1, 2], dilation: [2, 1] }), [s(2, 3, 7, 6)], TOL.gpuExact, { gradTol: TOL.gpuAccumulate });
    await expectKernelMatchesCpu("col2im", (c) => W.col2im(c, [2, 3, 9, 9], 3, o), [s(2, 27, 25)], TOL.gpuAccumulate);
    await expectKernelMatchesCpu("conv2dBackwardInput", (dy, w) => W.conv2dBackwardInput(dy, w, [2, 3, 9, 9], o), [s(2, 4, 5, 5), s(4, 3, 3, 3)], TOL.gpuAccumulate);
    await expectKernelMatchesCpu("conv2dBackwardFilter", (x, dy) => W.conv2dBackwardFilter(x, dy, [4, 3, 3, 3], o), [s(2, 3, 9, 9), s(2, 4, 5, 5)], TOL.gpuAccumulate);
  });
});

describe.skipIf(!gpu)("WebGPU pooling matches the CPU reference (values, argmax, gradients)", () => {
  afterAll(() => setBackend("cpu"));
  it("maxPool2d 2×2 on LeNet shapes, and overlapping 3×3 stride 2 padding 1", async () => {
    await expectKernelMatchesCpu("maxPool2d", (x) => W.maxPool2dWithIndices(x, { kernelSize: 2 }), [s(3, 6, 28, 28)], TOL.gpuExact);
    // windows that tile the plane, with a row and columns left over (floor mode): the fast backward
    await expectKernelMatchesCpu("maxPool2d", (x) => F.maxPool2d(x, { kernelSize: [2, 3] }), [s(2, 3, 7, 11)], TOL.gpuExact);
    // windows smaller than their stride, with padding: pixels in the gaps get no gradient
    await expectKernelMatchesCpu("maxPool2d", (x) => F.maxPool2d(x, { kernelSize: 2, stride: 3, padding: 1 }), [s(1, 2, 8, 9)], TOL.gpuExact);
    // overlapping windows add several dy into one pixel: f32 vs f64 sums
    await expectKernelMatchesCpu("maxPool2d", (x) => W.maxPool2dWithIndices(x, { kernelSize: 3, stride: 2, padding: 1 }), [s(2, 3, 9, 10)], TOL.gpuExact, { gradTol: TOL.gpuAccumulate });
    await expectKernelMatchesCpu("maxPool2d", (x) => F.maxPool2d(x, { kernelSize: [2, 3], stride: [1, 2] }), [s(1, 2, 5, 9)], TOL.gpuExact, { gradTol: TOL.gpuAccumulate });
  });
  it("maxPool2d keeps the first of tied maxima and lets a NaN win, unrolled (no padding) and looped", async () => {
    const values = Array.from({ length: 2 * 3 * 6 * 7 }, (_, i) => (i === 17 || i === 100 ? NaN : (i * 7) % 3));
    for (const opts of [{ kernelSize: 2 }, { kernelSize: [2, 3] as [number, number], stride: [1, 2] as [number, number] }, { kernelSize: 3, stride: 2, padding: 1 }]) {
      await expectKernelMatchesCpu("maxPool2d ties", (x) => W.maxPool2dWithIndices(x, opts), [{ shape: [2, 3, 6, 7], values }], TOL.gpuExact, { grads: false });
    }
  });
  it("avgPool2d, with and without counting the padding", async () => {
    await expectKernelMatchesCpu("avgPool2d", (x) => F.avgPool2d(x, { kernelSize: [3, 2], stride: [2, 1], countIncludePad: false }), [s(2, 3, 9, 8)], TOL.gpuPointwise);
    await expectKernelMatchesCpu("avgPool2d", (x) => F.avgPool2d(x, { kernelSize: 2 }), [s(2, 3, 10, 10)], TOL.gpuPointwise);
    await expectKernelMatchesCpu("avgPool2d", (x) => F.avgPool2d(x, { kernelSize: 3, stride: 2, padding: 1 }), [s(1, 2, 7, 8)], TOL.gpuPointwise);
    await expectKernelMatchesCpu("avgPool2d", (x) => F.avgPool2d(x, { kernelSize: 3, stride: 2, padding: 1, countIncludePad: false }), [s(1, 2, 7, 8)], TOL.gpuPointwise);
    await expectKernelMatchesCpu("avgPool2d", (x) => F.avgPool2d(x, { kernelSize: [2, 3], stride: 3, padding: 1, countIncludePad: false }), [s(1, 2, 7, 8)], TOL.gpuPointwise);
  });
});

describe.skipIf(!gpu)("a composed graph on both backends", () => {
  afterAll(() => setBackend("cpu"));
  it("conv → relu → maxPool → linear → cross-entropy: loss and every gradient agree", async () => {
    const labels = { shape: [4], values: [3, 0, 9, 5], dtype: "int32" as const };
    await expectKernelMatchesCpu("small convnet", (x, w, b, fw, fb, y) => {
      const h = F.maxPool2d(F.relu(F.conv2d(x, w, b, { padding: 1 })), { kernelSize: 2 });
      return F.crossEntropy(F.linear(W.flatten(h, 1), fw, fb), y);
    }, [s(4, 2, 8, 8), s(5, 2, 3, 3), s(5), s(10, 80), s(10), labels], TOL.gpuAccumulate);
  });
});
