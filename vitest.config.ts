/**
 * @file Vitest: every suite under test/, the Playwright e2e tests of the demo included.
 * Under CI a JSON report is written too, so .ci/run can print the real pass/fail counts.
 */
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    exclude: ["node_modules/**"],
    testTimeout: 60_000,
    // the run folders of the trainings the tests start go to a temporary folder, not ./runs
    env: { WEBGPU_DL_RUNS: join(tmpdir(), "webgpu-dl-test-runs") },
    reporters: process.env.CI ? ["default", ["json", { outputFile: ".vitest-results.json" }]] : ["default"],
  },
});
