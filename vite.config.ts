/**
 * @file Library build of src/index.ts (ESM, for Node and browsers). The WGSL kernels are
 * generated in TypeScript (shapes baked in), so there are no shader files to load. Type
 * declarations come from `tsc -p tsconfig.build.json` (see the `build` script).
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
