/**
 * The VGG-style CNN: its shape, parameter names and count, dropout only in training, its
 * widths refused when they do not fit 28×28; `npm run train -- --model vgg` trains it, and the
 * checkpoint exports to ONNX (the graph itself is checked in test/io/onnx.test.ts).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { expect, it } from "vitest";
import { manualSeed, randn, ShapeError } from "../../src/index.ts";
import { VGG } from "../../src/models/vgg.ts";

const root = resolve(__dirname, "../..");

it("VGG: conv–conv–pool blocks with padding same, a dropout classifier, PyTorch-style names", async () => {
  manualSeed(0);
  const m = new VGG();
  expect([...m.stateDict().keys()]).toEqual(["conv1_1.weight", "conv1_1.bias", "conv1_2.weight", "conv1_2.bias", "conv2_1.weight", "conv2_1.bias", "conv2_2.weight", "conv2_2.bias", "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]);
  // 3·3·(1·32 + 32·32 + 32·64 + 64·64) + 2·(32 + 64) conv, 64·7·7·256 + 256, 256·10 + 10
  expect(m.parameterCount()).toBe(9 * (32 + 1024 + 2048 + 4096) + 2 * 96 + 3136 * 256 + 256 + 2570);
  expect(m.stateDict().get("fc1.weight")!.shape).toEqual([256, 64 * 7 * 7]);
  const x = randn([3, 1, 28, 28]);
  m.eval();
  const [a, b] = [await m.forward(x).data(), await m.forward(x).data()];
  expect(Array.from(a)).toEqual(Array.from(b)); // no dropout in eval mode
  expect(m.forward(x).shape).toEqual([3, 10]);
  m.train();
  expect(Array.from(await m.forward(x).data())).not.toEqual(Array.from(a));
  expect(new VGG({ widths: [8, 16, 32], hidden: 20, classes: 5 }).forward(randn([2, 1, 28, 28])).shape).toEqual([2, 5]);
  expect(() => new VGG({ widths: [4, 4, 4, 4, 4] })).toThrow(ShapeError);
  expect(() => m.forward(randn([2, 28, 28]))).toThrow(/VGG: expected images \[N, 1, 28, 28\]/);
});

it("npm run train -- --model vgg trains it on MNIST and its checkpoint exports", () => {
  const dir = mkdtempSync(join(tmpdir(), "webgpu-dl-vgg-")), ckpt = join(dir, "vgg.safetensors");
  const r = spawnSync("node", ["--import", "tsx", "src/cli/train.ts", "--model", "vgg", "--limit", "320", "--test-limit", "50", "--batch", "32", "--backend", "cpu", "--runs", "none", "--out", ckpt], { cwd: root, encoding: "utf8" });
  expect(r.status, r.stderr).toBe(0);
  expect(r.stderr).toMatch(/train: VGG-style CNN \(blocks of 32 and 64 channels, fc 256, dropout 0\.5\), 870634 parameters/);
  expect(r.stdout).toMatch(/^epoch 1: train loss [\d.]+, train acc [\d.]+%, val acc [\d.]+% \(32 images\)/m);
  expect(r.stdout).toMatch(/^test acc [\d.]+% \(50 images\) after epoch 1/m);
  const e = spawnSync("node", ["--import", "tsx", "src/cli/export.ts", "--ckpt", ckpt], { cwd: root, encoding: "utf8" });
  expect(e.status, e.stderr).toBe(0);
  expect(e.stdout).toMatch(/wrote .*vgg\.onnx .*output "logits" \[N, 10\]/);
}, 180_000);
