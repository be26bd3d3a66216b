/**
 * Runs you can look at: `npm run train` writes runs/<date>-<model>/ (config, metrics.jsonl,
 * report.html, last and best checkpoints), holds --val images out of the training set, scores
 * the test set at the end; the progress bar's ETA and the axis ticks the charts share; the
 * flag and checkpoint messages a user meets first.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { niceTicks, svgLineChart } from "../../src/cli/chart.ts";
import { RunLog } from "../../src/cli/run_log.ts";
import { ProgressBar, formatDuration } from "../../src/cli/progress.ts";
import { validationSplit } from "../../src/cli/task_mnist.ts";
import { readSafetensorsHeader } from "../../src/io/safetensors.ts";

const root = resolve(__dirname, "../..");
const train = ["--import", "tsx", "src/cli/train.ts"];
const run = (args: string[]) => spawnSync("node", [...train, ...args], { cwd: root, encoding: "utf8" });
const tmp = () => mkdtempSync(join(tmpdir(), "webgpu-dl-runs-"));

describe("chart ticks", () => {
  it("niceTicks are round, evenly spaced and cover the range (no 2.5, 1.9, 1.3, 0.6)", () => {
    expect(niceTicks(0.6, 2.5)).toEqual([0.5, 1, 1.5, 2, 2.5]);
    expect(niceTicks(0, 100)).toEqual([0, 20, 40, 60, 80, 100]);
    expect(niceTicks(0.0123, 0.0456)).toEqual([0.01, 0.02, 0.03, 0.04, 0.05]);
    for (const [lo, hi] of [[0.3, 7.1], [-3, 2], [97.1, 99.4], [1e-5, 3e-4]]) {
      const t = niceTicks(lo, hi);
      expect(t[0]).toBeLessThanOrEqual(lo);
      expect(t[t.length - 1]).toBeGreaterThanOrEqual(hi);
      const steps = t.slice(1).map((v, i) => v - t[i]);
      for (const s of steps) expect(s).toBeCloseTo(steps[0], 9);
      expect(String(steps[0] / 10 ** Math.floor(Math.log10(steps[0])))).toMatch(/^(1|2|5)(\.0*\d?)?$/);
    }
  });

  it("svgLineChart draws each series with a legend entry", () => {
    const svg = svgLineChart({ title: "t", xLabel: "step", yLabel: "loss", series: [{ name: "train loss", color: "#00f", points: [[1, 2], [2, 1]] }, { name: "val <acc>", color: "#0f0", dots: true, points: [[2, 1.5]] }] });
    expect(svg).toContain("<path d=\"M");
    expect(svg).toContain("<circle");
    expect(svg).toContain(">train loss</text>");
    expect(svg).toContain(">val &lt;acc></text>");
  });
});

describe("the progress bar", () => {
  it("estimates the time left from the rate since it started (a resumed epoch starts part-way)", async () => {
    const bar = new ProgressBar("x", 100, { from: 50, ttyOnly: true });
    expect(bar.eta(50)).toBe("");
    await new Promise((r) => setTimeout(r, 200));
    // 10 of the 50 left took ~0.2 s: 40 more take ~0.8 s
    expect(bar.eta(60)).toMatch(/^ETA [01] s$/);
    expect(bar.eta(100)).toMatch(/^in 0 s$/);
    expect([formatDuration(42), formatDuration(187), formatDuration(3723)]).toEqual(["42 s", "3:07", "1:02:03"]);
  });
});

describe("the validation split", () => {
  it("holds --val images out of the training set, the same ones for every --seed", () => {
    const count = 1000;
    const split = { images: Float32Array.from({ length: count * 784 }, (_, i) => Math.floor(i / 784)), pixels: new Uint8Array(count * 784), labels: Int32Array.from({ length: count }, (_, i) => i % 10), count };
    const { fit, val } = validationSplit(split, 100);
    expect([fit.count, val!.count]).toEqual([900, 100]);
    const ids = (s: typeof fit) => Array.from({ length: s.count }, (_, i) => s.images[i * 784]);
    const all = new Set([...ids(fit), ...ids(val!)]);
    expect(all.size).toBe(1000);
    expect(validationSplit(split, undefined).val!.count).toBe(100); // 10 % under 50 000
    expect(validationSplit(split, 0).val).toBeNull();
    expect(ids(validationSplit(split, 100).val!)).toEqual(ids(val!));
    expect(() => validationSplit(split, 1000)).toThrow(/--val 1000: only 1000 training images/);
  });
});

describe("run folders", () => {
  it("RunLog keeps the best score, writes the report, and a resumed run goes on in its folder", async () => {
    const dir = tmp();
    const log = await RunLog.open(dir, "lenet5", { command: "npm run train" });
    expect(JSON.parse(readFileSync(join(log.dir, "config.json"), "utf8")).command).toBe("npm run train");
    await log.log({ kind: "step", epoch: 1, step: 16, loss: 2, acc: 30, lr: 1e-3, rate: 100 });
    expect(log.improves({ name: "val_acc", value: 90, higher: true })).toBe(true);
    await log.log({ kind: "epoch", epoch: 1, step: 16, loss: 1.5, val_acc: 90, best: 90 });
    expect(log.improves({ name: "val_acc", value: 89, higher: true })).toBe(false);
    expect(log.improves({ name: "val_acc", value: 90, higher: true })).toBe(false);
    await log.report();
    const html = readFileSync(join(log.dir, "report.html"), "utf8");
    expect(html.match(/<svg/g)!.length).toBe(3);
    expect(html).toContain("val acc");
    writeFileSync(log.last, "");
    const again = await RunLog.open(dir, "lenet5", {}, log.last);
    expect(again.dir).toBe(log.dir);
    expect(again.improves({ name: "val_acc", value: 89.5, higher: true })).toBe(false);
    expect(again.improves({ name: "val_acc", value: 91, higher: true })).toBe(true);
    const lower = await RunLog.open(dir, "charlm", {});
    expect(lower.dir).not.toBe(log.dir);
    expect(lower.improves({ name: "held_out_ppl", value: 5, higher: false })).toBe(true);
    expect(lower.improves({ name: "held_out_ppl", value: 6, higher: false })).toBe(false);
  });

  it("npm run train writes config, metrics, report, last and best; scores validation each epoch and the test set at the end", async () => {
    const runs = tmp();
    const r = run(["--limit", "640", "--test-limit", "100", "--epochs", "2", "--batch", "32", "--backend", "cpu", "--runs", runs]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/MNIST 576 training, 64 validation \(held out of the training set; --val N\) and 100 test images/);
    expect(r.stdout).toMatch(/^epoch 1: train loss [\d.]+, train acc [\d.]+%, val acc [\d.]+% \(64 images\) \([\d.]+ s\), [\d.]+ s training$/m);
    expect(r.stdout.match(/^test acc /gm)!.length).toBe(1);
    expect(r.stdout).toMatch(/^test acc [\d.]+% \(100 images\) after epoch 2/m);
    const [folder] = readdirSync(runs);
    expect(folder).toMatch(/^\d{8}-\d{6}-lenet5$/);
    const dir = join(runs, folder);
    for (const f of ["config.json", "metrics.jsonl", "report.html", "last.safetensors", "last.train.safetensors", "best.safetensors"]) expect(existsSync(join(dir, f)), f).toBe(true);
    const lines = readFileSync(join(dir, "metrics.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
    const epochs = lines.filter((l) => l.kind === "epoch");
    expect(epochs.map((e) => e.epoch)).toEqual([1, 2]);
    expect(lines.filter((l) => l.kind === "step").length).toBeGreaterThanOrEqual(4); // 18 steps an epoch, read every 16
    expect(lines.find((l) => l.kind === "test").test_acc).toBeGreaterThan(0);
    const bestEpoch = epochs[1].val_acc > epochs[0].val_acc ? 2 : 1;
    const { metadata } = await readSafetensorsHeader(join(dir, "best.safetensors"));
    expect([metadata.epoch, Number(metadata.val_acc)]).toEqual([String(bestEpoch), epochs[bestEpoch - 1].val_acc]);
    expect(JSON.parse(readFileSync(join(dir, "config.json"), "utf8")).command).toBe(`npm run train -- --limit 640 --test-limit 100 --epochs 2 --batch 32 --backend cpu --runs ${runs}`);

    // --val 0: the test set each epoch as before, no best; --test-each-epoch with a validation set
    const none = run(["--limit", "320", "--test-limit", "50", "--val", "0", "--backend", "cpu", "--runs", "none"]);
    expect(none.stdout).toMatch(/^epoch 1: .*, test acc [\d.]+% \(50 images\)/m);
    const each = run(["--limit", "320", "--test-limit", "50", "--epochs", "2", "--test-each-epoch", "--backend", "cpu", "--runs", "none"]);
    expect(each.stdout.match(/^test acc [\d.]+% \(50 images\) after epoch \d/gm)).toHaveLength(2);
  }, 180_000);

  it("names a bad value or checkpoint before any data loads", async () => {
    const neg = run(["--epochs", "-1"]);
    expect(neg.status).toBe(2);
    expect(neg.stderr).toMatch(/train: --epochs must be an integer ≥ 1, got "-1"/);
    const missing = run(["--resume", "/nonexistent/x.safetensors", "--backend", "cpu"]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/\/nonexistent\/x\.safetensors: cannot read checkpoint/);
    expect(missing.stderr).not.toMatch(/MNIST/);
    // a char-LM checkpoint resumed as LeNet-5: which --model it is for, not a list of keys
    const dir = tmp(), text = join(dir, "t.txt"), lm = join(dir, "lm.safetensors");
    writeFileSync(text, "the quick brown fox jumps over the lazy dog. ".repeat(40));
    expect(run(["--model", "charlm", "--text", text, "--hidden", "8", "--seq-len", "16", "--backend", "cpu", "--out", lm, "--runs", "none"]).status).toBe(0);
    const wrong = run(["--resume", lm, "--backend", "cpu"]);
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toMatch(/lm\.safetensors: a checkpoint of --model charlm, not lenet5; pass --model charlm/);
    expect(wrong.stderr).not.toMatch(/MNIST|conv1/);
  }, 120_000);
});
