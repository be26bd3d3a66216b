import { expect, it } from "vitest";
import { placeholder } from "../../src/graph/ir.ts";
import { gruSequence, lstmSequence } from "../../src/ops/recurrent_seq.ts";
import * as W from "../../src/index.ts";
import { F } from "../../src/index.ts";
import { eachStrategy, expectKernelMatchesCpu, webgpuAvailable } from "../helpers/backends.ts";
import { TOL } from "../tolerance.ts";
import { rnd as s } from "../helpers/inputs.ts";

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
  it("batched with broadcast batch axes: [2,1,5,7] @ [3,7,9] and [4,5,6] @ [6,2]", async () => {
    await expectKernelMatchesCpu("matmul", (x, y) => W.matmul(x, y), [s(2, 1, 5, 7), s(3, 7, 9)], TOL.gpuAccumulate);
    await expectKernelMatchesCpu("matmul", (x, y) => W.matmul(x, y), [s(4, 5, 6), s(6, 2)], TOL.gpuAccumulate);
  });
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
