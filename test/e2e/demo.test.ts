/**
 * End to end: the demo page in headless Chromium (Debian's /usr/bin/chromium, WebGPU on
 * SwiftShader). It gets a WebGPU adapter, trains LeNet-5 on real MNIST in the page and
 * reports a test accuracy that has climbed well past chance. Screenshots go to
 * test/e2e/artifacts/. The training run uses the page's CPU backend (SwiftShader needs
 * ~8 s a step); WebGPU training in the page is the same code path as in Node's tests.
 */
import { existsSync, mkdirSync } from "node:fs";
import { resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServer, type ViteDevServer } from "vite";
import { chromium, type Browser } from "playwright-core";

const CHROMIUM = "/usr/bin/chromium";
const have = existsSync(CHROMIUM);
if (!have && process.env.CI) throw new Error(`e2e: ${CHROMIUM} is missing; .ci/run installs it (apt-get install chromium)`);
const artifacts = resolve(__dirname, "artifacts");

describe.skipIf(!have)("the demo in headless Chromium", () => {
  let server: ViteDevServer;
  let browser: Browser;
  let url = "";
  beforeAll(async () => {
    server = await createServer({ configFile: resolve(__dirname, "../../demo/vite.config.ts"), server: { port: 0, host: "127.0.0.1" }, logLevel: "error" });
    await server.listen();
    const addr = server.httpServer!.address() as { port: number };
    url = `http://127.0.0.1:${addr.port}/`;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--no-sandbox", "--enable-unsafe-webgpu", "--enable-features=Vulkan", "--use-webgpu-adapter=swiftshader", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"],
    });
    mkdirSync(artifacts, { recursive: true });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it("has a WebGPU adapter in the page", async () => {
    const page = await browser.newPage();
    await page.goto(url);
    const adapter = await page.evaluate(async () => !!(await (navigator as unknown as { gpu?: GPU }).gpu?.requestAdapter()));
    expect(adapter).toBe(true);
    await page.close();
  }, 60_000);

  it("trains LeNet-5 in the page and test accuracy climbs past 40 %", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(`${url}?autostart=1&backend=cpu&limit=1280`);
    await page.waitForFunction(() => document.body.dataset.done !== undefined || document.getElementById("log")!.textContent!.includes("error"), null, { timeout: 240_000 });
    await page.screenshot({ path: resolve(artifacts, "demo-trained-1280x800.png") });
    const log = (await page.textContent("#log")) ?? "";
    expect(errors).toEqual([]);
    expect(log).not.toMatch(/error/);
    expect(Number(await page.evaluate(() => document.body.dataset.done))).toBeGreaterThan(40);
    await page.close();
  }, 300_000);
});
