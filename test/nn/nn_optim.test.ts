import { describe, expect, it } from "vitest";
import * as W from "../../src/index.ts";
import { F, compile, manualSeed, tensor } from "../../src/index.ts";
import { Conv2d, Dropout, Linear, ReLU, Sequential } from "../../src/nn/index.ts";
import { Adam, AdamW, CosineAnnealingLR, SGD, StepLR, clipGradNorm, clipGradValue, globalNorm } from "../../src/optim/index.ts";
import { LeNet5 } from "../../src/models/lenet5.ts";
import { expectClose, TOL } from "../tolerance.ts";
import { values } from "../helpers/values.ts";

describe("nn modules", () => {
  it("LeNet-5 has PyTorch's parameter names, shapes and count (61 706)", () => {
    const m = new LeNet5();
    expect(m.namedParameters().map(([n, t]) => `${n} ${t.describe()}`)).toEqual([
      "conv1.weight float32[6,1,5,5]", "conv1.bias float32[6]", "conv2.weight float32[16,6,5,5]", "conv2.bias float32[16]",
      "fc1.weight float32[120,400]", "fc1.bias float32[120]", "fc2.weight float32[84,120]", "fc2.bias float32[84]",
      "fc3.weight float32[10,84]", "fc3.bias float32[10]",
    ]);
    expect(m.parameterCount()).toBe(61706);
  });
  it("default init is U(±1/√fan_in), seeded", async () => {
    manualSeed(1);
    const a = await values(new Linear(100, 50).weight);
    manualSeed(1);
    expect(await values(new Linear(100, 50).weight)).toEqual(a);
    expect(Math.max(...a.map(Math.abs))).toBeLessThanOrEqual(0.1);
    expect(Math.max(...a.map(Math.abs))).toBeGreaterThan(0.09);
    const c = await values(new Conv2d(3, 4, 3).weight);
    expect(Math.max(...c.map(Math.abs))).toBeLessThanOrEqual(1 / Math.sqrt(27));
  });
  it("init \"kaiming\" draws N(0, 2/fan_in) weights and zero biases, \"xavier\" U(±√(6/(fan_in+fan_out)))", async () => {
    manualSeed(2);
    const k = new Conv2d(16, 32, 5, { init: "kaiming" });
    const w = await values(k.weight);
    const std = Math.sqrt(w.reduce((a, v) => a + v * v, 0) / w.length);
    expect(std).toBeGreaterThan(0.95 * Math.sqrt(2 / 400));
    expect(std).toBeLessThan(1.05 * Math.sqrt(2 / 400));
    expect(await values(k.bias!)).toEqual(new Array(32).fill(0));
    const x = await values(new Linear(100, 50, { init: "xavier" }).weight);
    const bound = Math.sqrt(6 / 150);
    expect(Math.max(...x.map(Math.abs))).toBeLessThanOrEqual(bound);
    expect(Math.max(...x.map(Math.abs))).toBeGreaterThan(0.95 * bound);
    const lenet = new LeNet5("modern", { init: "kaiming" });
    expect(await values(lenet.fc1.bias!)).toEqual(new Array(120).fill(0));
    expect(() => new Linear(2, 2, { init: "he" as never })).toThrow('layer init: unknown init "he"; use "default", "kaiming" or "xavier"');
  });
  it("Sequential names children by index; train/eval reach every child", () => {
    const drop = new Dropout(0.5);
    const m = new Sequential(new Linear(4, 3), new ReLU(), drop);
    expect(m.namedParameters().map(([n]) => n)).toEqual(["0.weight", "0.bias"]);
    m.eval();
    expect(drop.training).toBe(false);
    const x = tensor([[1, 2, 3, 4]]);
    expect(drop.forward(x)).toBe(x);
  });
  it("a Linear with the wrong feature count names both sizes", () => {
    expect(() => new Linear(4, 2).forward(W.zeros([3, 5]))).toThrow("Linear(4, 2): input float32[3,5] has 5 features, expected 4");
  });
  it("Dropout draws a new mask on every compiled call", async () => {
    const drop = new Dropout(0.5);
    const f = compile((x: W.Tensor) => drop.forward(x));
    const a = await values(f(W.ones([64])));
    const b = await values(f(W.ones([64])));
    expect(a).not.toEqual(b);
    expect(new Set([...a, ...b])).toEqual(new Set([0, 2]));
  });
});

