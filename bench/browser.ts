/**
 * @file `npm run bench:browser`: the cases of `npm run bench` in headless Chromium (Debian's
 * /usr/bin/chromium, or $CHROMIUM), WebGPU on the browser's adapter (SwiftShader without a
 * GPU), with tfjs-cpu and tfjs-webgpu in the same page. Writes
 * bench/results/browser-<date>-<adapter>.{jsonl,md,svg}. Flags as `npm run bench`:
 * `--quick`, `--runs N`, `--backend a,b`, `--case TEXT`, `--profile`; `--gpu hardware` drops the
 * SwiftShader switch so Chromium picks a real GPU.
 */
import { resolve } from "node:path";
import { createServer } from "vite";
import { chromium } from "playwright-core";
import type { Result } from "./harness.ts";
import { benchFlags, report, runAsScript } from "./run.ts";

export async function runBrowserBench(opts: { quick: boolean; runs: number; backends: string[]; filter?: string; profile?: boolean; hardware?: boolean; log?: (l: string) => void }): Promise<{ results: Result[]; browser: string }> {
  const server = await createServer({
    configFile: false, root: resolve(import.meta.dirname, "browser"), logLevel: "error",
    server: { port: 0, host: "127.0.0.1", fs: { allow: [resolve(import.meta.dirname, "..")] } },
  });
  await server.listen();
  const port = (server.httpServer!.address() as { port: number }).port;
  const gpuFlags = opts.hardware ? ["--enable-unsafe-webgpu"] : ["--enable-unsafe-webgpu", "--enable-features=Vulkan", "--use-webgpu-adapter=swiftshader"];
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium", args: ["--no-sandbox", ...gpuFlags] });
  try {
    const page = await browser.newPage();
    page.on("console", (m) => opts.log?.(m.text()));
    // PyTorch runs only beside Node (npm run bench)
    const q = new URLSearchParams({ backends: opts.backends.filter((b) => b !== "torch-cpu").join(","), runs: String(opts.runs), quick: opts.quick ? "1" : "0", profile: opts.profile ? "1" : "0", ...(opts.filter ? { case: opts.filter } : {}) });
    await page.goto(`http://127.0.0.1:${port}/?${q}`);
    await page.waitForFunction(() => "benchResults" in window || "benchError" in window, null, { timeout: 0, polling: 500 });
    const error = await page.evaluate(() => (window as unknown as { benchError?: string }).benchError);
    if (error) throw new Error(`bench:browser: the page failed: ${error}`);
    const results = await page.evaluate(() => (window as unknown as { benchResults: Result[] }).benchResults);
    return { results, browser: `Chromium ${browser.version()}` };
  } finally {
    await browser.close();
    await server.close();
  }
}

async function main() {
  const { quick, runs, backends, filter, profile, values } = benchFlags({ gpu: { type: "string", default: "swiftshader" } });
  const started = new Date();
  const { results, browser } = await runBrowserBench({ quick, runs, backends, filter, profile, hardware: values.gpu === "hardware", log: (l) => process.stderr.write(`${l}\n`) });
  report(results, { quick, started, script: "bench:browser", where: browser, prefix: "browser-" });
}

runAsScript("browser.ts", "bench:browser", main);
