import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import * as W from "../../src/index.ts";
import * as I from "../../src/internals.ts";
import { DeviceError, DeviceLostError, compile, compileTrainStep, getBackend, manualSeed, setBackend, tensor, type Tensor } from "../../src/index.ts";
import { LeNet5 } from "../../src/models/lenet5.ts";
import { Adam } from "../../src/optim/adam.ts";
import { WebGpuBackend } from "../../src/backends/webgpu/webgpu.ts";
import { BufferPool } from "../../src/backends/webgpu/buffers.ts";
import { apply1 } from "../../src/graph/ir.ts";
import type { OpDef } from "../../src/ops/types.ts";
import { expectKernelMatchesCpu, webgpuAvailable } from "../helpers/backends.ts";
import { TOL, expectClose } from "../tolerance.ts";
import { viewsFixture } from "../helpers/views.ts";

const gpu = await webgpuAvailable();

describe.skipIf(!gpu)("the WebGPU executor", () => {
  beforeAll(() => setBackend("webgpu"));
  afterAll(() => setBackend("cpu"));

  it("reports the adapter and whether it is software", () => {
    const b = getBackend() as WebGpuBackend;
    expect(b.name).toBe("webgpu");
    expect(typeof b.info.vendor).toBe("string");
    if (process.env.VK_ICD_FILENAMES?.includes("swiftshader")) expect(b.info.software).toBe(true);
  });

  it("in Node on a software adapter, a read after one run sleeps through most of that plan's last run time, not after two; never on hardware; values unchanged", async () => {
    const b = getBackend() as WebGpuBackend;
    const x = W.randn([256, 256], { seed: 4 });
    const f = compile((a: Tensor) => W.sum(W.matmul(W.tanh(W.matmul(a, a)), a)));
    const want = await W.setBackend("cpu").then(() => f(x).item());
    await setBackend("webgpu");
    const g = compile((a: Tensor) => W.sum(W.matmul(W.tanh(W.matmul(a, a)), a)));
    await g(x).item(); // trace, plan, pipelines; the first timed run has no estimate yet
    const t0 = performance.now();
    await g(x).item();
    const last = performance.now() - t0; // ≈ the latency the backend just measured
    const slept = b.quietWaits;
    const got = await g(x).item(); // one run in flight: the read sleeps first if 0.9 × last ≥ 2 ms
    // the pacer exists for SwiftShader, which needs the CPU Dawn's polling takes; never on hardware
    const sleeps = b.info.software && last > 5 ? 1 : 0;
    if (!b.info.software || last > 5) expect(b.quietWaits).toBe(slept + sleeps);
    if (last < 2) expect(b.quietWaits).toBe(slept); // a fast run: no sleep worth a timer
    expectClose([got], [want], TOL.gpuAccumulate);
    const [p, q] = [g(x), g(x)]; // two runs in flight: no estimate covers both, no sleep
    await Promise.all([p.item(), q.item()]);
    if (!b.info.software || last > 5) expect(b.quietWaits).toBe(slept + sleeps);
  });

  it("where asked (Firefox's slow completion polling), a read or a completion wait is nudged along with empty submits, which stop when it ends; off in Node", async () => {
    const b = getBackend() as WebGpuBackend;
    expect(b.nudgeWhileWaiting).toBe(false);
    b.nudgeWhileWaiting = true;
    try {
      const x = W.randn([512, 512], { seed: 1 });
      const want = await W.matmul(x, x).data(); // warm: pipelines compiled, the shape planned
      const before = b.nudges;
      const t0 = performance.now();
      const y = W.matmul(x, x);
      const got = await y.data();
      const waited = performance.now() - t0;
      // the first nudge is 1 ms after the wait starts: a wait that long has had some
      if (waited > 5) expect(b.nudges).toBeGreaterThan(before);
      expect(Array.from(got)).toEqual(Array.from(want));
      const after = b.nudges;
      await new Promise((r) => setTimeout(r, 30));
      expect(b.nudges).toBe(after); // stopped with the wait
      W.matmul(x, x);
      await b.settled();
      await new Promise((r) => setTimeout(r, 30));
      const settledAfter = b.nudges;
      await new Promise((r) => setTimeout(r, 30));
      expect(b.nudges).toBe(settledAfter);
    } finally {
      b.nudgeWhileWaiting = false;
    }
  });

  it("dispose() gives a step's inputs and results back to the pool at once: no growth without the GC; a disposed tensor cannot be read", async () => {
    manualSeed(5);
    const model = new LeNet5();
    const step = compileTrainStep(model, new Adam(model.parameters(), { lr: 1e-3 }));
    const b = getBackend() as WebGpuBackend;
    const labels = Array.from({ length: 16 }, (_, i) => i % 10);
    let before = 0;
    for (let i = 0; i < 12; i++) {
      const x = W.randn([16, 1, 28, 28], { seed: 100 + i }); // fresh upload each step, never collected here
      const y = tensor(labels, [16], "int32");
      const out = step(x, y);
      await out.loss.item();
      for (const t of [x, y, out.loss, out.logits]) t.dispose();
      if (i === 1) before = b.allocatedBytes;
    }
    expect(b.allocatedBytes).toBe(before);
    const z = W.randn([3]);
    await z.data();
    z.dispose();
    expect(() => z.data()).toThrow(/data: float32\[3\] was disposed/);
    await expect(W.add(z, 1).data()).rejects.toThrow(/float32\[3\] was disposed; it cannot be computed from/);
  });

  it("a read returns the values the tensor had when it was asked for, though later steps reuse its buffer at once", async () => {
    await setBackend("webgpu");
    const w = W.tensor([1, 2, 3, 4]);
    const step = W.compile((a: W.Tensor) => {
      w.assign(W.add(w, 10));
      return W.mul(a, 2);
    });
    step(W.tensor([1]));
    // w's buffer is now the step's own: the next call keeps it as w's spare, the one after writes it
    const before = w.data();
    step(W.tensor([1]));
    step(W.tensor([1]));
    expect(Array.from(await before)).toEqual([11, 12, 13, 14]);
    expect(Array.from(await w.data())).toEqual([31, 32, 33, 34]);
  });

  it("reads through planner views (reshapes without a copy) of inputs and temporaries", async () => {
    const { run, want } = viewsFixture();
    const got = await run();
    want.forEach((w, r) => expect(got[r]).toBeCloseTo(w, 5));
  });

  it("a warm LeNet-5 training step, as npm run train runs it, creates no bind group and no buffer", async () => {
    manualSeed(3);
    const model = new LeNet5();
    const step = compileTrainStep(model, new Adam(model.parameters()), { meter: "accuracy" });
    const b = getBackend() as WebGpuBackend;
    const createBuffer = vi.spyOn(b.device, "createBuffer");
    const perStep: [groups: number, buffers: number][] = [];
    for (let i = 0; i < 6; i++) {
      const [groups, buffers] = [b.bindGroupsCreated, createBuffer.mock.calls.length];
      const x = W.randn([64, 1, 28, 28], { seed: i }), y = W.tensor(Array.from({ length: 64 }, (_, k) => (k + i) % 10), [64], "int32");
      const out = step(x, y);
      if (i % 2 === 1) await step.meter!.data(); // the loop reads the meter now and then
      for (const t of [x, y, out.loss, out.logits]) t.dispose();
      perStep.push([b.bindGroupsCreated - groups, createBuffer.mock.calls.length - buffers]);
    }
    createBuffer.mockRestore();
    // the first steps fill the caches (pipelines, bind groups for both buffers of each weight)
    expect(perStep[0][0]).toBeGreaterThan(20);
    expect(perStep.slice(3)).toEqual([[0, 0], [0, 0], [0, 0]]);
  });

  it("runs a compiled LeNet-5 training step (forward, backward, Adam) as exactly one submit", async () => {
    manualSeed(3);
    const model = new LeNet5();
    const opt = new Adam(model.parameters(), { lr: 1e-3 });
    const step = compileTrainStep(model, opt);
    const x = W.randn([8, 1, 28, 28], { seed: 1 });
    const y = tensor([0, 1, 2, 3, 4, 5, 6, 7], [8], "int32");
    const b = getBackend() as WebGpuBackend;
    step(x, y); // first call: trace, plan, pipelines
    const before = b.submits;
    const l1 = step(x, y).loss;
    expect(b.submits - before).toBe(1);
    const l2 = step(x, y).loss;
    expect(b.submits - before).toBe(2);
    expect(await l2.item()).toBeLessThan(await l1.item()); // the weights were updated on the device
  });

  it("keeps GPU memory flat over many steps once warm", async () => {
    const w = W.randn([64, 32], { seed: 2 });
    const opt = new Adam([w], { lr: 1e-2 });
    const step = compile((x: Tensor) => {
      const loss = W.mean(W.square(W.matmul(x, w)));
      opt.step(loss);
      return loss;
    });
    const x = W.randn([16, 64], { seed: 3 });
    const b = getBackend() as WebGpuBackend;
    for (let i = 0; i < 20; i++) await step(x).item();
    const warm = b.allocatedBytes;
    const groups = b.bindGroupsCreated;
    for (let i = 0; i < 200; i++) {
      await step(x).item();
      if (i % 50 === 0) (globalThis as { gc?: () => void }).gc?.();
    }
    // results go back to the pool when their tensors are collected; allow one GC's worth of lag
    expect(b.allocatedBytes).toBeLessThanOrEqual(warm + 64 * 1024);
    // weights and Adam state ping-pong between fixed buffers, so their bind groups come from
    // the per-call caches; only the two kernels that bind the returned loss (the one writing
    // it into whichever buffer the GC gave back, and the step's guard that checks it) may need
    // new ones: at most about two per step
    expect(b.bindGroupsCreated - groups).toBeLessThanOrEqual(200 * 2.25);
  });

  it("folds a dispatch larger than maxComputeWorkgroupsPerDimension into two dimensions", async () => {
    const b = getBackend() as WebGpuBackend;
    const n = (b.device.limits.maxComputeWorkgroupsPerDimension + 1000) * 64;
    await expectKernelMatchesCpu("relu over 4.2M elements", (x) => W.relu(x), [{ shape: [n], range: [-1, 1] }], TOL.gpuExact, { grads: false });
  });

  it("refuses a buffer past maxStorageBufferBindingSize with a DeviceError naming the limit", () => {
    const pool = new BufferPool((getBackend() as WebGpuBackend).device, 1024);
    expect(() => pool.acquire(4096, "output float32[1024]")).toThrow(DeviceError);
    expect(() => pool.acquire(4096, "output float32[1024]")).toThrow("output float32[1024]: 4096 bytes exceed this device's maxStorageBufferBindingSize (1024); use a smaller batch");
  });

  it("a WGSL error is never silent: the read of the run that used the kernel throws it with line:col and the source, and only that read", async () => {
    const b = getBackend() as WebGpuBackend;
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown) => unhandled.push(e);
    process.on("unhandledRejection", onUnhandled);
    try {
      // a pipeline nobody runs: its check says what is wrong, and no read is spoiled by it
      const err = await b.pipelines.entry("broken/kernel", "@compute @workgroup_size(1) fn main() { let x: f32 = undefined_thing; }").check;
      expect(err).toBeInstanceOf(DeviceError);
      expect(err!.message).toMatch(/broken\/kernel: WGSL pipeline failed[\s\S]*1:\d+ error[\s\S]*--- WGSL ---/);
      expect(await W.exp(tensor([0])).item()).toBe(1);
      // a run that uses a broken kernel: its results throw the kernel's own error
      const broken: OpDef = { ...I.OPS.exp, webgpu: () => ({ calls: [{ name: "broken/kernel2", code: "@compute @workgroup_size(1) fn main() { let y: f32 = nope; }", bindings: [], threads: 1 }] }) };
      const bad = apply1(broken, [tensor([1])]);
      await expect(bad.data()).rejects.toThrow(/broken\/kernel2: WGSL pipeline failed[\s\S]*1:\d+ error[\s\S]*--- WGSL ---/);
      expect(await W.exp(tensor([0])).item()).toBe(1); // and the backend keeps working
      await new Promise((r) => setTimeout(r, 20));
      expect(unhandled).toEqual([]);
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
  });

  it("float64 stays on the CPU: a clear error, not a wrong answer", () => {
    expect(() => W.exp(tensor([1], [1], "float64")).realize()).toThrow(/float64 tensors are CPU-only/);
  });

  it("a lost device is a DeviceLostError, for a read in flight too; setBackend('webgpu') recovers", async () => {
    const b = getBackend() as WebGpuBackend;
    const old = W.exp(tensor([2])).realize();
    const inFlight = W.matmul(W.ones([64, 64]), W.ones([64, 64])).data();
    b.device.destroy();
    await expect(inFlight).rejects.toThrow(DeviceLostError);
    await new Promise((r) => setTimeout(r, 50));
    expect(() => W.exp(tensor([1])).realize()).toThrow(DeviceLostError);
    expect(() => W.exp(tensor([1])).realize()).toThrow(/call setBackend\("webgpu"\) again/);
    await setBackend("webgpu");
    expect(getBackend()).not.toBe(b);
    expect(await W.exp(tensor([0])).item()).toBe(1);
    // a result of the lost device cannot be used on the new one, and the error says why
    expect(() => old.add(1).realize()).toThrow(/was computed on an earlier webgpu device \(lost or replaced by setBackend\); its data is gone/);
  });
});
