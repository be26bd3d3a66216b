/**
 * `npm run train` as a user runs it: bad flags are refused with the usage, and Ctrl-C during
 * training saves a loadable checkpoint and exits with 130.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { expect, it } from "vitest";
import { LeNet5 } from "../../src/models/lenet5.ts";
import { loadSafetensors } from "../../src/io/safetensors.ts";

const root = resolve(__dirname, "../..");
/** What `npm run train` runs: Node with tsx as an in-process loader. */
const train = ["--import", "tsx", "src/cli/train.ts"];

it("refuses a bad flag with a message and the usage", () => {
  const r = spawnSync("node", [...train, "--optimizer", "rmsprop"], { cwd: root, encoding: "utf8" });
  expect(r.status).toBe(2);
  expect(r.stderr).toMatch(/train: --optimizer must be adam or sgd, got "rmsprop"/);
  expect(r.stderr).toMatch(/usage: npm run train/);
}, 60_000);

it("Ctrl-C saves a loadable checkpoint and exits with 130", async () => {
  const out = join(mkdtempSync(join(tmpdir(), "webgpu-dl-cli-")), "ckpt.safetensors");
  // its own process group, so the signal reaches every process of it, as Ctrl-C in a terminal does
  const child = spawn("node", [...train, "--backend", "cpu", "--limit", "6400", "--test-limit", "100", "--batch", "32", "--out", out], { cwd: root, detached: true });
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
