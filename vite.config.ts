/**
 * @file Library build of src/index.ts (ESM, for Node and browsers). WGSL kernels under
 * shaders/ are imported as text with Vite's `?raw` suffix, so they are inlined into the bundle.
 * Type declarations come from `tsc -p tsconfig.build.json` (see the `build` script).
 */
import { defineConfig } from "vite";

export default defineConfig({
  build: {
    lib: { entry: "src/index.ts", formats: ["es"], fileName: "index" },
    outDir: "dist",
    emptyOutDir: true,
    sourcemap: true,
    target: "es2022",
    rollupOptions: {
      // Node built-ins and the Dawn binding stay external: the browser build never loads them.
      external: [/^node:/, "webgpu"],
    },
  },
});
