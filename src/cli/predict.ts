/**
 * @file `npm run predict -- --ckpt FILE INPUT…`: what a trained model says about new input.
 *   lenet5, lstm   each INPUT is a PNG of a digit, any size, dark on light or light on dark
 *                  (decoded by pngjs, then preprocessed as MNIST: grey, inverted to white ink
 *                  on black when the border is light, the ink scaled into 20×20 and centred by
 *                  mass in 28×28); prints the top classes with their probabilities
 *   textclf, bow   each INPUT (or, with none, each line of stdin) is a text to classify
 *   tagger         `npm run tag` on the INPUTs; skipgram: `npm run similar --word INPUT…`;
 *   charlm         `npm run sample --prime INPUT`
 */
import { parseFlags } from "./flags.ts";
import { setBackend, softmax, tensor, type Tensor } from "../index.ts";
import { FormatError } from "../errors.ts";
import { readSafetensorsHeader } from "../io/safetensors.ts";
import { MNIST_MEAN, MNIST_STD } from "../data/mnist.ts";
import { rgbaToGrey, toMnistImage } from "../data/mnist_image.ts";
import { padSequences } from "../data/text.ts";
import { wordTokens } from "../text/vocab.ts";
import { loadClassifier, type Classifier } from "./checkpoint_model.ts";

const USAGE = `usage: npm run predict -- --ckpt FILE [options] INPUT…
  --ckpt FILE                a checkpoint saved by npm run train (--out FILE, or a run folder's
                             best.safetensors / last.safetensors)
  --top K                    how many classes to print (default 3)
  --backend auto|cpu|webgpu  where to run (default cpu)
  --cpu-mode fast|reference  the CPU backend's kernels (default fast; reference: float64 sums)
INPUT: for an MNIST model (lenet5, lstm) a PNG of a digit, any size; for a text classifier a
text (with none, each line of stdin); a tagger's sentences, a skip-gram model's words and a
char-LM's prime go to npm run tag, similar and sample.`;

/** The top k of one row of probabilities, as "7 97.31 %, 1 1.20 %". */
function topK(p: ArrayLike<number>, names: readonly string[], k: number): string {
  return Array.from(p, (v, i) => [v, i] as const).sort((a, b) => b[0] - a[0]).slice(0, k).map(([v, i]) => `${names[i]} ${(100 * v).toFixed(2)} %`).join(", ");
}

/** A PNG file as an MNIST image (normalised as training normalised it), or a FormatError naming the file. */
export async function readDigit(file: string): Promise<Float32Array> {
  const { readFile } = await import("node:fs/promises");
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (e) {
    throw new FormatError(`${file}: cannot read the image (${(e as Error).message})`);
  }
  if (bytes.subarray(0, 8).toString("latin1") !== "\x89PNG\r\n\x1a\n") throw new FormatError(`${file}: not a PNG file; predict reads PNG images (convert others first, e.g. convert in.jpg out.png)`);
  const { PNG } = await import("pngjs").catch(() => {
    throw new FormatError("predict: reading PNG images needs the pngjs package (npm install pngjs)");
  });
  let png: { width: number; height: number; data: Uint8Array };
  try {
    png = PNG.sync.read(bytes);
  } catch (e) {
    throw new FormatError(`${file}: a broken PNG (${(e as Error).message})`);
  }
  const img = toMnistImage(rgbaToGrey(png.data, png.width, png.height), png.width, png.height);
  if (!img) throw new FormatError(`${file}: the image is blank (no ink differs from its background)`);
  return img.map((v) => (v - MNIST_MEAN) / MNIST_STD);
}

/** The lines to read: the arguments, or stdin's non-empty lines when there are none. */
async function inputs(positionals: string[]): Promise<string[]> {
  if (positionals.length) return positionals;
  const { text } = await import("node:stream/consumers");
  return (await text(process.stdin)).split(/\r?\n/).filter((l) => l.trim() !== "");
}

/** Runs another command (tag, similar, sample) with these flags, as if called by its own name. */
async function delegate(command: "tag" | "similar" | "sample", args: string[]): Promise<void> {
  process.argv = [process.argv[0], process.argv[1], ...args];
  await import(`./${command}.ts`);
}

async function main() {
  const { values, positionals, fail, int, oneOf } = parseFlags("predict", USAGE, { ckpt: { type: "string" }, top: { type: "string", default: "3" }, backend: { type: "string", default: "cpu" }, "cpu-mode": { type: "string", default: "fast" } },
    process.argv.slice(2), { positionals: true });
  const ckpt = values.ckpt || fail("--ckpt FILE is required");
  const k = int("top", values.top, 1)!;
  const backend = oneOf("backend", values.backend!, ["auto", "cpu", "webgpu"] as const);
  const mode = oneOf("cpu-mode", values["cpu-mode"]!, ["fast", "reference"] as const);
  const { metadata: meta } = await readSafetensorsHeader(ckpt);
  const kind = meta.model;
  if (kind === "tagger") return delegate("tag", ["--ckpt", ckpt, "--backend", backend, "--cpu-mode", mode, ...positionals]);
  if (kind === "skipgram") return delegate("similar", ["--ckpt", ckpt, ...positionals.flatMap((w) => ["--word", w])]);
  if (kind === "charlm") return delegate("sample", ["--ckpt", ckpt, "--backend", backend, "--cpu-mode", mode, ...(positionals.length ? ["--prime", positionals.join(" ")] : [])]);
  await setBackend(backend, { mode });
  const c = await loadClassifier(ckpt);
  const names = c.classNames;
  if (c.kind === "lenet5" || c.kind === "lstm" || c.kind === "vgg") {
    if (positionals.length === 0) fail("give one or more PNG images of digits");
    const images = await Promise.all(positionals.map(readDigit));
    const x = tensor(Float32Array.from(images.flatMap((im) => Array.from(im))), [images.length, 1, 28, 28]);
    const p = await softmax(c.model.forward(x), -1).data();
    positionals.forEach((f, i) => process.stdout.write(`${f}: ${topK(p.subarray(i * names.length, (i + 1) * names.length), names, k)}\n`));
    return;
  }
  const t = c as Extract<Classifier, { kind: "textclf" | "bow" }>;
  const lines = await inputs(positionals);
  if (lines.length === 0) fail("give one or more texts (or lines on stdin)");
  const x = tensor(padSequences(lines.map((l) => t.vocab.encode(wordTokens(l))), t.maxLen), [lines.length, t.maxLen], "int32");
  const p = await softmax(t.model.forward(x) as Tensor, -1).data();
  lines.forEach((l, i) => process.stdout.write(`${topK(p.subarray(i * names.length, (i + 1) * names.length), names, k)}\t${l}\n`));
}
main().catch((e) => {
  process.stderr.write(`predict: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}\n`);
  process.exit(1);
});
