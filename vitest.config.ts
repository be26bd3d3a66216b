/**
 * @file Vitest: every suite under test/, the Playwright e2e tests of the demo included.
 * Under CI a JSON report is written too, so .ci/run can print the real pass/fail counts.
 */
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    exclude: ["node_modules/**"],
    testTimeout: 60_000,
    reporters: process.env.CI ? ["default", ["json", { outputFile: ".vitest-results.json" }]] : ["default"],
  },
});
