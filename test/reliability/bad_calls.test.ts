/**
 * Only typed errors leave the public API: a table of bad calls, each run on every backend,
 * checked for its WebGpuDlError subclass and a fragment of its message; zero-size
 * dimensions compute empty results of the right shape as in PyTorch; an error belongs to
 * the call that caused it; dispose() never frees what another tensor still holds.
 */
import { afterAll, describe, expect, it } from "vitest";
import * as W from "../../src/index.ts";
import * as I from "../../src/internals.ts";
import { DeviceError, DTypeError, FormatError, GraphError, ShapeError, WebGpuDlError, nn, optim, setBackend, tensor, type Tensor } from "../../src/index.ts";
import { LeNet5 } from "../../src/models/lenet5.ts";
import { charLMFromMetadata } from "../../src/models/char_lm.ts";
import { textClassifierFromMetadata } from "../../src/models/text_classifier.ts";
import { parseLabeledTexts } from "../../src/data/text.ts";
import { apply1 } from "../../src/graph/ir.ts";
import type { OpDef } from "../../src/ops/types.ts";
import { webgpuAvailable } from "../helpers/backends.ts";

const gpu = await webgpuAvailable();
const backends = gpu ? (["cpu", "webgpu"] as const) : (["cpu"] as const);

type Case = [what: string, call: () => unknown, type: new (...a: never[]) => WebGpuDlError, fragment: string | RegExp];

const CASES: Case[] = [
  ["zeros([70000, 70000])", () => W.zeros([70000, 70000]), DeviceError, "full([70000,70000]): 4900000000 float32 values (19.6 GB) cannot be allocated"],
  ["arange with step 0", () => W.arange(0, 10, 0), ShapeError, "arange: start 0, end 10 and step 0 must be finite numbers and the step non-zero"],
  ["nn.Linear(1e6, 1e6)", () => new nn.Linear(1e6, 1e6), DeviceError, "cannot be allocated in this JavaScript engine"],
  ["nn.LSTM(4, -3)", () => new nn.LSTM(4, -3), ShapeError, "LSTM(4, -3): hiddenSize must be an integer ≥ 1"],
  ["nn.LSTM(4, 0)", () => new nn.LSTM(4, 0), ShapeError, "LSTM(4, 0): hiddenSize must be an integer ≥ 1"],
  ["an LSTM over 0 time steps", () => new nn.LSTM(4, 3).forward(W.zeros([0, 2, 4])), ShapeError, "has 0 time steps; a sequence needs at least one"],
  ["item() of 2 elements", () => tensor([1, 2]).item(), ShapeError, "item: tensor float32[2] has 2 elements, expected 1"],
  ["F.maxPool2d(x, {})", () => W.F.maxPool2d(W.zeros([1, 1, 4, 4]), {} as never), ShapeError, "maxPool2d: kernelSize must be an integer ≥ 1 or a pair of them, got nothing"],
  ["F.maxPool2d(x) with no options", () => W.F.maxPool2d(W.zeros([1, 1, 4, 4]), undefined as never), ShapeError, "maxPool2d: pass the options"],
  ["a compiled function with too few arguments", () => W.compile((a: Tensor, b: Tensor) => a.add(b))(...([W.zeros([2])] as never as [Tensor, Tensor])), GraphError, "compile: the function takes 2 tensor arguments, it was called with 1"],
  ["zeros([2], 'int8')", () => W.zeros([2], "int8" as never), DTypeError, 'unknown dtype "int8"'],
  ["cast(x, 'float16')", () => W.cast(W.zeros([2]), "float16" as never), DTypeError, 'cast: unknown dtype "float16"'],
  ["zeros with a fractional dimension", () => W.zeros([2.5]), ShapeError, "invalid dimension 2.5"],
  ["zeros with no shape", () => W.zeros(undefined as never), ShapeError, "is not a list of dimensions"],
  ["optimizer.lr = NaN", () => { new optim.SGD([W.zeros([2])], { lr: 0.1 }).lr = NaN; }, GraphError, "optimizer.lr: the learning rate must be a finite number ≥ 0, got NaN"],
  ["an optimizer with lr Infinity", () => new optim.Adam([W.zeros([2])], { lr: Infinity }), GraphError, "the learning rate must be a finite number ≥ 0, got Infinity"],
  ["reading a disposed tensor", () => { const t = W.ones([2]).add(1); t.realize(); t.dispose(); return t.data(); }, GraphError, "was disposed"],
  ["computing from a disposed tensor", () => { const t = W.ones([2]).add(1); t.realize(); t.dispose(); return t.mul(2).data(); }, GraphError, "was disposed; it cannot be computed from"],
  ["assigning to a disposed weight", () => { const w = W.zeros([2]); w.dispose(); w.assign(W.ones([2])); }, GraphError, "assign: target float32[2] was disposed"],
  ["charLM metadata that is not JSON", () => charLMFromMetadata({ model: "charlm", config: "{oops", vocab: '["<pad>","<unk>","a"]' }, "c.st", new Map()), FormatError, 'c.st: metadata "config" is not valid JSON'],
  ["a vocabulary without <pad> and <unk>", () => charLMFromMetadata({ model: "charlm", config: "{}", vocab: "[]" }, "v.st", new Map()), FormatError, "v.st: Vocabulary: ids 0 and 1 must be <pad>"],
  ["charLM metadata with a huge hidden size", () => charLMFromMetadata({ model: "charlm", config: JSON.stringify({ vocabSize: 4, embeddingDim: 2, hiddenSize: 8000, numLayers: 1 }), vocab: JSON.stringify(["<pad>", "<unk>", "a", "b"]) }, "c.st", new Map([["embedding.weight", [4, 2]]])), FormatError, "c.st:"],
  ["text-classifier metadata with the wrong types", () => textClassifierFromMetadata({ model: "textclf", config: "7", vocab: "{}", classes: "3", maxLen: "x" }, "t.st"), FormatError, "t.st:"],
  ["a data file that is not UTF-8", () => parseLabeledTexts(new Uint8Array([0x70, 0x6f, 0x73, 0x09, 0xff, 0xfe, 0x0a]), "bin.tsv"), FormatError, "bin.tsv: line 1 is not valid UTF-8"],
];

