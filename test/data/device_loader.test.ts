/**
 * The training set on the device (DeviceLoader, ops gatherBytes and int32 gather): the same
 * batches as a DataLoader, on every backend, and on WebGPU a LeNet-5 step fed from it uploads
 * only its indices (≤ 1 KB a step; issue #18).
 */
import { describe, expect, it } from "vitest";
import * as W from "../../src/index.ts";
import { DataLoader, DeviceLoader, compileTrainStep, getBackend, manualSeed } from "../../src/index.ts";
import { gatherBytes, packBytes } from "../../src/ops/gather.ts";
import { LeNet5 } from "../../src/models/lenet5.ts";
import { Adam } from "../../src/optim/adam.ts";
import type { WebGpuBackend } from "../../src/backends/webgpu/webgpu.ts";
import { opCases, onEachBackend, testBackends } from "../helpers/backends.ts";
import { given, ints } from "../helpers/inputs.ts";
import { HAND, expectClose } from "../tolerance.ts";

const backends = await testBackends();

// two rows of 6 bytes, packed little-endian four to a word: [1 2 3 4 | 5 6 0 0], [250 251 252 253 | 254 255 0 0]
const TABLE = given(Array.from(packBytes(Uint8Array.from([1, 2, 3, 4, 5, 6, 250, 251, 252, 253, 254, 255]), 2)), [2, 2], "int32");

opCases(backends, "gatherBytes and an int32 gather, by hand", [
  { name: "rows of bytes, decoded as byte·scale + shift", f: (t, i) => gatherBytes(t, i, { bytes: 6, scale: 0.5, shift: -1 }), inputs: [TABLE, ints([3], [1, 0, 1])], want: [[124, 124.5, 125, 125.5, 126, 126.5, -0.5, 0, 0.5, 1, 1.5, 2, 124, 124.5, 125, 125.5, 126, 126.5]], shapes: [[3, 6]], how: "exact" },
  { name: "an int32 table (labels on the device)", f: (t, i) => W.gather(t, i), inputs: [given([7, 8, 9], [3, 1], "int32"), ints([4], [2, 2, 0, 1])], want: [[9, 9, 7, 8]], shapes: [[4, 1]], how: "exact" },
]);

onEachBackend(backends, "DeviceLoader", (backend) => {
  it("gives DataLoader's batches: the same order, the same normalised pixels and labels", async () => {
    const n = 37, shape = [1, 3, 5];
    const bytes = Uint8Array.from({ length: n * 15 }, (_, i) => (i * 37) % 256);
    const labels = Int32Array.from({ length: n }, (_, i) => i % 10);
    const [mean, std] = [0.1307, 0.3081];
    const opts = { batchSize: 8, shuffle: true, seed: 5 };
    const host = new DataLoader(Float32Array.from(bytes, (b) => (b / 255 - mean) / std), labels, shape, opts);
    const device = new DeviceLoader(bytes, labels, shape, { ...opts, scale: 1 / (255 * std), shift: -mean / std });
    expect(device.length).toBe(host.length);
    const a = [...host.epochBatches(2, 1)], b = [...device.epochBatches(2, 1)];
    expect(b.length).toBe(a.length);
    for (const [k, { x, y }] of b.entries()) {
      expect(x.shape).toEqual(a[k].x.shape);
      expect(y.shape).toEqual(a[k].y.shape);
      expect(Array.from(await y.data())).toEqual(Array.from(await a[k].y.data()));
      // byte·scale + shift against (byte/255 − mean)/std: a rounding apart
      expectClose(await x.data(), await a[k].x.data(), HAND.rounded[backend], `batch ${k} on ${backend}`);
    }
    device.dispose();
  });

  it("gives DataLoader's batches of int32 examples too (token windows with [T] labels), exactly", async () => {
    const n = 21, T = 5;
    const x = Int32Array.from({ length: n * T }, (_, i) => (i * 7919) % 20000);
    const y = Int32Array.from({ length: n * T }, (_, i) => (i * 31) % 20000);
    const opts = { batchSize: 4, shuffle: true, seed: 3, labelShape: [T] };
    const a = [...new DataLoader(x, y, [T], opts).epochBatches(1)];
    const device = new DeviceLoader(x, y, [T], opts);
    const b = [...device.epochBatches(1)];
    expect(b.length).toBe(a.length);
    for (const [k, batch] of b.entries()) {
      expect(batch.x.dtype).toBe("int32");
      expect(batch.x.shape).toEqual(a[k].x.shape);
      expect(batch.y.shape).toEqual(a[k].y.shape);
      expect(Array.from(await batch.x.data())).toEqual(Array.from(await a[k].x.data()));
      expect(Array.from(await batch.y.data())).toEqual(Array.from(await a[k].y.data()));
    }
    device.dispose();
  });

  it("an index past the table is an IndexError naming gatherBytes", async () => {
    const t = W.tensor(Array.from(packBytes(Uint8Array.from([1, 2, 3, 4]), 1)), [1, 1], "int32");
    await expect(gatherBytes(t, W.tensor([0, 1], [2], "int32"), { bytes: 4, scale: 1, shift: 0 }).data()).rejects.toThrow("gatherBytes: index 1 at position 1 is outside [0, 1) (the table has 1 rows)");
    expect(() => gatherBytes(t, W.tensor([0], [1], "int32"), { bytes: 8, scale: 1, shift: 0 })).toThrow(/gatherBytes: a table of 8 bytes a row must be \[rows, 2\] words, got \[1,1\]/);
  });
});

// uploads are a WebGPU matter (the CPU backend keeps host arrays): only where there is an adapter, always under CI
if (backends.includes("webgpu")) {
  onEachBackend(["webgpu"], "DeviceLoader on the device", () => {
    it("a LeNet-5 step fed from it uploads ≤ 1 KB: its batch's indices", async () => {
      manualSeed(2);
      const n = 256;
      const loader = new DeviceLoader(Uint8Array.from({ length: n * 784 }, (_, i) => (i * 13) % 256), Int32Array.from({ length: n }, (_, i) => i % 10), [1, 28, 28], { batchSize: 64, shuffle: true, seed: 1, scale: 1 / 255, shift: 0 });
      const model = new LeNet5();
      const step = compileTrainStep(model, new Adam(model.parameters()), { meter: "accuracy" });
      const b = getBackend() as WebGpuBackend;
      const perStep: number[] = [];
      let last = b.uploadedBytes;
      for (let epoch = 0; epoch < 2; epoch++) {
        for (const { x, y } of loader.epochBatches(epoch)) {
          const out = step(x, y);
          for (const t of [x, y, out.loss, out.logits]) t.dispose();
          // since the last step: the batch's making (its indices) and the step itself
          perStep.push(b.uploadedBytes - last);
          last = b.uploadedBytes;
        }
      }
      console.info(`bytes uploaded per step: ${perStep.join(", ")}`);
      expect(perStep.length).toBe(8);
      const warm = perStep.slice(2);
      for (const bytes of warm) expect(bytes).toBeLessThanOrEqual(1024);
      const [, , examples] = await step.meter!.data();
      expect(examples).toBe(2 * n);
      loader.dispose();
    });
  });
}
