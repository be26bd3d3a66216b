import { afterAll, describe, expect, it } from "vitest";
import * as W from "../../src/index.ts";
import { F, manualSeed, setBackend, tensor } from "../../src/index.ts";
import { GRU, LSTM } from "../../src/nn/index.ts";
import { dropout } from "../../src/ops/dropout.ts";
import { lstmCell } from "../../src/ops/lstm_cell.ts";
import { gruCell } from "../../src/ops/gru_cell.ts";
import { adamHyper, adamUpdate, sgdUpdate } from "../../src/ops/optimizer_updates.ts";
import { eachStrategy, expectKernelMatchesCpu, webgpuAvailable } from "../helpers/backends.ts";
import { TOL } from "../tolerance.ts";
import { ints, rnd as s } from "../helpers/inputs.ts";

const gpu = await webgpuAvailable();

eachStrategy(gpu, "WebGPU softmax cross-entropy for many classes (a workgroup per row on a GPU)", () => {
  it("per sample, mean and sum over 300 classes, forward and backward; a label out of range faults", async () => {
    const labels = (n: number) => ints([n], Array.from({ length: n }, (_, i) => (i * 37) % 300));
    await expectKernelMatchesCpu("softmaxCrossEntropy rows", (x, y) => W.softmaxCrossEntropy(x, y), [{ shape: [37, 300], range: [-4, 4] }, labels(37)], TOL.gpuAccumulate);
    // 70 × 300 logits: more than the planner fuses with the backward, so the forward runs alone
    await expectKernelMatchesCpu("crossEntropy mean rows", (x, y) => F.crossEntropy(x, y), [{ shape: [70, 300], range: [-4, 4] }, labels(70)], TOL.gpuAccumulate);
    await expectKernelMatchesCpu("crossEntropy sum rows", (x, y) => F.crossEntropy(x, y, { reduction: "sum" }), [{ shape: [70, 300], range: [-4, 4] }, labels(70)], TOL.gpuAccumulate);
    await setBackend("webgpu");
    const bad = tensor(Array.from({ length: 70 }, (_, i) => (i === 33 ? 300 : 1)), [70], "int32");
    await expect(F.crossEntropy(W.zeros([70, 300]), bad).item()).rejects.toThrow(/softmaxCrossEntropy: label 300 of sample 33 is outside \[0, 300\)/);
    await expect(W.softmaxCrossEntropy(W.zeros([70, 300]), bad).data()).rejects.toThrow(/label 300 of sample 33/);
    await setBackend("cpu");
  });
});

