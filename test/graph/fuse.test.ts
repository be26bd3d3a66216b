import { describe, expect, it } from "vitest";
import * as W from "../../src/index.ts";
import { F, getBackend, manualSeed, tensor, type Tensor } from "../../src/index.ts";
import { buildPlan } from "../../src/internals.ts";
import { placeholder } from "../../src/graph/ir.ts";
import { LeNet5 } from "../../src/models/lenet5.ts";
import { allFinite } from "../../src/ops/guard.ts";
import { adamHyper } from "../../src/ops/optimizer_updates.ts";
import { onEachBackend, testBackends } from "../helpers/backends.ts";
import { makeInputs } from "../helpers/inputs.ts";
import { HAND, expectClose } from "../tolerance.ts";

const isInput = (t: Tensor) => t.storage !== null || t.node.op === null;
const opsOf = (outs: Tensor[], fuse = true) => buildPlan(outs, isInput, { fuse }).plan.steps.map((s) => s.op.name);

/** Runs a plan directly (fused or not) and reads its outputs. */
async function runPlan(outs: Tensor[], fuse: boolean): Promise<number[][]> {
  const { plan, inputTensors } = buildPlan(outs, isInput, { fuse });
  const b = getBackend();
  const handles = b.run(plan, inputTensors.map((t) => t.storage!.handle), b.newStatus?.());
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
    // five with a bias (forward: the convolutions' read their columns from the image), two
    // masked by a ReLU's output (fc2's and fc3's input gradients)
    const base = (s: { attrs: unknown }) => (s.attrs as { base: string }).base;
    expect(plan.filter((s) => s.op.name === "matmulBiasAct" && !(s.attrs as { mask?: boolean }).mask).length).toBe(3);
    expect(plan.filter((s) => s.op.name === "im2colMatmul" && base(s) === "matmulBiasAct").length).toBe(2);
    // the weight gradients read the columns from the image too: no column matrix is stored
    expect(plan.filter((s) => s.op.name === "im2colMatmul" && base(s) === "matmul").length).toBe(2);
    expect(steps).not.toContain("im2col");
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
      expect(opsOf([y])).toEqual(["im2colMatmul"]);
      expect(opsOf([y], false).slice(0, 2)).toEqual(["im2col", "matmul"]);
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

  it("a mean cross-entropy and its backward over the same logits run as one step, equal to the unfused ops; a label out of range still faults", async () => {
    const [x] = makeInputs([{ shape: [37, 11] }], 7);
    const y = tensor(Array.from({ length: 37 }, (_, i) => (i * 5) % 11), [37], "int32");
    for (const reduction of ["mean", "sum"] as const) {
      const loss = F.crossEntropy(x, y, { reduction });
      const [gx] = W.gradients(loss, [x]);
      expect(opsOf([loss, gx]).filter((o) => o.startsWith("softmax"))).toEqual(["softmaxCrossEntropyWithGrad"]);
      expect(opsOf([loss, gx], false).filter((o) => o.startsWith("softmax"))).toEqual(["softmaxCrossEntropy", "softmaxCrossEntropyBackward"]);
      const fused = await runPlan([loss, gx], true);
      const plain = await runPlan([loss, gx], false);
      // the CPU runs the two reference loops: the same bits
      expectClose(fused[0], plain[0], backend === "cpu" ? HAND.exact.cpu : HAND.summed.webgpu, `loss (${reduction}) on ${backend}`);
      expectClose(fused[1], plain[1], backend === "cpu" ? HAND.exact.cpu : HAND.rounded.webgpu, `gradient (${reduction}) on ${backend}`);
    }
    // a cotangent computed from the loss itself is not ready before it: no fusion
    const [gs] = W.gradients(W.sqrt(F.crossEntropy(x, y)), [x]);
    expect(opsOf([gs])).toContain("softmaxCrossEntropyBackward");
    // too many logits for one workgroup: left as two kernels
    const big = W.zeros([2048, 9]);
    expect(opsOf(W.gradients(F.crossEntropy(big, tensor(new Array(2048).fill(1), [2048], "int32")), [big]))).toContain("softmaxCrossEntropyBackward");
    const bad = tensor(Array.from({ length: 37 }, (_, i) => (i === 20 ? 11 : 0)), [37], "int32");
    const lossBad = F.crossEntropy(x, bad);
    const [gBad] = W.gradients(lossBad, [x]);
    expect(opsOf([lossBad, gBad])).toContain("softmaxCrossEntropyWithGrad");
    await expect(W.compile((v: Tensor) => { const l = F.crossEntropy(v, bad); return [l, W.gradients(l, [v])[0]]; })(x)[0].item()).rejects.toThrow(/label 11 of sample 20 is outside \[0, 11\)/);
  });

  it("the step's guard and Adam's scalars that read its ok run as one step, equal to the unfused ops, finite or not", async () => {
    const [x, g] = makeInputs([{ shape: [3, 5] }, { shape: [300] }], 8);
    const lr = W.scalar(0.01);
    const t = W.scalar(6);
    for (const bad of [false, true]) {
      const gi = bad ? W.where(W.equal(W.arange(0, 300), W.scalar(211)), W.scalar(Infinity), g) : g;
      const ok = allFinite([W.sum(x).reshape([1]), gi], ["the loss", "the gradients"]);
      const [hyper, t1] = adamHyper(lr, t, ok, { b1: 0.9, b2: 0.999 });
      const outs = [ok, hyper, t1];
      expect(opsOf(outs).filter((o) => /Finite|Hyper/.test(o))).toEqual(["allFiniteHyper"]);
      expect(opsOf(outs, false).filter((o) => /Finite|Hyper/.test(o))).toEqual(["allFinite", "adamHyper"]);
      const fused = await runPlan(outs, true);
      const plain = await runPlan(outs, false);
      for (let k = 0; k < 3; k++) expect(fused[k], `output ${k}${bad ? " with an Infinity" : ""} on ${backend}`).toEqual(plain[k]);
      expect(fused[0]).toEqual([bad ? 0 : 1]);
      expect(fused[2]).toEqual([bad ? 6 : 7]);
    }
  });

  it("col2im into the max-pool backward that reads it (conv → relu → pool → conv): one kernel, equal to the unfused ops", async () => {
    const [x, w1, w2, dy] = makeInputs([{ shape: [2, 3, 8, 8] }, { shape: [4, 3, 3, 3] }, { shape: [5, 4, 3, 3] }, { shape: [2, 5, 4, 4] }], 9);
    for (const relu of [true, false]) {
      const f = (v: Tensor) => {
        const h = F.conv2d(v, w1, null, { padding: 1 });
        return W.sum(W.mul(F.conv2d(F.maxPool2d(relu ? F.relu(h) : h, { kernelSize: 2 }), w2, null, { padding: 1 }), dy));
      };
      const [g] = W.gradients(f(x), [x]);
      const fusedOps = opsOf([g]);
      expect(fusedOps).toContain("col2imMaxPool2dBackward");
      expect(fusedOps.filter((o) => o === "col2im" || o === "maxPool2dBackward")).toEqual(["col2im"]); // conv1's own input gradient
      const [a] = await runPlan([g], true);
      const [b] = await runPlan([g], false);
      expectClose(a, b, backend === "cpu" ? HAND.exact.cpu : HAND.summed.webgpu, `relu ${relu} on ${backend}`);
      expect(a.some((v) => v !== 0)).toBe(true);
    }
    // windows that overlap do not tile the plane: left as two kernels
    const [go] = W.gradients(W.sum(F.conv2d(F.maxPool2d(F.conv2d(x, w1), { kernelSize: 3, stride: 2 }), w2, null, { padding: 1 })), [x]);
    expect(opsOf([go])).not.toContain("col2imMaxPool2dBackward");
  });

  it("a linear layer's input gradient into the max-pool backward before its flatten (conv → relu → pool → linear): one kernel, equal to the unfused ops", async () => {
    const [x, w1, wf, dy] = makeInputs([{ shape: [3, 2, 8, 8] }, { shape: [4, 2, 3, 3] }, { shape: [5, 64] }, { shape: [3, 5] }], 10);
    for (const relu of [true, false]) {
      const f = (v: Tensor) => {
        const h = F.conv2d(v, w1, null, { padding: 1 });
        return W.sum(W.mul(F.linear(W.flatten(F.maxPool2d(relu ? F.relu(h) : h, { kernelSize: 2 }), 1), wf), dy));
      };
      const [g, gw] = W.gradients(f(x), [x, w1]);
      const fusedOps = opsOf([g, gw]);
      expect(fusedOps).toContain("matmulMaxPool2dBackward");
      expect(fusedOps).not.toContain("maxPool2dBackward");
      expect(opsOf([g, gw], false)).toContain("maxPool2dBackward");
      // both matmul kernel families on WebGPU (SwiftShader gets the direct one)
      const caps = backend === "webgpu" ? (getBackend() as unknown as { caps: { matmul: string } }).caps : null;
      for (const family of caps ? ["direct", "tiled"] : ["cpu"]) {
        if (caps) caps.matmul = family;
        const fused = await runPlan([g, gw], true);
        const plain = await runPlan([g, gw], false);
        for (let k = 0; k < 2; k++) expectClose(fused[k], plain[k], backend === "cpu" ? HAND.exact.cpu : HAND.summed.webgpu, `output ${k}, relu ${relu}, ${family}`);
        expect(fused[0].some((v) => v !== 0)).toBe(true);
      }
      if (caps) caps.matmul = "direct";
    }
  });

  it("leaves a max-pool whose input is not the ReLU output alone", () => {
    const x = placeholder([1, 1, 4, 4], "float32");
    const g = W.gradients(W.sum(F.relu(F.maxPool2d(x, { kernelSize: 2 }))), [x])[0];
    expect(opsOf([g])).toContain("reluBackward");
  });
});

