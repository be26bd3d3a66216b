/**
 * Every gradient rule against float64 central differences, one row per case, on random
 * inputs (broadcasting, stride > 1, padding > 0, non-square kernels included). The last test
 * checks that the rows together cover every op in the registry.
 */
import { describe, expect, it } from "vitest";
import * as W from "../src/index.ts";
import * as I from "../src/internals.ts";
import { F, type Tensor } from "../src/index.ts";
import { OPS } from "../src/internals.ts";
import { lstmCell } from "../src/ops/lstm_cell.ts";
import { gruCell } from "../src/ops/gru_cell.ts";
import { gruSequence, lstmSequence } from "../src/ops/recurrent_seq.ts";
import { dropout } from "../src/ops/dropout.ts";
import { avgPool2dBackward } from "../src/ops/pool.ts";
import { gradcheck, type GradcheckReport } from "./helpers/gradcheck.ts";
import { ints, pos, rnd, type InputSpec } from "./helpers/inputs.ts";

type Case = [name: string, f: (...xs: Tensor[]) => Tensor | Tensor[], specs: InputSpec[]];

const s = rnd;

const CASES: Case[] = [
  // elementwise unary
  ["neg", W.neg, [s(3, 4)]],
  ["exp", W.exp, [s(3, 4)]],
  ["log", W.log, [pos(3, 4)]],
  ["sqrt", W.sqrt, [pos(3, 4)]],
  ["abs", W.abs, [s(3, 4)]],
  ["sign (flat: zero gradient)", (x) => W.add(W.sign(x), x), [s(5)]],
  ["relu", W.relu, [s(4, 5)]],
  ["tanh", W.tanh, [s(4, 5)]],
  ["sigmoid", W.sigmoid, [s(4, 5)]],
  ["softplus", W.softplus, [s(4, 5)]],
  // elementwise binary, broadcasting both ways
  ["add broadcast [3,1]+[4]", W.add, [s(3, 1), s(4)]],
  ["sub broadcast [2,3,4]-[3,1]", W.sub, [s(2, 3, 4), s(3, 1)]],
  ["mul broadcast [1,4]*[3,1]", W.mul, [s(1, 4), s(3, 1)]],
  ["div broadcast [3,4]/[4]", W.div, [s(3, 4), pos(4)]],
  ["pow positive base", W.pow, [pos(3, 4), s(3, 4)]],
  ["maximum broadcast", W.maximum, [s(3, 4), s(4)]],
  ["minimum", W.minimum, [s(3, 4), s(3, 4)]],
  ["reluBackward broadcast (y's gradient is zero)", I.reluBackward, [s(3, 4), s(4)]],
  ["where with a mask", (a, b) => W.where(W.greater(a, b), W.mul(a, b), W.sub(a, b)), [s(3, 4), s(4)]],
  ["cast float64→float32→float64", (x) => W.cast(W.cast(x, "float32"), "float64").mul(0).add(x.mul(2)), [s(4)]],
  // reductions
  ["sum over axis 1 keepdims", (x) => W.sum(x, 1, true), [s(2, 3, 4)]],
  ["sum over all", (x) => W.sum(x), [s(2, 3)]],
  ["mean over axes [0,2]", (x) => W.mean(x, [0, 2]), [s(2, 3, 4)]],
  ["max over the last axis", (x) => W.max(x, -1), [s(3, 5)]],
  // movement
  ["reshape", (x) => W.reshape(x, [4, 3]), [s(2, 6)]],
  ["permute", (x) => W.permute(x, [2, 0, 1]), [s(2, 3, 4)]],
  ["expand", (x) => W.expand(x, [2, 3, 4]), [s(3, 1)]],
  ["slice", (x) => W.slice(x, { 0: [1, 3], 1: [-3] }), [s(4, 5)]],
  ["pad", (x) => W.pad(x, [[1, 0], [2, 1]], 0.5), [s(2, 3)]],
  ["concat along axis 1", (a, b) => W.concat([a, b, a], 1), [s(2, 3), s(2, 1)]],
  ["split along axis 1, one piece unused", (x) => { const [a, , c] = W.split(x, [1, 2, 2], 1); return W.concat([W.mul(a, 2), c], 1); }, [s(3, 5)]],
  // matmul, all transpose combinations, batch broadcasting
  ["matmul", (a, b) => W.matmul(a, b), [s(3, 4), s(4, 5)]],
  ["matmul transposeA", (a, b) => W.matmul(a, b, { transposeA: true }), [s(4, 3), s(4, 5)]],
  ["matmul transposeB", (a, b) => W.matmul(a, b, { transposeB: true }), [s(3, 4), s(5, 4)]],
  ["matmul both transposed", (a, b) => W.matmul(a, b, { transposeA: true, transposeB: true }), [s(4, 3), s(5, 4)]],
  ["matmul batched, b broadcast", (a, b) => W.matmul(a, b), [s(2, 3, 4), s(4, 2)]],
  ["matmul batched both, broadcast [2,1] x [3]", (a, b) => W.matmul(a, b), [s(2, 1, 2, 3), s(3, 3, 2)]],
  // convolution: stride, padding, channels, non-square kernels, dilation, bias
  ["conv2d 3x3 pad 1", (x, w) => W.F.conv2d(x, w, null, { padding: 1 }), [s(2, 2, 5, 5), s(3, 2, 3, 3)]],
  ["conv2d stride 2, non-square 2x3 kernel, pad [1,0]", (x, w) => F.conv2d(x, w, null, { stride: 2, padding: [1, 0] }), [s(1, 3, 6, 7), s(2, 3, 2, 3)]],
  ["conv2d stride [1,2] with bias", (x, w, b) => F.conv2d(x, w, b, { stride: [1, 2] }), [s(2, 1, 5, 6), s(2, 1, 3, 2), s(2)]],
  ["conv2d dilation 2", (x, w) => F.conv2d(x, w, null, { dilation: 2, padding: 1 }), [s(1, 2, 6, 6), s(2, 2, 2, 2)]],
  ["conv2d padding same, even 2x2 kernel (asymmetric: after > before)", (x, w) => F.conv2d(x, w, null, { padding: "same" }), [s(1, 2, 4, 5), s(2, 2, 2, 2)]],
  ["conv2d padding [top, bottom, left, right], stride [2, 1]", (x, w) => F.conv2d(x, w, null, { padding: [1, 0, 0, 2], stride: [2, 1] }), [s(1, 1, 5, 4), s(2, 1, 2, 3)]],
  ["convTranspose2d stride [2, 1], padding [1, 0], outputPadding [1, 0], dilation [1, 2], bias", (x, w, b) => F.convTranspose2d(x, w, b, { stride: [2, 1], padding: [1, 0], outputPadding: [1, 0], dilation: [1, 2] }), [s(2, 2, 3, 4), s(2, 3, 3, 2), s(3)]],
  ["nn.ConvTranspose2d-style 2× upsampling (kernel 2, stride 2)", (x, w) => F.convTranspose2d(x, w, null, { stride: 2 }), [s(1, 3, 2, 3), s(3, 2, 2, 2)]],
  ["conv2dBackwardInput (double backward)", (dy, w) => W.conv2dBackwardInput(dy, w, [2, 2, 5, 5], { stride: 2, padding: 1 }), [s(2, 3, 3, 3), s(3, 2, 3, 3)]],
  ["im2col stride 2, pad 1, dilation [1,2]", (x) => W.im2col(x, [2, 3], { stride: 2, padding: 1, dilation: [1, 2] }), [s(2, 2, 5, 7)]],
  ["col2im (overlapping windows add up)", (c) => W.col2im(c, [1, 2, 4, 5], 3, { padding: 1 }), [s(1, 18, 20)]],
  ["conv2dBackwardFilter (double backward)", (x, dy) => W.conv2dBackwardFilter(x, dy, [3, 2, 2, 3], { stride: [2, 1] }), [s(2, 2, 5, 5), s(2, 3, 2, 3)]],
  // pooling
  ["maxPool2d 2x2", (x) => F.maxPool2d(x, { kernelSize: 2 }), [s(2, 2, 4, 6)]],
  ["maxPool2d ceilMode, dilation [1, 2], window 3x2, stride [2, 1], padding [1, 0]", (x) => F.maxPool2d(x, { kernelSize: [3, 2], stride: [2, 1], padding: [1, 0], dilation: [1, 2], ceilMode: true }), [s(1, 2, 6, 6)]],
  ["avgPool2d ceilMode, countIncludePad false, padding 1, stride 2", (x) => F.avgPool2d(x, { kernelSize: 3, stride: 2, padding: 1, ceilMode: true, countIncludePad: false }), [s(1, 2, 6, 7)]],
  ["avgPool2d dilation 2", (x) => F.avgPool2d(x, { kernelSize: 2, stride: 1, dilation: 2 }), [s(1, 2, 5, 5)]],
  ["maxPool2d 3x3 stride 2 pad 1 (overlapping)", (x) => F.maxPool2d(x, { kernelSize: 3, stride: 2, padding: 1 }), [s(1, 2, 5, 5)]],
  ["maxPool2d non-square 2x3 window", (x) => F.maxPool2d(x, { kernelSize: [2, 3], stride: [1, 2] }), [s(1, 1, 4, 7)]],
  ["avgPool2d 2x2", (x) => F.avgPool2d(x, { kernelSize: 2 }), [s(2, 2, 4, 4)]],
  ["maxPool2d padding [0, 1, 1, 0] (asymmetric)", (x) => F.maxPool2d(x, { kernelSize: 2, padding: [0, 1, 1, 0] }), [s(1, 2, 3, 5)]],
  ["avgPool2d padding same, stride 2, countIncludePad false", (x) => F.avgPool2d(x, { kernelSize: 2, stride: 2, padding: "same", countIncludePad: false }), [s(1, 1, 5, 3)]],
  ["avgPool2d 3x3 stride 2 pad 1, countIncludePad false", (x) => F.avgPool2d(x, { kernelSize: 3, stride: 2, padding: 1, countIncludePad: false }), [s(1, 2, 5, 6)]],
  ["avgPool2dBackward (double backward)", (dy) => avgPool2dBackward(dy, [1, 1, 5, 4], { kernel: [3, 2], stride: [2, 2], padding: [1, 0], countIncludePad: false }), [s(1, 1, 3, 2)]],
  // lookup, losses, dropout, cells
  ["gather (embedding)", (t, i) => W.gather(t, i), [s(5, 3), ints([2, 3], [0, 4, 2, 2, 1, 4])]],
  ["scatterAdd", (src, i) => W.scatterAdd(src, i, 4), [s(5, 2), ints([5], [3, 0, 3, 1, 0])]],
  ["softmax", (x) => W.softmax(x, 1), [s(3, 4)]],
  ["logSoftmax axis 0", (x) => W.logSoftmax(x, 0), [s(3, 4)]],
  ["softmaxCrossEntropy", (x, y) => W.softmaxCrossEntropy(x, y), [s(4, 5), ints([4], [0, 4, 2, 2])]],
  ["crossEntropy mean (the fused reduction)", (x, y) => F.crossEntropy(x, y), [s(3, 6), ints([3], [5, 0, 1])]],
  ["crossEntropy sum over [B, T] labels (fused)", (x, y) => F.crossEntropy(x, y, { reduction: "sum" }), [s(2, 3, 4), ints([2, 3], [3, 0, 1, 2, 2, 0])]],
  ["mseLoss", (a, b) => F.mseLoss(a, b), [s(3, 4), s(3, 4)]],
  ["dropout p=0.3 (fixed seed)", (x, seed) => dropout(x, seed, 0.3), [s(4, 8), ints([], [1234])]],
  ["lstmCell primitive (both outputs)", (g, c) => lstmCell(g, c), [s(2, 12), s(2, 3)]],
  ["lstmCell with the hidden projection summed in", (g, c, gh) => lstmCell(g, c, gh), [s(2, 12), s(2, 3), s(2, 12)]],
  ["gruCell primitive", (gi, gh, h) => gruCell(gi, gh, h), [s(2, 9), s(2, 9), s(2, 3)]],
  ["F.lstmCell with weights and biases", (x, h, c, wi, wh, bi, bh) => F.lstmCell(x, [h, c], wi, wh, bi, bh), [s(2, 3), s(2, 4), s(2, 4), s(16, 3), s(16, 4), s(16), s(16)]],
  ["F.gruCell with weights and biases", (x, h, wi, wh, bi, bh) => F.gruCell(x, h, wi, wh, bi, bh), [s(2, 3), s(2, 4), s(12, 3), s(12, 4), s(12), s(12)]],
  ["LSTM unrolled 3 steps (BPTT)", (x, h, c, wi, wh) => {
    let st: [Tensor, Tensor] = [h, c];
    for (let t = 0; t < 3; t++) st = F.lstmCell(W.squeeze(W.slice(x, { 0: [t, t + 1] }), 0), st, wi, wh);
    return st[0];
  }, [s(3, 2, 2), s(2, 3), s(2, 3), s(12, 2), s(12, 3)]],
  ["GRU unrolled 3 steps (BPTT)", (x, h, wi, wh) => {
    let st = h;
    for (let t = 0; t < 3; t++) st = F.gruCell(W.squeeze(W.slice(x, { 0: [t, t + 1] }), 0), st, wi, wh);
    return st;
  }, [s(3, 2, 2), s(2, 3), s(9, 2), s(9, 3)]],
  ["lstmSequence, 3 steps in reverse (hs and c_T)", (x, wh, h, c) => lstmSequence(x, wh, h, c, true), [s(3, 2, 12), s(12, 3), s(2, 3), s(2, 3)]],
  ["gruSequence, 3 steps with b_hh", (x, wh, h, b) => gruSequence(x, wh, h, b), [s(3, 2, 9), s(9, 3), s(2, 3), s(9)]],
  ["pack of a [3,5] and a [70] (members at aligned offsets, zero gaps)", (a, b) => I.pack([a, b]), [s(3, 5), s(70)]],
  ["a small conv → pool → linear → cross-entropy net", (x, w, b, fw, y) => {
    const h = F.maxPool2d(F.relu(F.conv2d(x, w, b, { padding: 1 })), { kernelSize: 2 });
    return F.crossEntropy(F.linear(W.flatten(h, 1), fw), y);
  }, [s(2, 1, 4, 4), s(2, 1, 3, 3), s(2), s(3, 8), ints([2], [2, 0])]],
];

