/**
 * End to end: the demo page in headless Chromium (Debian's /usr/bin/chromium, WebGPU on
 * SwiftShader), served by Vite's dev server, and the static build served by a plain file
 * server. Training runs in the page's worker: 20 WebGPU steps (SwiftShader: about a second
 * each), then a longer CPU-backend run that is paused and resumed while the main thread's
 * responsiveness is measured. Then a digit is drawn on the pad, the weights are saved,
 * reset, loaded back and a corrupt file is refused. Screenshots (1280×800 and a phone width)
 * go to test/e2e/artifacts/.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer as createHttpServer, type Server } from "node:http";
import { spawn } from "node:child_process";
import { tmpdir } from "node:os";
import { extname, join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { build, createServer, type ViteDevServer } from "vite";
import { chromium, type Browser, type Page } from "playwright-core";
import { parseSafetensors } from "../../src/index.ts";
import { saveSafetensors } from "../../src/io/safetensors.ts";
import { LeNet5 } from "../../src/models/lenet5.ts";

const CHROMIUM = "/usr/bin/chromium";
const have = existsSync(CHROMIUM);
if (!have && process.env.CI) throw new Error(`e2e: ${CHROMIUM} is missing; .ci/run installs it (apt-get install chromium)`);
const artifacts = resolve(__dirname, "artifacts");
const config = resolve(__dirname, "../../demo/vite.config.ts");

/** Records the longest gap between 20 ms timer ticks on the page's main thread while training. */
const GAP_MONITOR = () => {
  const w = window as unknown as { maxGap: number };
  w.maxGap = 0;
  let last = performance.now();
  setInterval(() => {
    const now = performance.now();
    if (document.body?.dataset.state === "training") w.maxGap = Math.max(w.maxGap, now - last);
    last = now;
  }, 20);
};

/** Draws a "1", one vertical stroke through the middle of the pad. */
async function drawOne(page: Page): Promise<void> {
  const box = (await page.locator("#pad").boundingBox())!;
  await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.15);
  await page.mouse.down();
  for (let k = 1; k <= 12; k++) await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * (0.15 + 0.06 * k));
  await page.mouse.up();
}

const dataset = (page: Page, key: string) => page.evaluate((k) => document.body.dataset[k], key);

it("npm run demo starts Vite without a warning", async () => {
  const child = spawn(process.execPath, [resolve(__dirname, "../../node_modules/vite/bin/vite.js"), "--config", config, "--port", "0", "--strictPort", "false"], { cwd: resolve(__dirname, "../.."), env: { ...process.env, NO_COLOR: "1" } });
  let out = "";
  await new Promise<void>((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`vite did not start: ${out}`)), 60_000);
    const read = (d: Buffer) => {
      out += d.toString();
      if (/ready in/.test(out)) {
        clearTimeout(timer);
        done();
      }
    };
    child.stdout.on("data", read);
    child.stderr.on("data", read);
  });
  child.kill();
  expect(out).not.toMatch(/\(!\)|warn/i);
}, 90_000);

