/**
 * Checkpoints that survive kills and resume a run exactly: `npm run train` for 2 epochs
 * straight and for 1 epoch + `--resume` + 1 more end with bit-identical weights and
 * optimizer state on the CPU; so does a run cut by SIGTERM mid-epoch and resumed; and a
 * process saving in a loop, killed with SIGKILL at random moments, always leaves the old
 * checkpoint or the new one, and no temp file survives the next save.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { parseSafetensors } from "../../src/io/safetensors.ts";
import { trainStatePath } from "../../src/io/checkpoint.ts";
import { seeded } from "../helpers/gradcheck.ts";

const root = resolve(__dirname, "../..");
const train = ["--import", "tsx", "src/cli/train.ts", "--backend", "cpu", "--limit", "640", "--test-limit", "100", "--batch", "32", "--val", "0"];
const tmp = () => mkdtempSync(join(tmpdir(), "webgpu-dl-ckpt-"));
const run = (args: string[]) => {
  const r = spawnSync("node", [...train, ...args], { cwd: root, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`train ${args.join(" ")} exited ${r.status}:\n${r.stderr}`);
  return r;
};

/** Every tensor of a checkpoint (weights, or training state) as raw bytes, by name. */
function tensorsOf(path: string): Record<string, number[]> {
  const { tensors } = parseSafetensors(new Uint8Array(readFileSync(path)), path);
  return Object.fromEntries([...tensors].map(([k, t]) => [k, Array.from(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength))]));
}

