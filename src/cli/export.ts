/**
 * @file `npm run export -- --ckpt X [--format onnx] [--out X.onnx]`: a trained classifier as
 * an ONNX model (src/io/onnx.ts) for inference in onnxruntime and other runtimes. Prints the
 * input it takes: MNIST models a float32 [N, 1, 28, 28] normalised as in training, ((pixel /
 * 255) − mean) / std; text classifiers int32 token ids [N, L], which the checkpoint's
 * vocabulary gives (0 pads).
 */
import { parseFlags } from "./flags.ts";
import { setBackend } from "../index.ts";
import { exportOnnx } from "../io/onnx.ts";
import { writeFileAtomic } from "../io/safetensors.ts";
import { MNIST_MEAN, MNIST_STD } from "../data/mnist.ts";
import { loadClassifier } from "./checkpoint_model.ts";

const USAGE = `usage: npm run export -- --ckpt FILE [options]
  --ckpt FILE                a lenet5, vgg, lstm, textclf or bow checkpoint of npm run train
  --format onnx              the format (default onnx; the only one so far)
  --out FILE                 where to write (default: the checkpoint's name with .onnx)`;

async function main() {
  const { values, fail, oneOf } = parseFlags("export", USAGE, { ckpt: { type: "string" }, format: { type: "string", default: "onnx" }, out: { type: "string" } });
  const ckpt = values.ckpt || fail("--ckpt FILE is required");
  oneOf("format", values.format!, ["onnx"] as const);
  const out = values.out ?? `${ckpt.replace(/\.safetensors$/, "")}.onnx`;
  await setBackend("cpu");
  const c = await loadClassifier(ckpt);
  const { bytes, input } = await exportOnnx(c.model, c.kind === "lenet5" ? "lenet5" : c.kind, `webgpu-dl ${c.kind} from ${ckpt}; classes: ${c.classNames.join(", ")}`);
  await writeFileAtomic(out, bytes);
  const how = input.type === "float32" ? `float32 [${input.shape.join(", ")}], pixels normalised as in training: (p / 255 − ${MNIST_MEAN}) / ${MNIST_STD}` : `int32 token ids [${input.shape.join(", ")}] from the checkpoint's vocabulary (0 pads)`;
  process.stdout.write(`export: wrote ${out} (${(bytes.length / 1024).toFixed(1)} kB, ONNX opset 17): input "${input.name}" ${how}; output "logits" [N, ${c.classNames.length}] (classes ${c.classNames.join(", ")})\n`);
}

main().catch((e) => {
  process.stderr.write(`export: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}\n`);
  process.exit(1);
});