describe.each(backends)("bad calls on %s get typed errors", (backend) => {
  afterAll(() => setBackend("cpu"));
  it.each(CASES)("%s", async (_what, call, type, fragment) => {
    await setBackend(backend);
    let thrown: unknown = null;
    try {
      await call();
    } catch (e) {
      thrown = e;
    }
    expect(thrown, "nothing was thrown").not.toBeNull();
    expect(thrown).toBeInstanceOf(type);
    expect(thrown).toBeInstanceOf(WebGpuDlError);
    expect((thrown as Error).message).toMatch(typeof fragment === "string" ? new RegExp(fragment.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")) : fragment);
  });
});

describe.each(backends)("zero-size dimensions on %s", (backend) => {
  afterAll(() => setBackend("cpu"));
  it("compute empty results of the right shape, or the values PyTorch gives (sums of nothing are 0)", async () => {
    await setBackend(backend);
    expect((await W.matmul(W.zeros([0, 3]), W.ones([3, 4])).data()).length).toBe(0);
    expect(W.matmul(W.zeros([0, 120]), W.ones([120, 400])).shape).toEqual([0, 400]);
    expect((await W.matmul(W.zeros([0, 120]), W.ones([120, 400])).data()).length).toBe(0);
    expect(Array.from(await W.matmul(W.ones([2, 0]), W.ones([0, 3])).data())).toEqual([0, 0, 0, 0, 0, 0]);
    expect(Array.from(await W.F.linear(W.zeros([2, 0]), W.zeros([3, 0]), W.ones([3])).data())).toEqual([1, 1, 1, 1, 1, 1]);
    expect(Array.from(await W.sum(W.zeros([3, 0]), 1).data())).toEqual([0, 0, 0]);
    expect(Array.from(await W.concat([W.ones([2, 0]), W.ones([2, 1])], 1).data())).toEqual([1, 1]);
    expect((await W.softmax(W.zeros([2, 0])).data()).length).toBe(0);
    expect((await W.relu(W.zeros([0, 5])).data()).length).toBe(0);
    const [out] = new nn.LSTM(4, 3).forward(W.zeros([2, 0, 4]));
    expect(out.shape).toEqual([2, 0, 3]);
    expect((await out.data()).length).toBe(0);
    expect((await W.F.conv2d(W.zeros([0, 1, 5, 5]), W.zeros([2, 1, 3, 3])).data()).length).toBe(0);
  });
  it("a compiled step on a batch of 0 gives the NaN loss PyTorch gives, skips the update and names it", async () => {
    await setBackend(backend);
    const model = new LeNet5();
    const before = await Promise.all(model.parameters().map((p) => p.data()));
    const step = W.compileTrainStep(model, new optim.Adam(model.parameters()));
    await expect(step(W.zeros([0, 1, 28, 28]), tensor([], [0], "int32")).loss.item()).rejects.toThrow(/step 1: the loss is NaN/);
    const after = await Promise.all(model.parameters().map((p) => p.data()));
    after.forEach((a, i) => expect(Array.from(a)).toEqual(Array.from(before[i])));
  });
});

describe.each(backends)("errors belong to their call, and dispose frees only what it owns, on %s", (backend) => {
  afterAll(() => setBackend("cpu"));
  it("a kernel that fails to compile is thrown by the read of its own result, not by a later unrelated one", async () => {
    await setBackend(backend);
    const broken: OpDef = {
      ...I.OPS.exp,
      webgpu: () => ({ calls: [{ name: "broken/kernel", code: "@compute @workgroup_size(1) fn main() { let x: f32 = undefined_thing; }", bindings: [], threads: 1 }] }),
    };
    const bad = apply1(broken, [tensor([1, 2])]);
    if (backend === "webgpu") await expect(bad.data()).rejects.toThrow(/broken\/kernel: WGSL pipeline failed[\s\S]*1:\d+ error[\s\S]*--- WGSL ---/);
    else expect(Array.from(await bad.data())).toEqual([Math.fround(Math.E), Math.fround(Math.E ** 2)]);
    expect(Array.from(await W.exp(tensor([0])).data())).toEqual([1]);
  });
  it("disposing a compiled function's output that is its input, a weight or another output frees none of them", async () => {
    await setBackend(backend);
    const w = W.ones([3]);
    const f = W.compile((x: Tensor) => {
      w.assign(w.add(x));
      return { same: x, again: x, weight: w.add(0), updated: x.mul(2) };
    });
    const x = tensor([1, 2, 3]);
    const r = f(x) as Record<string, Tensor>;
    r.same.dispose();
    r.again.dispose();
    r.updated.dispose();
    const y = W.zeros([3]).add(7).realize(); // would take a freed buffer and overwrite it
    expect(Array.from(await x.data())).toEqual([1, 2, 3]);
    expect(Array.from(await w.data())).toEqual([2, 3, 4]);
    expect(Array.from(await y.data())).toEqual([7, 7, 7]);
    // an eager assign: the weight keeps the data after the value is disposed
    const v = W.ones([3]).mul(5).realize();
    w.assign(v);
    v.dispose();
    W.zeros([3]).add(9).realize();
    expect(Array.from(await w.data())).toEqual([5, 5, 5]);
  });
});
