/**
 * `npm run train` and `npm run sample` as a user runs them: bad flags are refused with the
 * usage; Ctrl-C during training saves a loadable checkpoint and exits with 130; the text
 * classifier and the character model train from files, save checkpoints that carry their
 * vocabularies, and refuse bad files with the file and line.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { expect, it } from "vitest";
import { LeNet5 } from "../../src/models/lenet5.ts";
import { loadSafetensors } from "../../src/io/safetensors.ts";
import { corpus, reviews } from "../helpers/corpora.ts";
import { parseTrainArgs } from "../../src/cli/args.ts";

const root = resolve(__dirname, "../..");
/** What `npm run train` runs: Node with tsx as an in-process loader. */
const train = ["--import", "tsx", "src/cli/train.ts"];
const sample = ["--import", "tsx", "src/cli/sample.ts"];
const run = (args: string[]) => spawnSync("node", args, { cwd: root, encoding: "utf8" });
const tmp = () => mkdtempSync(join(tmpdir(), "webgpu-dl-cli-"));

it("refuses a bad flag with a message and the usage", () => {
  const r = spawnSync("node", [...train, "--optimizer", "rmsprop"], { cwd: root, encoding: "utf8" });
  expect(r.status).toBe(2);
  expect(r.stderr).toMatch(/train: --optimizer must be adam or sgd, got "rmsprop"/);
  expect(r.stderr).toMatch(/usage: npm run train/);
}, 60_000);

it("parses the recipe flags: --schedule, --warmup, --weight-decay, --find-lr, --body-lr, --digits", () => {
  const a = parseTrainArgs(["--schedule", "cosine", "--warmup", "100", "--weight-decay", "0.05", "--find-lr", "--body-lr", "1e-4", "--digits", "2-4"]);
  expect([a.schedule, a.warmup, a.weightDecay, a.findLr, a.bodyLr, a.digits]).toEqual(["cosine", 100, 0.05, true, 1e-4, [2, 3, 4]]);
  const d = parseTrainArgs([]);
  expect([d.schedule, d.lr, d.warmup, d.weightDecay, d.findLr, d.bodyLr, d.digits, d.evalEvery]).toEqual(["onecycle", 0.006, 0, 0, false, undefined, undefined, 1]);
  // the one-cycle recipe is LeNet-5's with Adam; --lr sets its peak; other models, SGD, --warmup
  // or a schedule given keep a constant rate by default
  expect([parseTrainArgs(["--lr", "0.003"]).schedule, parseTrainArgs(["--lr", "0.003"]).lr]).toEqual(["onecycle", 0.003]);
  for (const argv of [["--model", "lstm"], ["--model", "vgg"], ["--optimizer", "sgd"], ["--warmup", "10"], ["--schedule", "constant"]]) {
    const c = parseTrainArgs(argv);
    expect([argv.join(" "), c.schedule, c.lr]).toEqual([argv.join(" "), "constant", argv.includes("sgd") ? 0.01 : 1e-3]);
  }
  const r = spawnSync("node", [...train, "--model", "charlm", "--text", "x.txt", "--body-lr", "0.1"], { cwd: root, encoding: "utf8" });
  expect(r.status).toBe(2);
  expect(r.stderr).toMatch(/--body-lr is for --model lenet5, lstm and vgg/);
}, 60_000);

it("parses --cpu-mode (default fast) and refuses another", () => {
  expect(parseTrainArgs([]).cpuMode).toBe("fast");
  expect(parseTrainArgs(["--cpu-mode", "reference"]).cpuMode).toBe("reference");
  const r = run([...train, "--cpu-mode", "quick"]);
  expect(r.status).toBe(2);
  expect(r.stderr).toMatch(/--cpu-mode/);
  expect(parseTrainArgs([]).threads).toBeUndefined();
  expect(parseTrainArgs(["--threads", "3"]).threads).toBe(3);
  const t = run([...train, "--threads", "0"]);
  expect(t.status).toBe(2);
  expect(t.stderr).toMatch(/--threads/);
});

it("parses --init for LeNet-5 (default: PyTorch's)", () => {
  expect(parseTrainArgs([]).init).toBe("default");
  expect(parseTrainArgs(["--init", "kaiming"]).init).toBe("kaiming");
});

