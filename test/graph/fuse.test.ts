import { describe, expect, it } from "vitest";
import * as W from "../../src/index.ts";
import { F, getBackend, manualSeed, tensor, type Tensor } from "../../src/index.ts";
import { buildPlan } from "../../src/internals.ts";
import { placeholder } from "../../src/graph/ir.ts";
import { LeNet5 } from "../../src/models/lenet5.ts";
import { onEachBackend, testBackends } from "../helpers/backends.ts";
import { makeInputs } from "../helpers/inputs.ts";
import { HAND, expectClose } from "../tolerance.ts";

const isInput = (t: Tensor) => t.storage !== null || t.node.op === null;
const opsOf = (outs: Tensor[], fuse = true) => buildPlan(outs, isInput, { fuse }).plan.steps.map((s) => s.op.name);

/** Runs a plan directly (fused or not) and reads its outputs. */
async function runPlan(outs: Tensor[], fuse: boolean): Promise<number[][]> {
  const { plan, inputTensors } = buildPlan(outs, isInput, { fuse });
  const b = getBackend();
  const handles = b.run(plan, inputTensors.map((t) => t.storage!.handle));
  return Promise.all(handles.map(async (h, i) => Array.from(await b.read(h, outs[i].dtype, outs[i].size))));
}

describe("matmul + bias + activation fusion", () => {
  it("fuses linear → relu into one step, and linear alone into matmul + bias", () => {
    const x = placeholder([4, 3], "float32");
    const w = W.randn([5, 3]);
    const b = W.randn([5]);
    expect(opsOf([F.relu(F.linear(x, w, b))])).toEqual(["matmulBiasAct"]);
    expect(opsOf([F.sigmoid(F.linear(x, w, b))])).toEqual(["matmulBiasAct"]);
    expect(opsOf([F.linear(x, w, b)])).toEqual(["matmulBiasAct"]);
    expect(opsOf([F.relu(F.linear(x, w, b))], false)).toEqual(["matmul", "add", "relu"]);
  });

  it("does not fuse an intermediate that is read twice or was asked for", () => {
    const x = placeholder([4, 3], "float32");
    const w = W.randn([5, 3]);
    const b = W.randn([5]);
    const mm = W.matmul(x, w, { transposeB: true });
    expect(opsOf([W.add(mm, b), W.exp(mm)])).toEqual(["matmul", "add", "exp"]);
    const pre = F.linear(x, w, b);
    expect(opsOf([F.relu(pre), pre])).toEqual(["matmulBiasAct", "relu"]); // pre is requested: act not absorbed
    expect(opsOf([W.add(mm, W.randn([4, 5]))])).toEqual(["matmul", "add"]); // not a bias over the last axis
  });

  it("gives bit-identical results to the unfused ops on the CPU, bias computed after the matmul", async () => {
    manualSeed(4);
    const x = W.randn([6, 7]);
    const w = W.randn([9, 7]);
    const mm = W.matmul(x, w, { transposeB: true });
    const b = W.mul(W.randn([9]), 3); // computed after the matmul in topological order
    for (const act of [F.relu, F.tanh, F.sigmoid, (t: Tensor) => t]) {
      const y = act(W.add(mm, b));
      const [fused] = await runPlan([y], true);
      const [plain] = await runPlan([y], false);
      expect(fused).toEqual(plain);
    }
  });

  it("a LeNet-5 training step plans both convolutions (bias and relu per channel) and fc1, fc2, fc3 as fused matmuls", () => {
    manualSeed(1);
    const model = new LeNet5();
    const x = placeholder([4, 1, 28, 28], "float32");
    const loss = F.crossEntropy(model.forward(x), tensor([1, 2, 3, 4], [4], "int32"));
    const grads = W.gradients(loss, model.parameters());
    const plan = buildPlan([loss, ...grads], isInput).plan.steps;
    const steps = plan.map((s) => s.op.name);
    // five with a bias (forward), two masked by a ReLU's output (fc2's and fc3's input gradients)
    expect(plan.filter((s) => s.op.name === "matmulBiasAct" && !(s.attrs as { mask?: boolean }).mask).length).toBe(5);
    expect(plan.filter((s) => s.op.name === "matmulBiasAct" && (s.attrs as { mask?: boolean }).mask).length).toBe(2);
    expect(steps.filter((s) => s === "relu" || s === "reluBackward").length).toBe(0);
  });

  it("fuses a bias along the rows: a convolution's [N, O, P] product, reshaped, plus bias [1, O, 1, 1]", async () => {
    manualSeed(6);
    const x = W.randn([2, 3, 6, 5]);
    const w = W.randn([4, 3, 3, 2]);
    const b = W.randn([4]);
    for (const act of [F.relu, F.tanh, (t: Tensor) => t]) {
      const y = act(F.conv2d(x, w, b, { padding: 1 }));
      expect(opsOf([y])).toEqual(["im2col", "matmulBiasAct"]);
      const [fused] = await runPlan([y], true);
      const [plain] = await runPlan([y], false);
      expect(fused).toEqual(plain); // the CPU adds and rounds as the separate ops do
    }
    // a matmul [.., M, N] plus a bias [M, 1] is per row too; [1, N] or a full [M, N] tensor is not
    const a = placeholder([3, 5, 4], "float32");
    const m = W.matmul(a, W.randn([4, 6]));
    expect(opsOf([W.add(m, W.randn([5, 1]))])).toEqual(["matmulBiasAct"]);
    expect(opsOf([W.add(m, W.randn([5, 6]))])).toEqual(["matmul", "add"]);
    // a reshape that mixes rows and columns is not fused through
    expect(opsOf([W.add(W.reshape(m, [3, 6, 5]), W.randn([6, 1]))])).toEqual(["matmul", "add"]); // the reshape is a view
  });
});

