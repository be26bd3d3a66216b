/**
 * The cost model of src/graph/cost.ts and `npm run plan`: dispatch counts and bytes are exact
 * for a plan (they are counted, not timed), so they are pinned here; a change that adds
 * dispatches to a shipped model's training step fails until the count below is updated on
 * purpose (issue #18's budgets: LeNet-5 ≤ 24, the LSTM classifier ≤ 100).
 */
import { execFileSync } from "node:child_process";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { compile, matmul, type Tensor } from "../../src/index.ts";
import { placeholder } from "../../src/graph/ir.ts";
import { GPUS, estimateMs, planCosts, stepMs, summarize, type StepCost } from "../../src/graph/cost.ts";
import { planReport } from "../../src/cli/plan.ts";

const hardware = { software: false, matmul: "tiled" } as const;

describe("the cost of a plan", () => {
  it("counts a matmul's dispatch, the bytes it binds and 2·M·N·K FLOPs", () => {
    const f = compile((a: Tensor, b: Tensor) => matmul(a, b));
    const plan = f.plan(placeholder([4, 8], "float32"), placeholder([8, 16], "float32"));
    const [c] = planCosts(plan, hardware);
    expect(c).toMatchObject({ op: "matmul", dispatches: 1, bytesRead: (4 * 8 + 8 * 16) * 4, bytesWritten: 4 * 16 * 4, flops: 2 * 4 * 16 * 8 });
  });

  it("a step's time is dispatches × overhead + the larger of memory and compute time", () => {
    const gpu = { name: "test", bandwidthGBs: 1000, fp32Tflops: 10, dispatchUs: 20, source: "" };
    const memoryBound: StepCost = { index: 0, op: "add", kernels: ["add"], dispatches: 2, bytesRead: 3e6, bytesWritten: 1e6, flops: 1e6 };
    expect(stepMs(memoryBound, gpu)).toBeCloseTo(2 * 0.02 + 4e6 / 1e12 * 1e3, 12); // 0.04 + 0.004 ms
    const computeBound: StepCost = { ...memoryBound, dispatches: 1, flops: 1e9 };
    expect(stepMs(computeBound, gpu)).toBeCloseTo(0.02 + 0.1, 12); // 1e9 / 1e13 s = 0.1 ms
    expect(stepMs({ ...memoryBound, dispatches: 0 }, gpu)).toBe(0);
    expect(estimateMs([memoryBound, computeBound], gpu, 2)).toBeCloseTo(0.044 + 0.12 + 2 * 0.45, 12);
  });

  it("sums dispatches per op, most first", () => {
    const s = summarize([
      { index: 0, op: "sum", kernels: ["sum"], dispatches: 1, bytesRead: 8, bytesWritten: 4, flops: 2 },
      { index: 1, op: "matmul", kernels: ["matmul", "matmul/split-k sum"], dispatches: 2, bytesRead: 16, bytesWritten: 8, flops: 10 },
      { index: 2, op: "sum", kernels: ["sum"], dispatches: 1, bytesRead: 8, bytesWritten: 4, flops: 2 },
    ]);
    expect(s).toEqual({ dispatches: 4, bytesRead: 32, bytesWritten: 16, flops: 14, byOp: [["matmul", 2], ["sum", 2]] });
  });

  it("every GPU of the model says where its figures come from", () => {
    for (const g of GPUS) for (const what of [/(GB|TB)\/s/, /TFLOPS/, /dispatch \d+–\d+ µs/]) expect(g.source).toMatch(what);
  });
});

describe("the shipped models' training steps (npm run plan)", () => {
  // counted on the plan with a hardware adapter's kernels; see the file comment before changing
  // the budgets: LeNet-5 ≤ 24 (met), the LSTM and GRU classifiers ≤ 3·T + 16 = 100
  it.each([
    ["lenet5", "lstm", 22],
    ["lstm", "lstm", 77],
    ["lstm", "gru", 73],
    ["textclf", "lstm", 355],
    ["charlm", "lstm", 188],
  ] as const)("%s (%s): %i dispatches per Adam step", (model, cell, n) => {
    const r = planReport({ model, cell });
    expect(r.dispatches).toBe(n);
    expect(r.byOp.reduce((a, [, k]) => a + k, 0)).toBe(n);
    expect(r.steps.filter((s) => s.dispatches > 0).length).toBeLessThanOrEqual(n);
  });

  it.each(["lstm", "gru"] as const)("the %s row classifier (T = 28) stays within 3·T + 16 dispatches a step: one per time step forward and backward", (cell) => {
    const r = planReport({ model: "lstm", cell });
    expect(r.dispatches).toBeLessThanOrEqual(3 * 28 + 16);
    const perStep = r.byOp.filter(([op]) => /Sequence/.test(op)).reduce((a, [, k]) => a + k, 0);
    // T steps each way and the forward's W_hh transpose
    expect(perStep).toBe(2 * 28 + 1);
  });

  it("LeNet-5's step moves what its plan binds and does about 150 MFLOP (the model's 2·MACs, forward and backward)", () => {
    const r = planReport({ model: "lenet5" });
    // conv1 15.6 M + conv2 30.9 M + fc 7.6 M forward ≈ 54 M, twice that backward, Adam 12/weight
    expect(r.flops).toBeGreaterThan(140e6);
    expect(r.flops).toBeLessThan(160e6);
    const mm = r.steps.find((s) => s.op === "im2colMatmul")!;
    // the first conv as a matmul: [6, 25] · [64, 25, 784] + bias → [64, 6, 784], its columns read from the image
    expect(mm.flops).toBe(2 * 25 * 64 * 6 * 784 + 2 * 64 * 6 * 784);
    expect(r.estimates.map((e) => e.gpu)).toEqual(GPUS.map((g) => g.name));
    for (const e of r.estimates) expect(e.msWithRead - e.ms).toBeCloseTo(0.45, 12);
  });

  it("npm run plan prints the kernels, the totals and the estimates, and refuses a bad flag", () => {
    const tsx = resolve(__dirname, "../../node_modules/.bin/tsx");
    const cli = resolve(__dirname, "../../src/cli/plan.ts");
    const out = execFileSync(tsx, [cli, "--model", "lenet5", "--batch", "32"], { encoding: "utf8" });
    expect(out).toMatch(/^plan: LeNet-5 \(modern\) training step, adam, batch 32/);
    expect(out).toMatch(/total: 22 dispatches, [\d.]+ MB read, [\d.]+ MB written/);
    expect(out).toMatch(/NVIDIA H100 SXM +[\d.]+ ms/);
    const json = JSON.parse(execFileSync(tsx, [cli, "--model", "lstm", "--format", "json"], { encoding: "utf8" }));
    expect(json.dispatches).toBe(77);
    let code = 0, err = "";
    try {
      execFileSync(tsx, [cli, "--model", "resnet"], { encoding: "utf8", stdio: "pipe" });
    } catch (e) {
      code = (e as { status: number }).status;
      err = String((e as { stderr: string }).stderr);
    }
    expect(code).toBe(2);
    expect(err).toMatch(/plan: --model must be lenet5, lstm, textclf or charlm, got "resnet"/);
  }, 60_000);
});
