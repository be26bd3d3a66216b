import { expect, it } from "vitest";
import { placeholder } from "../../src/graph/ir.ts";
import { gruSequence, lstmSequence } from "../../src/ops/recurrent_seq.ts";
import * as W from "../../src/index.ts";
import { F } from "../../src/index.ts";
import { eachStrategy, expectKernelMatchesCpu, webgpuAvailable } from "../helpers/backends.ts";
import { TOL } from "../tolerance.ts";
import { rnd as s } from "../helpers/inputs.ts";
import { matmulPlan, vec4Loads } from "../../src/ops/matmul_kernel.ts";
import { matmulLayout } from "../../src/ops/matmul.ts";

const gpu = await webgpuAvailable();

eachStrategy(gpu, "WebGPU matmul matches the CPU reference", () => {
  it.each([
    [[1, 1], [1, 1]], [[3, 17], [17, 33]], [[64, 64], [64, 64]], [[127, 257], [257, 65]], [[1, 300], [300, 1]], [[260, 40], [40, 300]], [[70, 90], [90, 250]], [[66, 100], [100, 130]],
  ])("%j @ %j, forward and both gradients", async (a, b) => {
    await expectKernelMatchesCpu("matmul", (x, y) => W.matmul(x, y), [s(...a), s(...b)], TOL.gpuAccumulate);
  });
  it.each([
    [true, false], [false, true], [true, true],
  ])("transposeA %s, transposeB %s on non-tile sizes", async (tA, tB) => {
    const a = tA ? s(33, 17) : s(17, 33);
    const b = tB ? s(70, 33) : s(33, 70);
    await expectKernelMatchesCpu("matmul", (x, y) => W.matmul(x, y, { transposeA: tA, transposeB: tB }), [a, b], TOL.gpuAccumulate);
  });
  it("matmulRowSum (a linear layer's weight and bias gradients in one kernel), rows over two tiles", async () => {
    const grads = W.compile((x: W.Tensor, w: W.Tensor, b: W.Tensor, dy: W.Tensor) => W.gradients(W.sum(W.mul(F.linear(x, w, b), dy)), [w, b]));
    await expectKernelMatchesCpu("matmulRowSum", (x, w, b, dy) => grads(x, w, b, dy), [s(37, 7), s(70, 7), s(70), s(37, 70)], TOL.gpuAccumulate, { grads: false });
    const plan = grads.plan(placeholder([37, 7], "float32"), placeholder([70, 7], "float32"), placeholder([70], "float32"), placeholder([37, 70], "float32"));
    expect(plan.steps.map((st) => st.op.name).filter((o) => o.startsWith("matmul") || o === "sum")).toEqual(["matmulRowSum"]);
  });
  it("split-K for few outputs over a long K, batched: [2,8,3000] @ [2,3000,5]", async () => {
    await expectKernelMatchesCpu("matmul split-K", (x, y) => W.matmul(x, y), [s(2, 8, 3000), s(2, 3000, 5)], TOL.gpuAccumulate);
  });
  it("the fused bias + activation epilogue, plain and split-K", async () => {
    for (const act of [F.relu, F.tanh, F.sigmoid]) {
      await expectKernelMatchesCpu("linear+act", (x, w, b) => act(F.linear(x, w, b)), [s(33, 70), s(17, 70), s(17)], TOL.gpuAccumulate);
      await expectKernelMatchesCpu("linear+act split-K", (x, w, b) => act(F.linear(x, w, b, )), [s(4, 3000), s(5, 3000), s(5)], TOL.gpuAccumulate);
    }
  });
  it("the epilogue with a bias per row: a convolution with bias and relu, and split-K", async () => {
    await expectKernelMatchesCpu("conv+bias+relu", (x, w, b) => F.relu(F.conv2d(x, w, b, { padding: 1 })), [s(3, 4, 9, 7), s(10, 4, 3, 3), s(10)], TOL.gpuAccumulate);
    await expectKernelMatchesCpu("matmul + row bias split-K", (a, b, c) => F.tanh(W.add(W.matmul(a, b), c)), [s(5, 3000), s(3000, 4), s(5, 1)], TOL.gpuAccumulate);
  });
  it("vec4 tile loads (lengths and strides multiples of 4), all four transpose cases, batched, forward and both gradients", async () => {
    expect(vec4Loads(matmulLayout([36, 20], [20, 44], { transposeA: false, transposeB: false }))).toEqual([true, true]);
    expect(vec4Loads(matmulLayout([36, 21], [21, 44], { transposeA: false, transposeB: false }))).toEqual([false, true]);
    expect(vec4Loads(matmulLayout([20, 36], [44, 20], { transposeA: true, transposeB: true }))).toEqual([true, true]); // along M, along K
    expect(vec4Loads(matmulLayout([21, 36], [44, 21], { transposeA: true, transposeB: true }))).toEqual([true, false]); // K = 21
    expect(vec4Loads(matmulLayout([20, 35], [20, 44], { transposeA: true, transposeB: false }))).toEqual([false, true]); // M = 35
    for (const [tA, tB] of [[false, false], [true, false], [false, true], [true, true]]) {
      const a = tA ? s(2, 20, 36) : s(2, 36, 20);
      const b = tB ? s(2, 44, 20) : s(2, 20, 44);
      await expectKernelMatchesCpu(`matmul vec4 ${tA} ${tB}`, (x, y) => W.matmul(x, y, { transposeA: tA, transposeB: tB }), [a, b], TOL.gpuAccumulate);
    }
    // one operand four at a time, the other not; and a K-chunked (split) product
    await expectKernelMatchesCpu("matmul vec4 B only", (x, y) => W.matmul(x, y), [s(9, 7), s(7, 132)], TOL.gpuAccumulate);
    await expectKernelMatchesCpu("matmul vec4 split-K", (x, y) => W.matmul(x, y), [s(8, 3000), s(3000, 4)], TOL.gpuAccumulate);
  });
  it("128×128 tiles for a product of at least 1024×1024: [1030, 36] @ [36, 1028], forward and both gradients", async () => {
    await expectKernelMatchesCpu("matmul big tiles", (x, y) => W.matmul(x, y), [s(1030, 36), s(36, 1028)], TOL.gpuAccumulate);
  });
  it("batched with broadcast batch axes: [2,1,5,7] @ [3,7,9] and [4,5,6] @ [6,2]", async () => {
    await expectKernelMatchesCpu("matmul", (x, y) => W.matmul(x, y), [s(2, 1, 5, 7), s(3, 7, 9)], TOL.gpuAccumulate);
    await expectKernelMatchesCpu("matmul", (x, y) => W.matmul(x, y), [s(4, 5, 6), s(6, 2)], TOL.gpuAccumulate);
  });
});