const fuseBackends = await testBackends();

onEachBackend(fuseBackends, "max-pool backward + ReLU backward fusion", (backend) => {
  it("relu → maxPool2d's gradient is one masked maxPool2dBackward, equal to the unfused ops (tiled and overlapping windows)", async () => {
    for (const pool of [{ kernelSize: 2 }, { kernelSize: 3, stride: 2, padding: 1 }]) {
      const [x, dy] = makeInputs([{ shape: [2, 3, 6, 6], range: [-1, 1] }, { shape: [2, 3, 3, 3] }], 9);
      const g = W.grad((v: Tensor) => W.sum(W.mul(F.maxPool2d(F.relu(v), pool), dy)))(x) as Tensor;
      const fused = opsOf([g]);
      expect(fused.filter((n) => n === "reluBackward")).toEqual([]);
      expect(fused.filter((n) => n === "maxPool2dBackward")).toHaveLength(1);
      expect(opsOf([g], false)).toContain("reluBackward");
      const [a] = await runPlan([g], true);
      const [b] = await runPlan([g], false);
      expectClose(a, b, HAND.exact[backend], `${JSON.stringify(pool)} on ${backend}`);
      // some pixels are masked, some get gradient: the case is not trivial
      expect(a.some((v) => v !== 0)).toBe(true);
    }
  });

  it("linear → relu → linear: the second layer's input gradient is one masked matmul, equal to the unfused ops", async () => {
    const [x, w1, w2, dy] = makeInputs([{ shape: [5, 7] }, { shape: [6, 7] }, { shape: [4, 6] }, { shape: [5, 4] }], 3);
    const g = W.grad((v: Tensor) => W.sum(W.mul(F.linear(F.relu(F.linear(v, w1)), w2), dy)))(x) as Tensor;
    const fused = opsOf([g]);
    expect(fused).not.toContain("reluBackward");
    expect(opsOf([g], false)).toContain("reluBackward");
    const [a] = await runPlan([g], true);
    const [b] = await runPlan([g], false);
    expectClose(a, b, HAND.exact[backend], `on ${backend}`);
    expect(a.some((v) => v !== 0)).toBe(true);
  });

  it("a linear layer's bias gradient rides on its weight gradient (one matmulRowSum), equal to the unfused ops", async () => {
    const [x, w, b, dy] = makeInputs([{ shape: [37, 7] }, { shape: [70, 7] }, { shape: [70] }, { shape: [37, 70] }], 4);
    const [gw, gb] = W.gradients(W.sum(W.mul(F.linear(x, w, b), dy)), [w, b]);
    const fusedOps = opsOf([gw, gb]);
    expect(fusedOps.filter((o) => o.startsWith("matmul") || o === "sum")).toEqual(["matmulRowSum"]);
    expect(opsOf([gw, gb], false).filter((o) => o.startsWith("matmul") || o === "sum")).toEqual(["matmul", "sum"]);
    const fused = await runPlan([gw, gb], true);
    const plain = await runPlan([gw, gb], false);
    // the CPU sums the rows in float64 in row order, as sum does: the same bits
    for (let k = 0; k < 2; k++) expectClose(fused[k], plain[k], backend === "cpu" ? HAND.exact.cpu : HAND.summed.webgpu, `output ${k} on ${backend}`);
  });

  it("sums ready at the same point run as one sumMany, bit-identical on the CPU; a sum that reads another's result is not grouped with it", async () => {
    const [a, b, c] = makeInputs([{ shape: [5, 3, 4] }, { shape: [6, 7] }, { shape: [2, 3] }], 5);
    const outs = [W.sum(a, [0, 2], true), W.sum(b, 0), W.sum(c)];
    expect(opsOf(outs)).toEqual(["sumMany"]);
    expect(opsOf(outs, false)).toEqual(["sum", "sum", "sum"]);
    const fused = await runPlan(outs, true);
    const plain = await runPlan(outs, false);
    for (let k = 0; k < 3; k++) expectClose(fused[k], plain[k], backend === "cpu" ? HAND.exact.cpu : HAND.summed.webgpu, `output ${k} on ${backend}`);
    // the second sum reads the first's result: they cannot share a dispatch
    const first = W.sum(a, 2);
    expect(opsOf([W.sum(first, 0), W.sum(b, 0)]).filter((o) => o.startsWith("sum"))).toEqual(["sum", "sumMany"]);
    // a reshape of a grouped sum in between (a view, no kernel) runs after the group …
    const [d] = makeInputs([{ shape: [7, 3] }], 6);
    const joined = W.add(W.reshape(W.sum(b, 0), [7, 1]), W.reshape(W.sum(d, 1), [7, 1]));
    expect(opsOf([joined]).filter((o) => o !== "reshape")).toEqual(["sumMany", "add"]);
    expectClose((await runPlan([joined], true))[0], (await runPlan([joined], false))[0], backend === "cpu" ? HAND.exact.cpu : HAND.summed.webgpu, `reshaped sums on ${backend}`);
    // … but a kernel reading it in between keeps them apart
    const apart = W.add(W.mul(W.reshape(W.sum(b, 0), [7, 1]), 2), W.reshape(W.sum(d, 1), [7, 1]));
    expect(opsOf([apart]).filter((o) => o !== "reshape")).toEqual(["sum", "mul", "sum", "add"]);
  });

  it("leaves a max-pool whose input is not the ReLU output alone", () => {
    const x = placeholder([1, 1, 4, 4], "float32");
    const g = W.gradients(W.sum(F.relu(F.maxPool2d(x, { kernelSize: 2 }))), [x])[0];
    expect(opsOf([g])).toContain("reluBackward");
  });
});