describe("resuming a run", () => {
  it("2 epochs straight = 1 epoch + --resume + 1 epoch, bit for bit (weights, Adam moments and step)", () => {
    const dir = tmp();
    const [a, b] = [join(dir, "a.safetensors"), join(dir, "b.safetensors")];
    // a constant rate: a one-cycle schedule (LeNet-5's default) spans the run's epochs, so a
    // 1-epoch run has a different schedule from a 2-epoch one (the SIGTERM test below resumes
    // under the default schedule)
    const constant = ["--schedule", "constant"];
    run([...constant, "--epochs", "2", "--out", a]);
    run([...constant, "--epochs", "1", "--out", b]);
    const second = run([...constant, "--epochs", "2", "--resume", b, "--out", b]);
    expect(second.stderr).toMatch(/resumed .*b\.safetensors at epoch 2\/2, batch 0\/20 \(step 20, lr 0\.001\)/);
    expect(second.stderr).not.toMatch(/note: the stopped run's rate/);
    // under the default one-cycle schedule, extending a finished 1-epoch run says that the cycle now spans 2
    const c = join(dir, "c.safetensors");
    run(["--epochs", "1", "--out", c]);
    expect(run(["--epochs", "2", "--resume", c, "--out", c]).stderr).toMatch(/note: the stopped run's rate 2\.4e-8 is not the onecycle schedule's at step 20 of 2 epoch\(s\) \(0\.0046\): it was started with another --epochs/);
    expect(second.stdout).not.toMatch(/epoch 1:/);
    expect(second.stdout).toMatch(/epoch 2: train loss/);
    expect(tensorsOf(b)).toEqual(tensorsOf(a));
    expect(tensorsOf(trainStatePath(b))).toEqual(tensorsOf(trainStatePath(a)));
    // the weights file stays a plain state dict: only the model's names
    expect(Object.keys(tensorsOf(b)).sort()).toEqual(["conv1.bias", "conv1.weight", "conv2.bias", "conv2.weight", "fc1.bias", "fc1.weight", "fc2.bias", "fc2.weight", "fc3.bias", "fc3.weight"]);
  }, 180_000);

  it("a run stopped by SIGTERM mid-epoch reports where, saves there, and resumes to the same weights as a run never stopped", async () => {
    const dir = tmp();
    const [a, b] = [join(dir, "a.safetensors"), join(dir, "b.safetensors")];
    run(["--epochs", "1", "--out", a]);
    const child = spawn("node", [...train, "--epochs", "1", "--out", b], { cwd: root });
    let err = "", out = "", sent = false;
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((done) => {
      child.stderr.on("data", (d: Buffer) => {
        err += d.toString();
        if (!sent && /epoch 1\/1 .* [3-9]\/20/.test(err)) {
          sent = true;
          child.kill("SIGTERM");
        }
      });
      child.on("exit", done);
    });
    expect(code).toBe(143);
    expect(err).toMatch(/train: terminated; finishing this step and saving/);
    const stopped = /epoch 1 interrupted after batch (\d+)\/20/.exec(out);
    expect(stopped, out).not.toBeNull();
    const resumed = run(["--epochs", "1", "--resume", b, "--out", b]);
    expect(resumed.stderr).toContain(`at epoch 1/1, batch ${stopped![1]}/20`);
    expect(tensorsOf(b)).toEqual(tensorsOf(a));
    expect(tensorsOf(trainStatePath(b))).toEqual(tensorsOf(trainStatePath(a)));
  }, 180_000);

  it("refuses a training state from another save, another seed or another optimizer", () => {
    const dir = tmp();
    const [a, b] = [join(dir, "a.safetensors"), join(dir, "b.safetensors")];
    run(["--epochs", "1", "--out", a, "--limit", "64"]);
    run(["--epochs", "2", "--out", b, "--limit", "64"]);
    // a's weights with b's training state: the steps differ
    writeFileSync(trainStatePath(a), readFileSync(trainStatePath(b)));
    const mixed = spawnSync("node", [...train, "--limit", "64", "--epochs", "3", "--resume", a], { cwd: root, encoding: "utf8" });
    expect(mixed.status).toBe(1);
    expect(mixed.stderr).toMatch(/FormatError: .*a\.train\.safetensors: training state of step 4, but .*a\.safetensors holds the weights of step 2: the two files come from different saves/);
    const seed = spawnSync("node", [...train, "--limit", "64", "--epochs", "3", "--resume", b, "--seed", "5"], { cwd: root, encoding: "utf8" });
    expect(seed.stderr).toMatch(/the run used --seed 0 for its data order; pass --seed 0 to continue it/);
    const sgd = spawnSync("node", [...train, "--limit", "64", "--epochs", "3", "--resume", b, "--optimizer", "sgd"], { cwd: root, encoding: "utf8" });
    expect(sgd.stderr).toMatch(/holds Adam state, this run uses SGD; pass the same --optimizer/);
  }, 180_000);
});

describe("saves survive kill -9", () => {
  it("a process saving in a loop, killed at 24 random moments: the checkpoint is absent, the old or the new one; no temp file outlives the next save", async () => {
    const dir = tmp();
    const path = join(dir, "loop.safetensors");
    // each save writes a checkpoint whose every value is the save's number, so any mix of two saves shows
    const script = `
      import { saveSafetensors } from "./src/io/safetensors.ts";
      import { Linear } from "./src/nn/layers.ts";
      import { fromArray } from "./src/creation.ts";
      const m = new Linear(256, 256);
      for (let i = 1; ; i++) {
        for (const p of m.parameters()) p.assign(fromArray(new Float32Array(p.size).fill(i), [...p.shape]));
        await saveSafetensors(m, ${JSON.stringify(path)});
        process.stdout.write(i + "\\n");
      }`;
    const rng = seeded(13);
    const seen = new Set<string>();
    for (let k = 0; k < 24; k++) {
      const before = existsSync(path) ? new Set(Object.values(tensorsOf(path)).map((v) => new Float32Array(Uint8Array.from(v).buffer)[0])) : null;
      const child = spawn("node", ["--import", "tsx", "--input-type=module", "-e", script], { cwd: root });
      let saves = 0;
      child.stdout.on("data", (d: Buffer) => (saves += d.toString().split("\n").length - 1));
      // after a random delay, during the first saves or between them
      await new Promise((r) => setTimeout(r, 700 + rng() * 900));
      child.kill("SIGKILL");
      await new Promise((r) => child.on("exit", r));
      if (!existsSync(path)) {
        expect(before, "a checkpoint that existed disappeared").toBeNull();
        seen.add("absent");
        continue;
      }
      const values = new Set(Object.values(tensorsOf(path)).map((v) => new Float32Array(Uint8Array.from(v).buffer)[0]));
      expect(values.size, `kill ${k}: a checkpoint mixing saves`).toBe(1);
      const [v] = values;
      seen.add(before && before.has(v) ? "old" : "new");
      expect(v).toBeGreaterThanOrEqual(1);
      void saves;
    }
    // the next save of another process removes what the killed ones left behind
    const clean = spawnSync("node", ["--import", "tsx", "--input-type=module", "-e", script.replace("; ; i++", "; i <= 1; i++")], { cwd: root, encoding: "utf8" });
    expect(clean.status, clean.stderr).toBe(0);
    expect(readdirSync(dir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
    expect(seen.has("new")).toBe(true);
  }, 180_000);
});