it("Ctrl-C saves a loadable checkpoint and exits with 130", async () => {
  const out = join(mkdtempSync(join(tmpdir(), "webgpu-dl-cli-")), "ckpt.safetensors");
  // its own process group, so the signal reaches every process of it, as Ctrl-C in a terminal does
  const child = spawn("node", [...train, "--backend", "cpu", "--val", "0", "--limit", "6400", "--test-limit", "100", "--batch", "32", "--out", out], { cwd: root, detached: true });
  let sent = false;
  let err = "";
  const code = await new Promise<number | null>((done) => {
    child.stderr.on("data", (d: Buffer) => {
      err += d.toString();
      // interrupt once training has started (the first progress line)
      if (!sent && /epoch 1\/1 .* 1\/200/.test(err)) {
        sent = true;
        process.kill(-child.pid!, "SIGINT");
      }
    });
    child.on("close", (c) => done(c));
  });
  expect(err).toMatch(/interrupted; finishing this step/);
  expect(err).not.toMatch(/100% 200\/200/); // it stopped mid-epoch, not at the end
  expect(code).toBe(130);
  expect(existsSync(out)).toBe(true);
  await loadSafetensors(new LeNet5(), out); // a complete, valid checkpoint
}, 120_000);

it("--model textclf trains on a label<TAB>text file, resumes, and names a bad line or an unknown label", () => {
  const dir = tmp();
  const { texts, y } = reviews(300, 7);
  const data = join(dir, "reviews.tsv");
  writeFileSync(data, `label\ttext\n${texts.map((t, i) => `${y[i] ? "pos" : "neg"}\t${t}`).join("\n")}\n`);
  const ckpt = join(dir, "clf.safetensors");
  const r = run([...train, "--model", "textclf", "--data", data, "--val", "0", "--epochs", "4", "--lr", "0.01", "--hidden", "16", "--backend", "cpu", "--out", ckpt]);
  expect(r.stderr).toMatch(/reviews.tsv: 300 examples \(neg \d+, pos \d+\): 270 training, 0 validation \(--val N\), 30 test; vocabulary \d+ words/);
  expect(r.status).toBe(0);
  const acc = Number(/epoch 4: .* test acc ([\d.]+)% \(30 examples\)/.exec(r.stdout)![1]);
  expect(acc).toBeGreaterThanOrEqual(90);

  // --epochs counts the whole run: the 5th epoch, with the optimizer state of the 4th
  const resumed = run([...train, "--model", "textclf", "--data", data, "--val", "0", "--resume", ckpt, "--epochs", "5", "--lr", "0.01", "--hidden", "16", "--backend", "cpu"]);
  expect(resumed.status).toBe(0);
  expect(resumed.stderr).toMatch(/resumed .*clf\.safetensors at epoch 5\/5, batch 0\/9 \(step 36, lr 0\.01\)/);
  expect(resumed.stdout).toMatch(/^epoch 5: /m);
  expect(Number(/test acc ([\d.]+)%/.exec(resumed.stdout)![1])).toBeGreaterThanOrEqual(90);

  const other = join(dir, "other.tsv");
  writeFileSync(other, "pos\tgreat\nmeh\tso so\n");
  const unknown = run([...train, "--model", "textclf", "--data", other, "--resume", ckpt, "--backend", "cpu"]);
  expect(unknown.status).toBe(1);
  expect(unknown.stderr).toMatch(/other.tsv:2: unknown label "meh"; the model was trained on "neg", "pos"/);

  writeFileSync(other, "pos\tgreat\nthis line has no tab\n");
  const bad = run([...train, "--model", "textclf", "--data", other, "--backend", "cpu"]);
  expect(bad.status).toBe(1);
  expect(bad.stderr).toMatch(/FormatError: .*other.tsv:2: expected "label<TAB>text", found no tab/);
  expect(run([...train, "--model", "textclf"]).stderr).toMatch(/--model textclf needs --data FILE/);
}, 240_000);