const reports: GradcheckReport[] = [];

describe("gradient rules match float64 central differences", () => {
  it.each(CASES)("%s", async (_name, f, specs) => {
    reports.push(await gradcheck(f, specs));
  });

  it("together the cases reach every op in the registry", () => {
    const forward = new Set(reports.flatMap((r) => [...r.forwardOps]));
    const backward = new Set(reports.flatMap((r) => [...r.backwardOps]));
    const bool = (name: string) => ["greater", "greaterEqual", "less", "lessEqual", "equal", "notEqual"].includes(name);
    // optimizer updates are not differentiated: test/nn/optimizer_updates.test.ts checks them
    // against the compositions they replace, test/nn/sparse_embedding.test.ts the sparse ones
    // against the dense updates
    const update = (name: string) => ["adamHyper", "adamUpdate", "sgdUpdate", "sparseSgdUpdate", "sparseAdamUpdate"].includes(name);
    // made only by the planner after autodiff: test/graph/fuse.test.ts checks it equals the
    // unfused ops bit for bit
    const fused = (name: string) => ["matmulBiasAct", "matmulRowSum", "sumMany", "softmaxCrossEntropyWithGrad", "col2imMaxPool2dBackward", "matmulMaxPool2dBackward", "im2colMatmul"].includes(name);
    // the step's guard is not differentiated: test/reliability/guard.test.ts checks it
    const guard = (name: string) => name === "allFinite" || name === "allFiniteHyper";
    // the training meter is not differentiated: test/ops/lookup_losses.test.ts checks it
    const meter = (name: string) => name === "trainMeter";
    // decodes an integer table (the training set on the device): test/data/device_loader.test.ts
    const data = (name: string) => name === "gatherBytes";
    const missing = Object.values(OPS)
      .filter((op) => !(op.grad ? forward.has(op.name) : backward.has(op.name) || bool(op.name) || update(op.name) || fused(op.name) || guard(op.name) || meter(op.name) || data(op.name)))
      .map((op) => op.name);
    expect(missing).toEqual([]);
  });
});
