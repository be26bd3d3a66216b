/** @file Vitest: every suite under test/ (not the e2e Playwright specs, which have their own runner). */
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    exclude: ["test/e2e/**", "node_modules/**"],
    testTimeout: 60_000,
  },
});