describe.skipIf(!gpu)("WebGPU lookup, losses, dropout and recurrent cells match the CPU reference", () => {
  afterAll(() => setBackend("cpu"));
  it("gather and scatterAdd (repeated indices)", async () => {
    await expectKernelMatchesCpu("gather", (t, i) => W.gather(t, i), [s(7, 33), ints([2, 5], [0, 6, 3, 3, 1, 6, 6, 2, 0, 5])], TOL.gpuExact, { gradTol: TOL.gpuAccumulate });
    await expectKernelMatchesCpu("scatterAdd", (x, i) => W.scatterAdd(x, i, 4), [s(6, 3), ints([6], [3, 0, 3, 1, 0, 3])], TOL.gpuAccumulate);
    // an embedding's gradient: 300 indices into 50 rows (rows 0 and 49 never hit, row 7 hit 40 times), 70 columns
    const many = Array.from({ length: 300 }, (_, k) => (k % 7 === 0 ? 7 : 1 + ((k * 37) % 47)));
    await expectKernelMatchesCpu("scatterAdd, many repeats", (x, i) => W.scatterAdd(x, i, 50), [s(300, 70), ints([300], many)], TOL.gpuAccumulate);
    // more indices than table elements (the first dispatch's threads are the indices)
    await expectKernelMatchesCpu("scatterAdd, n > rows·D", (x, i) => W.scatterAdd(x, i, 3), [s(40, 1), ints([40], Array.from({ length: 40 }, (_, k) => k % 3))], TOL.gpuAccumulate);
  });
  it("an out-of-range index or label is an IndexError on the GPU too, raised on the device and thrown at the read", async () => {
    await setBackend("webgpu");
    await expect(W.gather(tensor([[1, 2]]), tensor([1], [1], "int32")).data()).rejects.toThrow(/^gather: index 1 at position 0 is outside \[0, 1\)/);
    await expect(W.softmaxCrossEntropy(tensor([[1, 2]]), tensor([5], [1], "int32")).data()).rejects.toThrow(W.IndexError);
    await expect(W.scatterAdd(tensor([[1, 2], [3, 4]]), tensor([0, -2], [2], "int32"), 3).data()).rejects.toThrow(/^scatterAdd: index -2 at position 1/);
    // computing further from a faulted result still reports the fault
    const y = W.gather(tensor([[1, 2]]), tensor([0, 7], [2], "int32")).realize();
    await expect(y.sum().data()).rejects.toThrow(/gather: index 7 at position 1/);
    // and a clean run after it is clean
    expect(Array.from(await W.gather(tensor([[1, 2]]), tensor([0], [1], "int32")).data())).toEqual([1, 2]);
    await setBackend("cpu");
  });
  it("fused softmax cross-entropy forward and backward, 10 and 1000 classes", async () => {
    await expectKernelMatchesCpu("softmaxCrossEntropy", (x, y) => W.softmaxCrossEntropy(x, y), [{ shape: [65, 10], range: [-4, 4] }, ints([65], Array.from({ length: 65 }, (_, i) => (i * 7) % 10))], TOL.gpuAccumulate);
    await expectKernelMatchesCpu("crossEntropy", (x, y) => F.crossEntropy(x, y), [s(3, 1000), ints([3], [0, 999, 512])], TOL.gpuAccumulate);
    // the fused mean and sum: more rows than the kernel's 256 threads, so each takes several
    const labels = ints([600], Array.from({ length: 600 }, (_, i) => (i * 7) % 10));
    await expectKernelMatchesCpu("crossEntropy mean (fused)", (x, y) => F.crossEntropy(x, y), [{ shape: [600, 10], range: [-4, 4] }, labels], TOL.gpuAccumulate);
    await expectKernelMatchesCpu("crossEntropy sum (fused)", (x, y) => F.crossEntropy(x, y, { reduction: "sum" }), [{ shape: [600, 10], range: [-4, 4] }, labels], TOL.gpuAccumulate);
    // the backward's one workgroup per row folds into a second grid dimension past 65 535 rows
    const many = 70_000;
    await expectKernelMatchesCpu("crossEntropy over 70 000 rows", (x, y) => F.crossEntropy(x, y, { reduction: "sum" }), [{ shape: [many, 2], range: [-2, 2] }, ints([many], Array.from({ length: many }, (_, i) => i % 2))], TOL.gpuAccumulate, { gradTol: TOL.gpuPointwise });
  });
  it("dropout draws the same mask as the CPU for the same seed", async () => {
    for (const p of [0.1, 0.3, 0.5, 0.9]) {
      await expectKernelMatchesCpu(`dropout p=${p}`, (x, seed) => dropout(x, seed, p), [s(1031), ints([], [123457])], TOL.gpuPointwise);
    }
  });
  it("lstmCell and gruCell, forward and fused backward (batch 1, 3 and 64; hidden 1, 17, 128)", async () => {
    for (const [b, h] of [[1, 1], [3, 17], [64, 128]]) {
      await expectKernelMatchesCpu("lstmCell", (g, c) => lstmCell(g, c), [{ shape: [b, 4 * h], range: [-3, 3] }, s(b, h)], TOL.gpuPointwise);
      await expectKernelMatchesCpu("gruCell", (a, c, hh) => gruCell(a, c, hh), [{ shape: [b, 3 * h], range: [-3, 3] }, { shape: [b, 3 * h], range: [-3, 3] }, s(b, h)], TOL.gpuPointwise);
    }
  });
  it("fused Adam, AdamW and SGD-momentum updates", async () => {
    for (const [t, ok] of [[0, 1], [41, 1], [41, 0]]) {
      await expectKernelMatchesCpu(`adamHyper (t ${t}, ok ${ok})`, (lr, tt, o) => adamHyper(lr, tt, o, { b1: 0.9, b2: 0.999 }),
        [{ shape: [], values: [1e-3] }, { shape: [], values: [t] }, { shape: [1], values: [ok] }], TOL.gpuPointwise, { grads: false });
    }
    const vpos = { shape: [1031], range: [0, 1] as [number, number] };
    for (const decoupled of [false, true]) {
      await expectKernelMatchesCpu("adamUpdate", (p, g, m, v, h) => adamUpdate(p, g, m, v, h, { b1: 0.9, b2: 0.999, eps: 1e-8, weightDecay: 0.01, decoupled }),
        [s(1031), s(1031), s(1031), vpos, { shape: [4], values: [1e-3, 0.01, 1.5, 1] }], TOL.gpuPointwise, { grads: false });
      // a guard of 0: the step is skipped, every output is its input
      await expectKernelMatchesCpu("adamUpdate (skipped)", (p, g, m, v, h) => adamUpdate(p, g, m, v, h, { b1: 0.9, b2: 0.999, eps: 1e-8, weightDecay: 0.01, decoupled }),
        [s(1031), s(1031), s(1031), vpos, { shape: [4], values: [1e-3, 0.01, 1.5, 0] }], TOL.gpuPointwise, { grads: false });
    }
    await expectKernelMatchesCpu("sgdUpdate", (p, g, b, lr) => sgdUpdate(p, g, b, lr, { momentum: 0.9, dampening: 0, nesterov: true, weightDecay: 1e-4 }),
      [s(257), s(257), s(257), { shape: [2], values: [0.1, 1] }], TOL.gpuPointwise, { grads: false });
    // an update that overflows f32 keeps the old value of that element
    await expectKernelMatchesCpu("sgdUpdate (overflow)", (p, g, b, lr) => sgdUpdate(p, g, b, lr, { momentum: 0.9, dampening: 0, nesterov: true, weightDecay: 1e-4 }),
      [s(257), s(257), s(257), { shape: [2], values: [2e38, 1] }], TOL.gpuPointwise, { grads: false });
  });
  it("nn.LSTM (2 layers, bidirectional) and nn.GRU layers: outputs, final states and input gradients", async () => {
    manualSeed(9);
    const lstm = new LSTM(5, 6, { numLayers: 2, bidirectional: true });
    const gru = new GRU(5, 6, { batchFirst: true });
    await expectKernelMatchesCpu("nn.LSTM", (x) => { const [o, [h, c]] = lstm.forward(x); return [o, h, c]; }, [s(7, 3, 5)], TOL.gpuAccumulate);
    await expectKernelMatchesCpu("nn.GRU", (x) => gru.forward(x), [s(3, 7, 5)], TOL.gpuAccumulate);
  });
  it("an LSTM unrolled over 5 steps with weights: values and BPTT gradients", async () => {
    await expectKernelMatchesCpu("lstm bptt", (x, wi, wh, bi) => {
      let st: [W.Tensor, W.Tensor] = [W.zeros([4, 8]), W.zeros([4, 8])];
      for (let t = 0; t < 5; t++) st = F.lstmCell(W.squeeze(W.slice(x, { 0: [t, t + 1] }), 0), st, wi, wh, bi);
      return st[0];
    }, [s(5, 4, 3), s(32, 3), s(32, 8), s(32)], TOL.gpuAccumulate);
  });
});