it("the tiled matmul's tiles follow the device's limits: 128×128 for large products, 32×32 where fewer than 256 invocations are allowed", () => {
  const bm = (m: number, n: number, limits?: { invocations: number; workgroupStorage: number }) =>
    matmulPlan("matmul", { matmul: "tiled", limits }, matmulLayout([m, 64], [64, n], { transposeA: false, transposeB: false }), [{ in: 0 }, { in: 1 }, { out: 0 }], 0).calls[0].constants!;
  expect([bm(1024, 1024).BM, bm(1024, 1024).WX, bm(1024, 1024).BK]).toEqual([128, 16, 8]);
  expect(bm(1023, 1024).BM).toBe(64);
  expect(bm(8, 500).BM).toBe(16);
  const compat = bm(1024, 1024, { invocations: 128, workgroupStorage: 16384 });
  expect([compat.BM, compat.WX * compat.WY]).toEqual([32, 64]);
  expect(bm(2048, 2048, { invocations: 256, workgroupStorage: 4096 }).BM).toBe(32);
});

eachStrategy(gpu, "WebGPU recurrent sequence kernels match the CPU reference", () => {
  // the tiled kernels (one per step, workgroup tiles) and the direct ones (two backward
  // dispatches a step), both directions, H over two 64-unit tiles, B not a multiple of 4 or 8
  it.each([false, true])("lstmSequence and gruSequence, reverse %s: outputs and every gradient", async (reverse) => {
    const lstm = (x: W.Tensor, wh: W.Tensor, h0: W.Tensor, c0: W.Tensor) => lstmSequence(x, wh, h0, c0, reverse);
    await expectKernelMatchesCpu("lstmSequence", lstm, [s(5, 3, 280), s(280, 70), s(3, 70), s(3, 70)], TOL.gpuAccumulate);
    const gru = (x: W.Tensor, wh: W.Tensor, h0: W.Tensor, b: W.Tensor) => [gruSequence(x, wh, h0, b, reverse)];
    await expectKernelMatchesCpu("gruSequence", gru, [s(4, 9, 210), s(210, 70), s(9, 70), s(210)], TOL.gpuAccumulate);
  });
});
