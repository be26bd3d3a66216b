/**
 * Transfer learning: frozen parameters stay bit-identical through training and cost no
 * gradient kernel in the compiled step; strict and non-strict loading report the keys;
 * a model's head can be replaced.
 */
import { describe, expect, it } from "vitest";
import { FormatError, GraphError, ShapeError, compileTrainStep, fromArray, manualSeed, tensor } from "../../src/index.ts";
import { Linear } from "../../src/nn/index.ts";
import { Adam, SGD } from "../../src/optim/index.ts";
import { LeNet5 } from "../../src/models/lenet5.ts";
import { onEachBackend, testBackends } from "../helpers/backends.ts";

const backends = await testBackends();
const batch = () => {
  const x = fromArray(Float32Array.from({ length: 8 * 784 }, (_, i) => Math.sin(i * 0.37)), [8, 1, 28, 28]);
  return [x, tensor([0, 1, 2, 3, 4, 5, 6, 7], undefined, "int32")] as const;
};
const host = async (m: LeNet5) => Promise.all(m.parameters().map(async (p) => Array.from(await p.data())));

onEachBackend(backends, "freezing", (backend) => {
  it("frozen layers are bit-identical after training, the others change, and their gradient kernels are not in the plan", async () => {
    manualSeed(0);
    const m = new LeNet5();
    expect(m.freeze("conv1", "conv2", "fc1", "fc2")).toEqual(["conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias", "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]);
    const before = await host(m);
    const opt = new Adam(m.parameters(), { lr: 0.01 });
    expect(opt.params).toEqual([m.fc3.weight, m.fc3.bias]);
    const step = compileTrainStep(m, opt);
    const [x, y] = batch();
    for (let i = 0; i < 3; i++) step(x, y);
    const after = await host(m);
    for (let k = 0; k < 8; k++) expect(after[k], `${m.namedParameters()[k][0]} on ${backend}`).toEqual(before[k]);
    expect(after[8]).not.toEqual(before[8]);
    // after the loss's own backward kernel, only the head's gradient, the guard and the update run
    const names = step.plan(x, y).steps.map((s) => s.op.name);
    expect(names.slice(names.indexOf("softmaxCrossEntropyWithGrad") + 1)).toEqual(["matmulRowSum", "allFiniteHyper", "adamUpdate"]);
  });
});

describe("freeze, unfreeze and the optimizer", () => {
  it("names what it froze; an unknown name lists the model's layers", () => {
    const m = new LeNet5();
    expect(() => m.freeze("conv3")).toThrow(new ShapeError('LeNet5.freeze: no parameter is called "conv3" or lies under it; the model has conv1, conv2, fc1, fc2, fc3'));
    expect(m.freeze()).toHaveLength(10);
    expect(m.trainableParameters()).toEqual([]);
    expect(() => new SGD(m.parameters(), { lr: 0.1 })).toThrow(/all 10 parameters are frozen; unfreeze some/);
    expect(m.unfreeze("fc3.bias")).toEqual(["fc3.bias"]);
    expect(m.trainableParameters()).toEqual([m.fc3.bias]);
  });
  it("a parameter frozen after the optimizer was made is refused at the step, not silently updated", () => {
    const m = new LeNet5();
    const opt = new SGD(m.parameters(), { lr: 0.1 });
    const step = compileTrainStep(m, opt);
    m.freeze("conv1");
    expect(() => step(...batch())).toThrow(new GraphError("SGD.step: conv1.weight was frozen after the optimizer was made; make the optimizer after freezing (its state is per parameter)"));
  });
});

describe("loading and heads", () => {
  const arrays = async (m: LeNet5) => new Map(await Promise.all([...m.stateDict()].map(async ([k, t]) => [k, { dtype: t.dtype, shape: [...t.shape], data: await t.data() }] as const)));
  it("strict loading refuses missing and unexpected keys; strict: false returns them and loads the rest", async () => {
    manualSeed(1);
    const src = new LeNet5(), dst = new LeNet5();
    const sd = await arrays(src);
    sd.delete("fc3.bias");
    sd.set("extra.weight", { dtype: "float32", shape: [1], data: new Float32Array([1]) });
    const dstBefore = await host(dst);
    expect(() => dst.loadStateDict(sd, { file: "pre.safetensors" })).toThrow(new FormatError("pre.safetensors: keys do not match the model (missing: fc3.bias; unexpected: extra.weight)"));
    expect(await host(dst)).toEqual(dstBefore);
    expect(dst.loadStateDict(sd, { strict: false })).toEqual({ missing: ["fc3.bias"], unexpected: ["extra.weight"] });
    const [got, want] = [await host(dst), await host(src)];
    expect(got.slice(0, 9)).toEqual(want.slice(0, 9));
    expect(got[9]).toEqual(dstBefore[9]); // the missing one keeps its value
  });
  it("a key on both sides with another shape is an error even when not strict, and nothing loads", async () => {
    const src = new LeNet5(), dst = new LeNet5();
    dst.replace("fc3", new Linear(84, 5));
    const before = await host(dst);
    const sd = await arrays(src);
    expect(() => dst.loadStateDict(sd, { strict: false, file: "f" })).toThrow(new FormatError("f: fc3.weight is float32[10,84] in the file, the model has float32[5,84]"));
    expect(await host(dst)).toEqual(before);
  });
  it("replace swaps a submodule and the field that holds it: a new head", () => {
    const m = new LeNet5();
    const old = m.replace("fc3", new Linear(84, 5));
    expect(old).toBeInstanceOf(Linear);
    expect(m.fc3.outFeatures).toBe(5);
    expect(m.namedParameters().map(([n, t]) => `${n} ${t.describe()}`).slice(-2)).toEqual(["fc3.weight float32[5,84]", "fc3.bias float32[5]"]);
    expect(m.forward(batch()[0]).shape).toEqual([8, 5]);
    expect(() => m.replace("fc9", new Linear(1, 1))).toThrow(/no submodule "fc9"; it has conv1, conv2, fc1, fc2, fc3/);
  });
});
