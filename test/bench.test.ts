/** The benchmark harness runs every case on both backends (tiny sizes), so it cannot rot. */
import { expect, it } from "vitest";
import { markdown, runBench } from "../bench/run.ts";
import { webgpuAvailable } from "./helpers/backends.ts";

it("npm run bench -- --quick runs every case on every backend and tabulates them", async () => {
  const backends: ("cpu" | "webgpu")[] = (await webgpuAvailable()) ? ["cpu", "webgpu"] : ["cpu"];
  const results = await runBench({ quick: true, runs: 1, backends });
  expect(results.length).toBe(4 * backends.length);
  for (const r of results) {
    expect(r.medianMs).toBeGreaterThan(0);
    expect(Number.isFinite(r.rate)).toBe(true);
  }
  expect(markdown(results).split("\n").length).toBe(2 + 4);
}, 300_000);
