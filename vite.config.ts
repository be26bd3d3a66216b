/**
 * @file Library build of src/index.ts and src/internals.ts (`webgpu-dl/internals`), ESM for
 * Node and browsers. The WGSL kernels of shaders/ are embedded in src/ops/shaders.generated.ts
 * (`npm run shaders`), so there are no shader files to load. Type declarations come from
 * `tsc -p tsconfig.build.json` (see the `build` script).
 */
import { defineConfig } from "vite";

export default defineConfig({
  build: {
    // cli: what bin/webgpu-dl.js runs (npx webgpu-dl train …)
    lib: { entry: { index: "src/index.ts", internals: "src/internals.ts", cli: "src/cli/main.ts", bench: "bench/run.ts" }, formats: ["es"], fileName: (_format, name) => `${name}.js` },
    outDir: "dist",
    emptyOutDir: true,
    sourcemap: true,
    target: "es2022",
    rollupOptions: {
      // Node built-ins and the Dawn binding stay external: the browser build never loads them;
      // so do the CLI's optional dependencies (pngjs for predict, protobufjs for export)
      // and the benchmarks' peers (loaded only when installed)
      external: [/^node:/, "webgpu", "pngjs", "protobufjs", /^@tensorflow\//, "@jax-js/jax"],
    },
  },
});