describe.skipIf(!have)("the demo in headless Chromium", () => {
  let server: ViteDevServer;
  let browser: Browser;
  let url = "";
  beforeAll(async () => {
    server = await createServer({ configFile: config, server: { port: 0, host: "127.0.0.1" }, logLevel: "error" });
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

  it("trains LeNet-5 on WebGPU in the page's worker (20 steps on SwiftShader) past 40 % test accuracy", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(`${url}?backend=webgpu&limit=1280&testLimit=500&autostart=1`);
    await page.waitForFunction(() => document.body.dataset.testAcc !== undefined || document.body.dataset.error !== undefined, null, { timeout: 180_000 });
    expect(await dataset(page, "error")).toBeUndefined();
    expect(await dataset(page, "backend")).toBe("webgpu");
    expect(await dataset(page, "steps")).toBe("20");
    expect(Number(await dataset(page, "testAcc"))).toBeGreaterThan(40);
    // npm run train's recipe by default: a one-cycle schedule peaking at 0.006, annealed by the last step
    expect(await page.inputValue("#schedule")).toBe("onecycle");
    expect(await page.textContent("#log")).toMatch(/adam lr 0\.006 \(one-cycle peak\)/);
    expect(Number(await page.textContent("#rate"))).toBeLessThan(1e-5);
    expect(await page.textContent("#notice")).toMatch(/software/); // SwiftShader is named as such
    expect(errors).toEqual([]);
    await page.close();
  }, 240_000);

  it("trains on the CPU backend, pauses and resumes, stays responsive; draw, save, reset, load, refuse a corrupt file", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await page.addInitScript(GAP_MONITOR);
    await page.goto(`${url}?backend=cpu&limit=2560&testLimit=1000&autostart=1`);

    // pause after a few steps: the step count stops; resume: it moves on
    await page.waitForFunction(() => Number(document.body.dataset.steps ?? 0) >= 5, null, { timeout: 120_000 });
    await page.click("#pause");
    await page.waitForFunction(() => document.body.dataset.state === "paused");
    const pausedAt = Number(await dataset(page, "steps"));
    await page.waitForTimeout(1500);
    expect(Number(await dataset(page, "steps"))).toBeLessThanOrEqual(pausedAt + 1); // a step already running may finish
    expect(await page.textContent("#pause")).toBe("Resume");
    await page.click("#pause");
    await page.waitForFunction((n) => Number(document.body.dataset.steps) > n + 1, pausedAt, { timeout: 60_000 });

    await page.waitForFunction(() => document.body.dataset.testAcc !== undefined || document.body.dataset.error !== undefined, null, { timeout: 240_000 });
    expect(await dataset(page, "error")).toBeUndefined();
    const testAcc = Number(await dataset(page, "testAcc"));
    expect(testAcc).toBeGreaterThan(60);
    expect(await dataset(page, "steps")).toBe("40");
    // the worker trains, so the page's timers keep running: no gap near a step's length
    expect(await page.evaluate(() => (window as unknown as { maxGap: number }).maxGap)).toBeLessThan(250);
    expect(await page.locator("#digits .digit").count()).toBe(40);
    expect(await page.locator("#confusion td").count()).toBe(100);
    expect(await page.locator("#maps canvas").count()).toBe(6);

    await drawOne(page);
    await page.waitForFunction(() => document.getElementById("predicted")!.dataset.digit !== undefined, null, { timeout: 30_000 });
    expect(await page.evaluate(() => document.getElementById("predicted")!.dataset.digit)).toBe("1");
    const shown = await page.$$eval("#probs span", (s) => s.map((e) => parseFloat(e.textContent!)));
    expect(shown).toHaveLength(10);
    expect(Math.abs(shown.reduce((a, b) => a + b, 0) - 100)).toBeLessThan(0.6);
    await page.screenshot({ path: resolve(artifacts, "demo-trained-1280x800.png"), fullPage: true });

    // save → a safetensors file with LeNet's PyTorch names
    const [download] = await Promise.all([page.waitForEvent("download"), page.click("#save")]);
    const saved = resolve(artifacts, "lenet5-modern.safetensors");
    await download.saveAs(saved);
    const { tensors, metadata } = parseSafetensors(new Uint8Array(readFileSync(saved)), saved);
    expect([...tensors.keys()].sort()).toEqual(["conv1.bias", "conv1.weight", "conv2.bias", "conv2.weight", "fc1.bias", "fc1.weight", "fc2.bias", "fc2.weight", "fc3.bias", "fc3.weight"]);
    expect(metadata.variant).toBe("modern");

    // reset forgets the model; loading the file gives back the same test accuracy
    await page.click("#reset");
    await page.waitForFunction(() => document.body.dataset.state === "idle" && document.body.dataset.testAcc === undefined);
    await page.setInputFiles("#loadFile", saved);
    await page.waitForFunction(() => document.body.dataset.testAcc !== undefined, null, { timeout: 60_000 });
    expect(Number(await dataset(page, "testAcc"))).toBe(testAcc);

    // a corrupt file: a clear message, and the model keeps its weights
    const bad = resolve(artifacts, "corrupt.safetensors");
    writeFileSync(bad, Buffer.from("this is not a safetensors file at all"));
    await page.setInputFiles("#loadFile", bad);
    await page.waitForFunction(() => document.body.dataset.error !== undefined, null, { timeout: 30_000 });
    expect(await page.textContent("#error")).toMatch(/load weights: corrupt\.safetensors/);
    await page.click("#clear");
    expect(await page.evaluate(() => document.getElementById("predicted")!.dataset.digit)).toBeUndefined();
    await drawOne(page);
    await page.waitForFunction(() => document.getElementById("predicted")!.dataset.digit !== undefined);
    expect(await page.evaluate(() => document.getElementById("predicted")!.dataset.digit)).toBe("1");

    // a phone: one column, nothing wider than the screen
    await page.setViewportSize({ width: 390, height: 844 });
    await page.waitForTimeout(300);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await page.screenshot({ path: resolve(artifacts, "demo-phone-390.png"), fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  }, 420_000);

  it("Reset during running steps leaves nothing of the old run and clears the pad; the chart keeps its legend and round ticks; bad settings are refused, not corrected", async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    // each meter read held 600 ms: a Reset pressed after the first steps lands during a read.
    // The runs that get reset are 100 steps long, so that the fast CPU path cannot finish one
    // (10 steps are ~200 ms, under the first read's 250 ms) before the page looks at it
    await page.goto(`${url}?backend=cpu&limit=6400&testLimit=200&readDelay=600`);
    await page.waitForFunction(() => document.body.dataset.state === "idle");
    // before any model: the pad says what to do, no red banner
    expect(await page.textContent("#predicted")).toMatch(/^Train or load a model first/);
    await drawOne(page);
    expect(await page.isVisible("#error")).toBe(false);
    expect(await page.textContent("#predicted")).toMatch(/^No model yet: press Start/);
    // Epochs 0 is refused with a message (it used to become 1)
    await page.fill("#epochs", "0");
    await page.click("#start");
    expect(await page.textContent("#error")).toMatch(/Epochs must be a whole number of at least 1/);
    expect(await dataset(page, "state")).toBe("idle");
    await page.fill("#epochs", "1");
    for (let k = 0; k < 3; k++) {
      await page.click("#start");
      await page.waitForFunction(() => Number(document.body.dataset.steps ?? 0) >= 1, null, { timeout: 60_000 });
      expect(await dataset(page, "state")).toBe("training");
      // the settings are locked during a run, and look it
      if (k === 0) expect(Number(await page.$eval("#lr", (e) => getComputedStyle(e).opacity))).toBeLessThan(1);
      // the first read has just been shown; ~250 ms of steps later the next read holds 600 ms
      await page.waitForTimeout(450);
      await page.click("#reset");
      await page.waitForFunction(() => document.body.dataset.state === "idle");
      await page.waitForTimeout(900); // the read under way when Reset was pressed has finished by now
      expect([await dataset(page, "steps"), await page.textContent("#loss"), await page.textContent("#acc")]).toEqual(["0", "–", "–"]);
    }
    // a full run after the resets counts only its own steps: 640 images in batches of 64
    await page.fill("#limit", "640");
    await page.click("#start");
    await page.waitForFunction(() => document.body.dataset.testAcc !== undefined || document.body.dataset.error !== undefined, null, { timeout: 120_000 });
    expect(await dataset(page, "error")).toBeUndefined();
    expect(await dataset(page, "steps")).toBe("10");
    const ticks: number[] = JSON.parse(await page.$eval("#curve", (c) => (c as HTMLCanvasElement).dataset.ticks!));
    expect(ticks[0]).toBe(0);
    const gaps = ticks.slice(1).map((t, i) => t - ticks[i]);
    for (const g of gaps) expect(g).toBeCloseTo(gaps[0], 9);
    expect(await page.$eval("#curve", (c) => (c as HTMLCanvasElement).dataset.legend)).toMatch(/loss .*\| test accuracy/);
    expect(await page.textContent("#acc")).toMatch(/%$/);
    expect(await page.textContent(".stat:has(#acc)")).toMatch(/^train accuracy \(epoch mean\)/);
    // the pad: a prediction, then Reset clears it with the model
    await drawOne(page);
    await page.waitForFunction(() => document.getElementById("predicted")!.dataset.digit !== undefined, null, { timeout: 30_000 });
    await page.click("#reset");
    await page.waitForFunction(() => document.body.dataset.state === "idle");
    expect(await page.evaluate(() => document.getElementById("predicted")!.dataset.digit)).toBeUndefined();
    expect(await page.$$eval("#probs span", (s) => s.map((e) => e.textContent))).toEqual(Array(10).fill(""));
    expect(await page.textContent("#predicted")).toMatch(/^Train or load a model first/);
    expect(errors).toEqual([]);
    await page.close();
  }, 300_000);

  it("Find LR plots the range test's curve and puts its suggestion in the learning-rate field", async () => {
    const page = await browser.newPage();
    await page.goto(`${url}?backend=cpu&limit=2560&batch=32&testLimit=200`);
    await page.waitForFunction(() => document.body.dataset.state === "idle");
    await page.click("#findLr");
    expect(await page.isDisabled("#start")).toBe(true); // no run while the sweep runs
    await page.waitForFunction(() => document.body.dataset.suggestedLr !== undefined || document.body.dataset.error !== undefined, null, { timeout: 120_000 });
    expect(await dataset(page, "error")).toBeUndefined();
    const lr = Number(await dataset(page, "suggestedLr"));
    expect(lr).toBeGreaterThan(1e-7);
    expect(lr).toBeLessThan(10);
    expect(Number(await page.inputValue("#lr"))).toBe(lr);
    expect(await page.locator("#lrCurve svg path").count()).toBe(2); // the per-step and the smoothed loss
    expect(await page.textContent("#lrNote")).toMatch(/^Suggested learning rate [\d.e-]+ \(minimum \/ 10/);
    expect(await page.isDisabled("#start")).toBe(false);
    await page.locator("#lrCard").screenshot({ path: join(artifacts, "demo-find-lr.png") });
    await page.close();
  }, 180_000);

  it("loading weights before any run uses the backend the selector names", async () => {
    const ckpt = join(mkdtempSync(join(tmpdir(), "webgpu-dl-demo-ckpt-")), "lenet.safetensors");
    await saveSafetensors(new LeNet5(), ckpt, { variant: "modern" });
    const page = await browser.newPage();
    await page.goto(`${url}?backend=cpu&testLimit=200`);
    await page.waitForFunction(() => document.body.dataset.state === "idle");
    await page.setInputFiles("#loadFile", ckpt);
    await page.waitForFunction(() => document.body.dataset.testAcc !== undefined || document.body.dataset.error !== undefined, null, { timeout: 60_000 });
    expect(await dataset(page, "error")).toBeUndefined();
    expect(await page.textContent("#backendBadge")).toBe("backend: cpu");
    await page.close();
  }, 120_000);
});

describe.skipIf(!have)("the static build (npm run build:demo) from a plain file server", () => {
  let dir = "";
  let http: Server;
  let browser: Browser;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "webgpu-dl-demo-"));
    await build({ configFile: config, logLevel: "error", build: { outDir: dir, emptyOutDir: true } });
    const types: Record<string, string> = { ".html": "text/html", ".js": "text/javascript", ".gz": "application/gzip", ".css": "text/css" };
    http = createHttpServer((req, res) => {
      const path = join(dir, decodeURIComponent(new URL(req.url!, "http://x").pathname));
      if (!path.startsWith(dir) || !existsSync(path) || !statSync(path).isFile()) return void res.writeHead(404).end();
      res.writeHead(200, { "Content-Type": types[extname(path)] ?? "application/octet-stream" }).end(readFileSync(path));
    });
    await new Promise<void>((r) => http.listen(0, "127.0.0.1", r));
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    http?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("ships gzipped MNIST and trains a step from a sub-folder URL", async () => {
    expect(statSync(join(dir, "mnist/train-images-idx3-ubyte.gz")).size).toBeLessThan(12e6);
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    const port = (http.address() as { port: number }).port;
    await page.goto(`http://127.0.0.1:${port}/index.html?backend=cpu&limit=128&testLimit=200&autostart=1`);
    await page.waitForFunction(() => document.body.dataset.testAcc !== undefined || document.body.dataset.error !== undefined, null, { timeout: 120_000 });
    expect(await dataset(page, "error")).toBeUndefined();
    expect(await dataset(page, "steps")).toBe("2");
    expect(errors).toEqual([]);
    await page.close();
  }, 180_000);
});
