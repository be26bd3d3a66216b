/**
 * Per-batch schedules and the learning-rate range test: OneCycleLR and LinearLR give PyTorch
 * 1.13's rates step for step (test/fixtures/onecycle_torch.json, written by
 * bench/torch/onecycle.py); findLr finds a suggestion inside its sweep, stops when the loss
 * diverges, and puts the model and the optimizer back as they were.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { compileTrainStep, fromArray, manualSeed, tensor, type Tensor } from "../../src/index.ts";
import { Linear } from "../../src/nn/index.ts";
import { Adam, LinearLR, OneCycleLR, SGD, findLr, lrFinderSvg, type OneCycleOptions } from "../../src/optim/index.ts";
import { DataLoader } from "../../src/data/loader.ts";
import { GraphError } from "../../src/errors.ts";
import { scheduleOf } from "../../src/cli/loop.ts";

const torch = JSON.parse(readFileSync(resolve(__dirname, "../fixtures/onecycle_torch.json"), "utf8")) as {
  onecycle: { settings: OneCycleOptions; lrs: number[] }[];
  linear: { settings: { lr: number; startFactor: number; endFactor: number; totalIters: number }; lrs: number[] }[];
};

describe("schedules stepped per batch, against PyTorch", () => {
  it.each(torch.onecycle.map((c) => [JSON.stringify(c.settings), c] as const))("OneCycleLR %s", (_, c) => {
    const opt = new SGD([tensor([0])], { lr: 123 });
    const sched = new OneCycleLR(opt, c.settings);
    const got: number[] = [];
    for (let i = 0; i < c.settings.totalSteps; i++) {
      got.push(opt.lr);
      sched.step();
    }
    got.forEach((v, i) => expect(v, `step ${i}`).toBeCloseTo(c.lrs[i], 14));
  });
  it("OneCycleLR refuses a step past totalSteps and bad settings", () => {
    const sched = new OneCycleLR(new SGD([tensor([0])], { lr: 1 }), { maxLr: 0.1, totalSteps: 2 });
    sched.step();
    sched.step();
    expect(() => sched.step()).toThrow(/stepped 3 times, more than totalSteps = 2/);
    expect(() => new OneCycleLR(new SGD([tensor([0])], { lr: 1 }), { maxLr: 0.1, totalSteps: 10, pctStart: 1 })).toThrow(GraphError);
  });
  it.each(torch.linear.map((c) => [JSON.stringify(c.settings), c] as const))("LinearLR %s", (_, c) => {
    const opt = new SGD([tensor([0])], { lr: c.settings.lr });
    const sched = new LinearLR(opt, c.settings.startFactor, c.settings.endFactor, c.settings.totalIters);
    c.lrs.forEach((want, i) => {
      expect(opt.lr, `step ${i}`).toBeCloseTo(want, 14);
      sched.step();
    });
  });
});

describe("findLr", () => {
  /** Noisy linear regression: y = x·w + noise, a model that diverges once the rate is too high. */
  function setup() {
    manualSeed(1);
    const n = 512, d = 8;
    const x = new Float32Array(n * d).map((_, i) => Math.sin(i * 12.9898) * 2);
    const w = Array.from({ length: d }, (_, j) => j - 3.5);
    const y = Float32Array.from({ length: n }, (_, i) => w.reduce((s, wj, j) => s + wj * x[i * d + j], 0) + Math.sin(i) * 0.1);
    const model = new Linear(d, 1);
    const opt = new SGD(model.parameters(), { lr: 1e-3, momentum: 0.9 });
    const mse = (out: Tensor, t: Tensor) => out.sub(t.reshape([-1, 1])).square().mean();
    const step = compileTrainStep(model, opt, { loss: mse });
    const batches = () => {
      const out = [];
      for (let e = 0; e < 20; e++) for (let b = 0; b < n; b += 32) out.push({ x: fromArray(x.slice(b * d, (b + 32) * d), [32, d]), y: fromArray(y.slice(b, b + 32), [32]) });
      return out;
    };
    return { model, opt, step, batches };
  }

  it("sweeps exponentially, stops on divergence, suggests a rate inside the sweep, and restores the model and optimizer", async () => {
    const { model, opt, step, batches } = setup();
    step(...(Object.values(batches()[0]) as [Tensor, Tensor])); // a step before: moments and t are not zero
    const before = await Promise.all(model.parameters().map(async (p) => Array.from(await p.data())));
    const stateBefore = await Promise.all([...opt.stateDict().values()].map(async (t) => Array.from(await t.data())));
    const r = await findLr(model, opt, step as never, batches() as never, { startLr: 1e-5, endLr: 10, steps: 200 });
    expect(r.stopped).toBe("diverged");
    expect(r.lrs.length).toBeLessThan(200);
    // exponential: a constant ratio between consecutive rates
    expect(r.lrs[1] / r.lrs[0]).toBeCloseTo((10 / 1e-5) ** (1 / 199), 10);
    expect(r.lrs[0]).toBe(1e-5);
    expect(r.suggestion).toBeGreaterThan(r.lrs[0]);
    expect(r.suggestion).toBeLessThan(r.lrs[r.lrs.length - 1]);
    expect(r.suggestion).toBeCloseTo(r.minimumAt / 10, 12);
    expect(Math.min(...r.smoothed)).toBeLessThan(r.smoothed[0] / 10); // the loss fell a lot before it diverged
    expect(await Promise.all(model.parameters().map(async (p) => Array.from(await p.data())))).toEqual(before);
    expect(await Promise.all([...opt.stateDict().values()].map(async (t) => Array.from(await t.data())))).toEqual(stateBefore);
    expect(opt.lr).toBe(1e-3);
    const svg = lrFinderSvg(r);
    expect(svg).toMatch(/^<svg [^>]*>/);
    expect(svg).toContain(`suggested ${r.suggestion.toPrecision(2)}`);
  });
  it("runs to the end of the range when nothing diverges, and refuses a bad range", async () => {
    const { model, opt, step, batches } = setup();
    const r = await findLr(model, opt, step as never, batches() as never, { startLr: 1e-6, endLr: 1e-4, steps: 20 });
    expect(r.stopped).toBe("end of range");
    expect(r.lrs).toHaveLength(20);
    expect((await findLr(model, opt, step as never, batches().slice(0, 7) as never, { startLr: 1e-6, endLr: 1e-4, steps: 20 })).stopped).toBe("out of batches");
    expect(r.lrs[19]).toBeCloseTo(1e-4, 15);
    await expect(findLr(model, opt, step as never, batches() as never, { startLr: 1, endLr: 0.1 })).rejects.toThrow(/needs 0 < startLr < endLr/);
  });
});