describe("optimizers: one step by hand", () => {
  // p = [1, −2], loss = Σ p² → g = 2p = [2, −4]
  const loss = (p: W.Tensor) => W.sum(W.mul(p, p));
  it("SGD: p − lr·g; with momentum the buffer builds up", async () => {
    const p = tensor([1, -2]);
    const opt = new SGD([p], { lr: 0.1 });
    opt.step(loss(p));
    expect(await values(p)).toEqual([0.8, -1.6].map(Math.fround));
    const q = tensor([1, -2], undefined, "float64");
    const mom = new SGD([q], { lr: 0.1, momentum: 0.9 });
    mom.step(loss(q)); // b = g = [2, −4]; q = [0.8, −1.6]
    mom.step(loss(q)); // g = [1.6, −3.2]; b = 0.9·[2, −4] + g = [3.4, −6.8]; q = [0.46, −0.92]
    expectClose(await values(q), [0.46, -0.92], TOL.handF64);
  });
  it("Adam's first step moves each weight by lr·sign(g) (bias correction cancels)", async () => {
    const p = tensor([1, -2], undefined, "float64");
    const opt = new Adam([p], { lr: 0.01, eps: 0 });
    opt.step(loss(p));
    expectClose(await values(p), [0.99, -1.99], TOL.handF64);
    // second step by hand: g = [1.98, −3.98]
    const g1 = [2, -4], g2 = [1.98, -3.98];
    const want = [0.99, -1.99].map((v, i) => {
      const m = 0.9 * 0.1 * g1[i] + 0.1 * g2[i];
      const s = 0.999 * 0.001 * g1[i] ** 2 + 0.001 * g2[i] ** 2;
      return v - (0.01 * (m / (1 - 0.81))) / Math.sqrt(s / (1 - 0.999 ** 2));
    });
    opt.step(loss(p));
    expectClose(await values(p), want, TOL.handF64);
  });
  it("AdamW decays the weight by lr·λ before the Adam step", async () => {
    const p = tensor([1, -2], undefined, "float64");
    new AdamW([p], { lr: 0.01, weightDecay: 0.5, eps: 0 }).step(loss(p));
    expectClose(await values(p), [1 * (1 - 0.005) - 0.01, -2 * (1 - 0.005) + 0.01], TOL.handF64);
  });
  it("schedules change the rate a compiled step uses, without re-tracing", async () => {
    const p = tensor([1], undefined, "float64");
    const opt = new SGD([p], { lr: 0.5 });
    let traces = 0;
    const step = compile((x: W.Tensor) => {
      traces++;
      opt.step(W.sum(W.mul(p, x)));
      return p;
    });
    const sched = new StepLR(opt, 1, 0.1);
    step(tensor([1], undefined, "float64")); // p = 1 − 0.5
    sched.step();
    step(tensor([1], undefined, "float64")); // p = 0.5 − 0.05
    expectClose(await values(p), [0.45], TOL.handF64);
    expect(traces).toBe(1);
    const cos = new CosineAnnealingLR(new SGD([tensor([0])], { lr: 1 }), 2);
    cos.step();
    expect(cos.optimizer.lr).toBeCloseTo(0.5, 12);
    cos.step();
    expect(cos.optimizer.lr).toBeCloseTo(0, 12);
  });
});

describe("gradient clipping", () => {
  it("clipGradNorm scales exploding gradients to the max norm and leaves small ones", async () => {
    const big = [tensor([300, 400]), tensor([0, 0, 1200])]; // norm 1300
    const clipped = clipGradNorm(big, 5);
    expect(await globalNorm(clipped).item()).toBeCloseTo(5, 4);
    expectClose(await values(clipped[0]), [300 * 5 / 1300, 400 * 5 / 1300], { atol: 1e-5, rtol: 1e-5, why: "f32, one division" });
    expect(await values(clipGradNorm([tensor([0.3, 0.4])], 5)[0])).toEqual([0.3, 0.4].map(Math.fround));
    expect(await values(clipGradValue([tensor([-9, 0.5, 9])], 1)[0])).toEqual([-1, 0.5, 1]);
  });
  it("keeps training stable where unclipped SGD diverges (an exploding-gradient setup)", async () => {
    // f(w) = w⁴ from w = 3 with lr 0.1: the step −0.4w³ overshoots and blows up; clipped steps converge
    const run = async (clip: boolean) => {
      const w = tensor([3], undefined, "float64");
      const opt = new SGD([w], { lr: 0.1 });
      for (let i = 0; i < 50; i++) {
        const g = W.gradients(W.sum(W.pow(w, 4)), [w]);
        opt.step(clip ? clipGradNorm(g, 1) : g);
      }
      return Math.abs(await w.item());
    };
    const unclipped = await run(false);
    expect(Number.isFinite(unclipped) && unclipped < 1e6).toBe(false); // blew up (to ∞ or NaN)
    expect(await run(true)).toBeLessThan(0.5);
  });
});

describe("F.linear inside a compiled training step with Adam", () => {
  it("fits a linear map", async () => {
    manualSeed(0);
    const layer = new Linear(3, 2);
    const opt = new Adam(layer.parameters(), { lr: 0.05 });
    const x = W.randn([64, 3], { seed: 1 });
    const y = W.matmul(x, tensor([[1, 0], [0, 2], [-1, 1]]));
    const step = compile((a: W.Tensor, b: W.Tensor) => {
      const l = F.mseLoss(layer.forward(a), b);
      opt.step(l);
      return l;
    });
    let l = Infinity;
    for (let i = 0; i < 300; i++) l = await step(x, y).item();
    expect(l).toBeLessThan(1e-4);
  });
});