it("--model charlm reports falling held-out perplexity; npm run sample generates from its checkpoint", () => {
  const dir = tmp();
  const text = join(dir, "corpus.txt");
  writeFileSync(text, corpus(300, 3));
  const ckpt = join(dir, "lm.safetensors");
  const r = run([...train, "--model", "charlm", "--text", text, "--epochs", "2", "--hidden", "32", "--seq-len", "16", "--backend", "cpu", "--out", ckpt]);
  expect(r.status).toBe(0);
  const ppl = [...r.stdout.matchAll(/held-out perplexity ([\d.]+)/g)].map((m) => Number(m[1]));
  expect(ppl).toHaveLength(2);
  expect(ppl[1]).toBeLessThan(ppl[0]);
  expect(r.stderr).toMatch(/sample: "/);

  const a = run([...sample, "--ckpt", ckpt, "--prime", "the ", "--length", "40", "--seed", "1"]);
  expect(a.status).toBe(0);
  expect(a.stdout.startsWith("the ")).toBe(true);
  expect(Array.from(a.stdout.trimEnd())).toHaveLength(44);
  expect(run([...sample, "--ckpt", ckpt, "--prime", "the ", "--length", "40", "--seed", "1"]).stdout).toBe(a.stdout);

  writeFileSync(text, "  \n");
  const empty = run([...train, "--model", "charlm", "--text", text, "--backend", "cpu"]);
  expect(empty.status).toBe(1);
  expect(empty.stderr).toMatch(/corpus.txt: the text is empty/);
  const notLm = run([...sample, "--ckpt", join(dir, "missing.safetensors")]);
  expect(notLm.status).toBe(1);
  expect(notLm.stderr).toMatch(/missing.safetensors: cannot read checkpoint/);
}, 240_000);

it("--find-lr runs the range test, writes its curve and leaves no checkpoint; a schedule shows its rate", () => {
  const dir = tmp();
  const out = join(dir, "lenet.safetensors");
  const r = run([...train, "--find-lr", "--val", "0", "--limit", "3200", "--test-limit", "10", "--batch", "32", "--backend", "cpu", "--out", out]);
  expect(r.status, r.stderr).toBe(0);
  expect(r.stdout).toMatch(/^lr range test: \d+ steps from 1\.0e-7 to [\d.e+-]+ \((diverged|non-finite|end of range)\); smoothed loss lowest at lr [\d.e+-]+$/m);
  const lr = Number(/suggested --lr ([\d.e+-]+) \(minimum \/ 10/.exec(r.stdout)![1]);
  expect(lr).toBeGreaterThan(1e-6);
  expect(lr).toBeLessThan(1);
  expect(readFileSync(join(dir, "lenet.lr-find.svg"), "utf8")).toMatch(/^<svg [\s\S]*suggested /);
  expect(existsSync(out)).toBe(false);

  const s = run([...train, "--schedule", "onecycle", "--weight-decay", "0.01", "--val", "0", "--limit", "640", "--test-limit", "10", "--batch", "32", "--backend", "cpu", "--threads", "2"]);
  expect(s.status, s.stderr).toBe(0);
  expect(s.stderr).toMatch(/adamw \(weight decay 0\.01\) lr 0\.001, one-cycle schedule, batch 32/);
  // the CPU backend's mode: fast by default for training, named at the start with its threads
  expect(s.stderr).toMatch(/^train: backend cpu, fast mode \(float32 SIMD kernels, 2 threads; --cpu-mode reference for float64 sums\)$/m);
  // the progress line shows the rate: 0.001 / 25 at the first batch, the peak 0.001 at batch 6 of 20
  expect(s.stderr).toMatch(/ 1\/20 .*lr 4\.0e-5 /);
  expect(s.stderr).toMatch(/ 6\/20 .*lr 0\.0010 /);
  const bad = run([...train, "--schedule", "onecycle", "--warmup", "10"]);
  expect(bad.status).toBe(2);
  expect(bad.stderr).toMatch(/--warmup does not combine with --schedule onecycle/);
}, 240_000);

it("transfer: --digits trains on some digits; --init-from with a new --head and --freeze keeps the frozen layers as pretrained", async () => {
  const dir = tmp();
  const pre = join(dir, "pre.safetensors"), probe = join(dir, "probe.safetensors");
  const r1 = run([...train, "--digits", "0-4", "--val", "0", "--limit", "640", "--test-limit", "200", "--backend", "cpu", "--out", pre]);
  expect(r1.status, r1.stderr).toBe(0);
  expect(r1.stderr).toMatch(/MNIST 640 training and 200 test images of the digits 0, 1, 2, 3, 4 \(labelled 0…4 in that order\)/);
  const r2 = run([...train, "--digits", "5,6,7,8,9", "--val", "0", "--limit", "320", "--test-limit", "200", "--backend", "cpu", "--init-from", pre, "--head", "5", "--freeze", "conv1,conv2,fc1,fc2", "--out", probe]);
  expect(r2.status, r2.stderr).toBe(0);
  expect(r2.stderr).toMatch(/initialised from .*pre\.safetensors \(8 tensors\); the head fc3 \[5, 84\] starts fresh \(the checkpoint's has 10 classes\)/);
  expect(r2.stderr).toMatch(/frozen \(no gradient, no update\): conv1\.weight, conv1\.bias, conv2\.weight, .*fc2\.bias/);
  expect(r2.stderr).toMatch(/61281 parameters \(425 trainable\)/);
  const [a, b] = [new LeNet5(), new LeNet5("modern", { classes: 5 })];
  await loadSafetensors(a, pre);
  await loadSafetensors(b, probe);
  for (const k of ["conv1.weight", "conv2.bias", "fc1.weight", "fc2.weight"]) expect(Array.from(await b.stateDict().get(k)!.data()), k).toEqual(Array.from(await a.stateDict().get(k)!.data()));
  // resuming rebuilds the 5-class head from the checkpoint's metadata
  const r3 = run([...train, "--digits", "5-9", "--val", "0", "--limit", "320", "--test-limit", "200", "--backend", "cpu", "--resume", probe, "--epochs", "2"]);
  expect(r3.status, r3.stderr).toBe(0);
  const bad = run([...train, "--digits", "5", "--backend", "cpu"]);
  expect(bad.status).toBe(2);
  expect(bad.stderr).toMatch(/--digits must list at least 2 different digits/);
  const other = run([...train, "--init-from", join(dir, "nope.safetensors"), "--limit", "64", "--backend", "cpu"]);
  expect(other.status).toBe(1);
  expect(other.stderr).toMatch(/nope\.safetensors: cannot read checkpoint/);
}, 240_000);

it("--model charlm --bptt K reads contiguous streams with the state carried, and its perplexity falls", () => {
  const dir = tmp();
  const text = join(dir, "corpus.txt");
  writeFileSync(text, corpus(300, 3));
  const r = run([...train, "--model", "charlm", "--text", text, "--epochs", "2", "--hidden", "32", "--seq-len", "16", "--bptt", "8", "--batch", "8", "--backend", "cpu"]);
  expect(r.status, r.stderr).toBe(0);
  expect(r.stderr).toMatch(/8 contiguous training streams read 8 characters a step \(\d+ steps an epoch; truncated BPTT, the state carried over\)/);
  const ppl = [...r.stdout.matchAll(/held-out perplexity ([\d.]+)/g)].map((m) => Number(m[1]));
  expect(ppl).toHaveLength(2);
  expect(ppl[1]).toBeLessThan(ppl[0]);
  const bad = run([...train, "--model", "textclf", "--data", text, "--bptt", "8"]);
  expect(bad.status).toBe(2);
  expect(bad.stderr).toMatch(/--bptt is for --model charlm/);
}, 240_000);

it("a divergent learning rate stops the run at the step that went non-finite, saves nothing over --out, and --on-nonfinite skip goes on", () => {
  const dir = tmp();
  const out = join(dir, "never.safetensors");
  const stop = run([...train, "--backend", "cpu", "--val", "0", "--limit", "640", "--test-limit", "100", "--lr", "1e30", "--out", out]);
  expect(stop.status).toBe(1);
  expect(stop.stderr).toMatch(/train: NonFiniteError: epoch 1, batch 2\/10: step 2: the loss is NaN; the optimizer skipped this step's update.*nothing was saved over .*never\.safetensors; try a lower --lr/);
  expect(existsSync(out)).toBe(false);
  const skip = run([...train, "--backend", "cpu", "--val", "0", "--limit", "640", "--test-limit", "100", "--lr", "1e30", "--on-nonfinite", "skip"]);
  expect(skip.status).toBe(0);
  expect(skip.stdout).toMatch(/epoch 1: train loss \d+\.\d+, .*, 9 steps skipped \(non-finite loss or gradient\)/);
}, 120_000);