describe("the CLI's schedules (scheduleOf)", () => {
  const recipe = { lr: 0.1, schedule: "constant" as const, warmup: 0, stepSize: 1, gamma: 0.1, findLr: false, model: "lenet5" as const };
  it("constant is no schedule; warmup rises linearly over its batches", () => {
    expect(scheduleOf(recipe, 10, 2)).toBeNull();
    const w = scheduleOf({ ...recipe, warmup: 4 }, 10, 2)!;
    [0.025, 0.05, 0.075, 0.1, 0.1, 0.1].forEach((want, i) => expect(w([0, 1, 2, 3, 4, 19][i])).toBeCloseTo(want, 15));
  });
  it("step drops by γ every stepSize epochs; cosine reaches 0 at the end of the run; onecycle is OneCycleLR over all batches", () => {
    const st = scheduleOf({ ...recipe, schedule: "step", stepSize: 2 }, 10, 6)!;
    expect([0, 19, 20, 39, 40].map((s) => Number(st(s).toPrecision(12)))).toEqual([0.1, 0.1, 0.01, 0.01, 0.001]);
    const cos = scheduleOf({ ...recipe, schedule: "cosine" }, 10, 2)!;
    expect(cos(0)).toBeCloseTo(0.1, 15);
    expect(cos(10)).toBeCloseTo(0.05, 15);
    expect(cos(20)).toBeCloseTo(0, 15);
    const one = scheduleOf({ ...recipe, schedule: "onecycle" }, 10, 2)!;
    const ref = torch.onecycle[0]; // maxLr 0.01 over 20 steps
    expect(ref.settings).toEqual({ maxLr: 0.01, totalSteps: 20 });
    ref.lrs.forEach((want, s) => expect(one(s) / 10, `step ${s}`).toBeCloseTo(want, 14));
  });
});
