/**
 * `npm run predict` as a user runs it: PNGs of digits (any size, dark on light) through a
 * LeNet-5 checkpoint print the top classes; texts through a text classifier print theirs; a
 * tagger checkpoint goes to `tag`; a file that is not a PNG is named.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { expect, it } from "vitest";
import { PNG } from "pngjs";
import { loadMnist } from "../../src/data/mnist.ts";
import { reviews } from "../helpers/corpora.ts";

const root = resolve(__dirname, "../..");
const node = (script: string, args: string[], input?: string) => spawnSync("node", ["--import", "tsx", `src/cli/${script}.ts`, ...args], { cwd: root, encoding: "utf8", input });
const tmp = () => mkdtempSync(join(tmpdir(), "webgpu-dl-predict-"));

/** Test image i of MNIST as a PNG, 3× larger, black ink on white, off-centre in 100×90. */
function digitPng(pixels: Uint8Array, i: number): Buffer {
  const png = new PNG({ width: 100, height: 90 });
  png.data.fill(255);
  for (let y = 0; y < 84; y++) {
    for (let x = 0; x < 84; x++) {
      const v = 255 - pixels[i * 784 + Math.floor(y / 3) * 28 + Math.floor(x / 3)];
      png.data.set([v, v, v, 255], ((y + 2) * 100 + x + 10) * 4);
    }
  }
  return PNG.sync.write(png);
}

it("predict reads PNG digits of any size and prints the top classes with probabilities", async () => {
  const dir = tmp(), ckpt = join(dir, "lenet.safetensors");
  const t = node("train", ["--limit", "3000", "--test-limit", "100", "--backend", "cpu", "--runs", "none", "--out", ckpt]);
  expect(t.status, t.stderr).toBe(0);
  const test = await loadMnist({ split: "test", limit: 10 });
  const files = Array.from({ length: 10 }, (_, i) => {
    const f = join(dir, `digit${i}.png`);
    writeFileSync(f, digitPng(test.pixels, i));
    return f;
  });
  const r = node("predict", ["--ckpt", ckpt, "--top", "2", ...files]);
  expect(r.status, r.stderr).toBe(0);
  const lines = r.stdout.trim().split("\n");
  expect(lines).toHaveLength(10);
  let right = 0;
  lines.forEach((l, i) => {
    const m = new RegExp(`^${files[i].replace(/[.]/g, "\\.")}: (\\d) ([\\d.]+) %, (\\d) ([\\d.]+) %$`).exec(l);
    expect(m, l).not.toBeNull();
    expect(Number(m![2])).toBeGreaterThanOrEqual(Number(m![4]));
    expect(Number(m![2]) + Number(m![4])).toBeLessThanOrEqual(100.01);
    if (Number(m![1]) === test.labels[i]) right++;
  });
  // a model of 2 700 images scores ~90 %: the preprocessing must not lose it
  expect(right).toBeGreaterThanOrEqual(8);
  // the fast mode (the default) and the reference agree on every top class, and a bad mode is refused
  const ref = node("predict", ["--ckpt", ckpt, "--top", "2", "--cpu-mode", "reference", ...files]);
  expect(ref.status, ref.stderr).toBe(0);
  const top = (out: string) => out.trim().split("\n").map((l) => l.split(": ")[1].split(" ")[0]);
  expect(top(ref.stdout)).toEqual(top(r.stdout));
  expect(node("predict", ["--ckpt", ckpt, "--cpu-mode", "quick", ...files]).stderr).toMatch(/--cpu-mode/);

  writeFileSync(join(dir, "not.png"), "hello");
  const bad = node("predict", ["--ckpt", ckpt, join(dir, "not.png")]);
  expect(bad.status).toBe(1);
  expect(bad.stderr).toMatch(/not\.png: not a PNG file; predict reads PNG images/);
}, 120_000);

it("predict classifies texts with a text classifier (arguments or stdin lines)", () => {
  const dir = tmp(), data = join(dir, "reviews.tsv"), ckpt = join(dir, "clf.safetensors");
  const { texts, y } = reviews(300, 7);
  writeFileSync(data, `${texts.map((t, i) => `${y[i] ? "pos" : "neg"}\t${t}`).join("\n")}\n`);
  const t = node("train", ["--model", "textclf", "--data", data, "--epochs", "4", "--lr", "0.01", "--hidden", "16", "--backend", "cpu", "--runs", "none", "--out", ckpt]);
  expect(t.status, t.stderr).toBe(0);
  const r = node("predict", ["--ckpt", ckpt, "--top", "1", "the film was great fun", "it was awful and boring"]);
  expect(r.status, r.stderr).toBe(0);
  expect(r.stdout).toMatch(/^pos [\d.]+ %\tthe film was great fun\nneg [\d.]+ %\tit was awful and boring\n$/);
  const s = node("predict", ["--ckpt", ckpt], "loved it\n\nterrible plot\n");
  expect(s.stdout.trim().split("\n").map((l) => l.split(" ")[0])).toEqual(["pos", "neg"]);
  // sample on this checkpoint: what it is and which command takes it; never a --out over it
  const wrong = node("sample", ["--ckpt", ckpt]);
  expect(wrong.status).toBe(1);
  expect(wrong.stderr).toMatch(/clf\.safetensors: a checkpoint of --model textclf, not charlm; use it with npm run predict -- --ckpt .*clf\.safetensors "some text", or train a charlm with .* --out charlm\.safetensors/);
  expect(wrong.stderr).not.toContain(`--out ${ckpt}`);
}, 120_000);

it("predict hands a char-LM checkpoint to sample, with the arguments as the prime", () => {
  const dir = tmp(), text = join(dir, "t.txt"), ckpt = join(dir, "lm.safetensors");
  writeFileSync(text, "the cat sat on the mat. ".repeat(60));
  expect(node("train", ["--model", "charlm", "--text", text, "--hidden", "8", "--seq-len", "16", "--backend", "cpu", "--runs", "none", "--out", ckpt]).status).toBe(0);
  const r = node("predict", ["--ckpt", ckpt, "the cat"]);
  expect(r.status, r.stderr).toBe(0);
  expect(r.stdout.startsWith("the cat")).toBe(true);
  expect(r.stdout.length).toBeGreaterThan(400); // sample's 500 characters after the prime
}, 120_000);
