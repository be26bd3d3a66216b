/**
 * ONNX export: every shipped classifier (LeNet-5 modern and classic, the LSTM row classifier,
 * the text classifier with an LSTM and with a GRU, the bag-of-words baseline) run in
 * onnxruntime-node gives our logits within 1e-4, on inputs with padding and a batch that is
 * not the one the graph was built with; `npm run export` writes the file from a checkpoint and
 * refuses a model it cannot export.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import * as ort from "onnxruntime-node";
import { manualSeed, randn, tensor, type Tensor } from "../../src/index.ts";
import { LeNet5 } from "../../src/models/lenet5.ts";
import { LSTMClassifier } from "../../src/models/lstm_classifier.ts";
import { BagOfWordsClassifier, TextClassifier } from "../../src/models/text_classifier.ts";
import { CharLM } from "../../src/models/char_lm.ts";
import { VGG } from "../../src/models/vgg.ts";
import { exportOnnx } from "../../src/io/onnx.ts";
import { saveSafetensors } from "../../src/io/safetensors.ts";
import type { Module } from "../../src/nn/module.ts";

const root = resolve(__dirname, "../..");
const tokens = () => tensor(Int32Array.from([1, 5, 7, 0, 0, 0, 3, 9, 2, 49, 4, 8, 0, 0, 0, 0, 0, 0, 6, 0, 0, 0, 0, 0]), [4, 6], "int32");
const images = () => randn([5, 1, 28, 28]);

/** The largest |ours − onnxruntime's| of the logits of `x`. */
async function maxDiff(model: Module & { forward(x: Tensor): Tensor }, bytes: Uint8Array, name: string, x: Tensor): Promise<number> {
  const ours = await model.forward(x).data();
  const session = await ort.InferenceSession.create(bytes);
  const feeds = { [name]: new ort.Tensor(x.dtype === "int32" ? "int32" : "float32", await x.data() as Float32Array | Int32Array, [...x.shape]) };
  const theirs = (await session.run(feeds)).logits.data as Float32Array;
  expect(theirs.length).toBe(ours.length);
  return Array.from(ours, (v, i) => Math.abs(v - theirs[i])).reduce((m, d) => Math.max(m, d), 0);
}

describe("exportOnnx", () => {
  manualSeed(3);
  const cases: [string, string, () => Module & { forward(x: Tensor): Tensor }, () => Tensor][] = [
    ["LeNet-5 modern", "lenet5", () => new LeNet5("modern"), images],
    ["LeNet-5 classic", "lenet5", () => new LeNet5("classic", { classes: 5 }), images],
    ["the VGG-style CNN", "vgg", () => new VGG({ widths: [4, 8], hidden: 16 }), images],
    ["the LSTM row classifier", "lstm", () => new LSTMClassifier(28, 32, 10), images],
    ["the text classifier (bidirectional LSTM)", "textclf", () => new TextClassifier(50, 3, { hiddenSize: 8, cell: "lstm" }), tokens],
    ["the text classifier (bidirectional GRU)", "textclf", () => new TextClassifier(50, 3, { hiddenSize: 8, cell: "gru" }), tokens],
    ["the bag-of-words classifier", "bow", () => new BagOfWordsClassifier(50, 3), tokens],
  ];
  it.each(cases)("%s runs in onnxruntime with our logits (≤ 1e-4)", async (_, kind, make, input) => {
    const model = make();
    if (model instanceof BagOfWordsClassifier) for (const p of model.parameters()) p.assign(randn(p.shape)); // it starts at zero
    model.eval();
    const { bytes, input: spec } = await exportOnnx(model, kind);
    expect(await maxDiff(model, bytes, spec.name, input())).toBeLessThanOrEqual(1e-4);
  });

  it("refuses a model it has no graph for", async () => {
    await expect(exportOnnx(new CharLM(10, { hiddenSize: 8 }), "charlm")).rejects.toThrow(/no ONNX export for a "charlm" model; lenet5, vgg, lstm, textclf and bow/);
  });
});

it("npm run export writes a checkpoint's ONNX file and says what it takes", async () => {
  const dir = mkdtempSync(join(tmpdir(), "webgpu-dl-onnx-"));
  manualSeed(4);
  const model = new LeNet5("classic");
  await saveSafetensors(model, join(dir, "lenet.safetensors"), { model: "lenet5", variant: "classic", classes: "10" });
  const r = spawnSync("node", ["--import", "tsx", "src/cli/export.ts", "--ckpt", join(dir, "lenet.safetensors")], { cwd: root, encoding: "utf8" });
  expect(r.status, r.stderr).toBe(0);
  expect(r.stdout).toMatch(/wrote .*lenet\.onnx \([\d.]+ kB, ONNX opset 17\): input "input" float32 \[N, 1, 28, 28\].*output "logits" \[N, 10\]/);
  model.eval();
  expect(await maxDiff(model, new Uint8Array(readFileSync(join(dir, "lenet.onnx"))), "input", images())).toBeLessThanOrEqual(1e-4);
  await saveSafetensors(new CharLM(10, { hiddenSize: 8 }), join(dir, "lm.safetensors"), { model: "charlm" });
  const bad = spawnSync("node", ["--import", "tsx", "src/cli/export.ts", "--ckpt", join(dir, "lm.safetensors")], { cwd: root, encoding: "utf8" });
  expect(bad.status).toBe(1);
  expect(bad.stderr).toMatch(/lm\.safetensors: a checkpoint of --model charlm; this command takes lenet5, lstm, vgg, textclf and bow/);
}, 60_000);
