/**
 * Reductions on WebGPU against the CPU reference under both kernel families: one thread per
 * output (reduce.wgsl, what a software adapter gets, and many short reductions anywhere) and,
 * with the tiled (GPU) family, one workgroup per output with a tree in workgroup memory for
 * few outputs over long reductions (reduce_tree.wgsl): sums in another order, so the
 * accumulation tolerance; max exactly, NaN winning as on the CPU.
 */
import { expect, it } from "vitest";
import * as W from "../../src/index.ts";
import { compile, getBackend } from "../../src/index.ts";
import { planCosts } from "../../src/graph/cost.ts";
import { placeholder } from "../../src/graph/ir.ts";
import type { WebGpuBackend } from "../../src/backends/webgpu/webgpu.ts";
import { eachStrategy, expectKernelMatchesCpu, webgpuAvailable } from "../helpers/backends.ts";
import { TOL } from "../tolerance.ts";
import { given, ints, rnd as s } from "../helpers/inputs.ts";

const gpu = await webgpuAvailable();

eachStrategy(gpu, "WebGPU reductions match the CPU reference", () => {
  it.each([
    ["sum over a long last axis, 3 outputs", [3, 2000], [1]],
    ["sum over [0, 2]: LeNet-5's conv bias gradient [64, 6, 784]", [64, 6, 784], [0, 2]],
    ["sum over everything (a loss's total)", [40, 30], [0, 1]],
    ["sum over 4097 outputs of 600 (past the tree's limit: one thread each)", [4097, 600], [1]],
    ["sum over a short axis, many outputs", [64, 120], [0]],
  ] as const)("%s: forward and gradient", async (_name, shape, axes) => {
    await expectKernelMatchesCpu("sum", (x) => W.sum(x, [...axes]), [s(...shape)], TOL.gpuAccumulate);
  });

  it("sumMany: four sums ready together in one dispatch (LeNet-5's conv weight and bias gradients' shapes), forward", async () => {
    const sums = compile((a: W.Tensor, b: W.Tensor, c: W.Tensor, d: W.Tensor) => [W.sum(a, 0, true), W.sum(b, [0, 2, 3], true), W.sum(c, 0), W.sum(d)]);
    const specs = [s(64, 6, 25), s(64, 6, 28, 28), s(64, 16, 150), s(40, 30)];
    await expectKernelMatchesCpu("sumMany", (a, b, c, d) => sums(a, b, c, d), specs, TOL.gpuAccumulate, { grads: false });
    const plan = sums.plan(...(specs.map((sp) => placeholder(sp.shape, "float32")) as [W.Tensor, W.Tensor, W.Tensor, W.Tensor]));
    expect(plan.steps.map((st) => st.op.name)).toEqual(["sumMany"]);
  });

  it("max over a long axis exactly, NaN and −∞ included; an int32 sum", async () => {
    const v = Array.from({ length: 2 * 1500 }, (_, i) => Math.sin(i) * 100);
    v[700] = NaN; // row 0 holds a NaN: its max is NaN, as on the CPU
    for (let i = 1500; i < 3000; i++) v[i] = i === 2999 ? -Infinity : -1e30 - i; // row 1: no NaN
    await expectKernelMatchesCpu("max", (x) => W.max(x, 1), [given(v, [2, 1500])], TOL.gpuExact, { grads: false });
    await expectKernelMatchesCpu("int32 sum", (x) => W.sum(x, 1), [ints([2, 700], Array.from({ length: 1400 }, (_, i) => (i * 7919) % 1000 - 500))], TOL.gpuExact, { grads: false });
  });
});

it.skipIf(!gpu && !process.env.CI)("the tiled family reduces few long rows with a workgroup each, many short ones with a thread each", async () => {
  await W.setBackend("webgpu");
  const caps = (getBackend() as WebGpuBackend).caps;
  const kernels = (shape: number[], axes: number[], family: "tiled" | "direct") => {
    const plan = compile((x: W.Tensor) => W.sum(x, axes)).plan(placeholder(shape, "float32"));
    return planCosts(plan, { ...caps, matmul: family }).flatMap((c) => c.kernels);
  };
  expect(kernels([64, 6, 784], [0, 2], "tiled")).toEqual(["sum/tree"]);
  expect(kernels([64, 6, 784], [0, 2], "direct")).toEqual(["sum"]);
  expect(kernels([64, 120], [0], "tiled")).toEqual(["sum"]);
  await W.setBackend("cpu");
});