onEachBackend(fuseBackends, "im2col into the products that read its columns (im2colMatmul)", (backend) => {
  // shapes that are multiples of no tile: stride, padding and dilation, and a 1×1 window
  const cases = [
    { x: [3, 2, 9, 7], w: [5, 2, 3, 2], opts: { padding: 1 } },
    { x: [2, 3, 11, 10], w: [4, 3, 3, 3], opts: { stride: 2, padding: [2, 1] as [number, number], dilation: [1, 2] as [number, number] } },
    { x: [5, 4, 6, 6], w: [7, 4, 1, 1], opts: {} },
  ];
  const families = () => {
    const caps = backend === "webgpu" ? (getBackend() as unknown as { caps: { matmul: string } }).caps : null;
    return { caps, list: caps ? ["direct", "tiled"] : ["reference", "fast"] };
  };

  it("a convolution's forward pass and weight gradient read the image, equal to the unfused ops (both matmul families; both CPU modes)", async () => {
    for (const [n, { x: xs, w: ws, opts }] of cases.entries()) {
      const [x, w, b] = makeInputs([{ shape: xs }, { shape: ws }, { shape: [ws[0]] }], 20 + n);
      const y = F.relu(F.conv2d(x, w, b, opts));
      const d = makeInputs([{ shape: [...y.shape] }], 30 + n)[0];
      const [gw, gb] = W.gradients(W.sum(W.mul(y, d)), [w, b]);
      const fused = opsOf([y, gw, gb]);
      expect(fused.filter((o) => o === "im2colMatmul").length, `case ${n}`).toBe(2);
      expect(fused).not.toContain("im2col");
      const { caps, list } = families();
      for (const family of list) {
        if (caps) caps.matmul = family;
        else await W.setBackend("cpu", { mode: family as "reference" | "fast" });
        const a = await runPlan([y, gw, gb], true);
        const p = await runPlan([y, gw, gb], false);
        for (let k = 0; k < 3; k++) {
          // the reference runs the unfused loops: the same bits; the float32 kernels (the fast
          // mode's, WebGPU's) may sum in another order, within the WebGPU kernels' tolerance
          if (family === "reference") expect(a[k], `output ${k}, case ${n}`).toEqual(p[k]);
          else expectClose(a[k], p[k], HAND.summed.webgpu, `output ${k}, case ${n}, ${family}`);
        }
        expect(a[1].some((v) => v !== 0)).toBe(true);
      }
      if (caps) caps.matmul = "direct";
      else await W.setBackend("cpu");
    }
  });

  it("leaves im2col alone where its columns are asked for or read by anything but a product's B", () => {
    const x = placeholder([2, 3, 6, 6], "float32");
    const cols = W.im2col(x, 3, { padding: 1 });
    expect(opsOf([cols])).toEqual(["im2col"]);
    // read as A (a transposed product) and as B: the columns must exist
    expect(opsOf([W.matmul(cols, cols, { transposeA: true })])).toEqual(["im2col", "matmul"]);
    // one reader is a product's B, the other an exp: not fused for either
    const w = W.randn([2, 27]);
    expect(opsOf([W.matmul(w, cols), W.exp(cols)])).toEqual(["im2col", "matmul", "exp"]);
    expect(opsOf([W.matmul(w, cols)])).toEqual(["im2colMatmul"]);
  });
});
