/**
 * @file Canvas helpers for the demo page: digit and feature-map images, the loss chart, and
 * the drawing pad as an MNIST-like 28×28 image.
 */
import { niceTicks } from "../src/cli/chart.ts";
import { rgbaToGrey, toMnistImage } from "../src/data/mnist_image.ts";

/** Paints `values` (h·w, row-major) into `canvas` as grey levels; `signed` maps 0 to mid-grey. */
export function paintMap(canvas: HTMLCanvasElement, values: ArrayLike<number>, w: number, h: number, signed = false): void {
  canvas.width = w;
  canvas.height = h;
  const g = canvas.getContext("2d")!;
  const img = g.createImageData(w, h);
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < w * h; i++) {
    lo = Math.min(lo, values[i]);
    hi = Math.max(hi, values[i]);
  }
  const span = signed ? Math.max(Math.abs(lo), Math.abs(hi)) || 1 : hi - lo || 1;
  for (let i = 0; i < w * h; i++) {
    const v = signed ? 0.5 + values[i] / (2 * span) : (values[i] - lo) / span;
    const c = Math.round(255 * Math.min(1, Math.max(0, v)));
    img.data.set([c, c, c, 255], i * 4);
  }
  g.putImageData(img, 0, 0);
}

/** A 28×28 digit from raw 0…255 pixels. */
export function paintDigit(canvas: HTMLCanvasElement, pixels: Uint8Array): void {
  canvas.width = 28;
  canvas.height = 28;
  const g = canvas.getContext("2d")!;
  const img = g.createImageData(28, 28);
  for (let i = 0; i < 784; i++) img.data.set([pixels[i], pixels[i], pixels[i], 255], i * 4);
  g.putImageData(img, 0, 0);
}

/**
 * Loss per step (line, left axis: round ticks from niceTicks, as the CLI's report charts) and
 * test accuracy per epoch (dots, right axis 0–100 %), with a legend that stays. The ticks and
 * the legend are also left on the canvas's dataset (the page's tests read them).
 */
export function paintChart(canvas: HTMLCanvasElement, losses: number[], tests: { at: number; acc: number }[]): void {
  const dpr = globalThis.devicePixelRatio || 1;
  const cw = canvas.clientWidth || 600, ch = canvas.clientHeight || 230;
  if (canvas.width !== Math.round(cw * dpr)) canvas.width = Math.round(cw * dpr);
  if (canvas.height !== Math.round(ch * dpr)) canvas.height = Math.round(ch * dpr);
  const g = canvas.getContext("2d")!;
  g.setTransform(dpr, 0, 0, dpr, 0, 0);
  g.clearRect(0, 0, cw, ch);
  const left = 40, right = 40, top = 10, bottom = 22;
  const w = cw - left - right, h = ch - top - bottom;
  g.font = "11px system-ui, sans-serif";
  g.strokeStyle = "#e3e7ef";
  g.fillStyle = "#5b6475";
  const ticks = niceTicks(0, Math.max(2.5, ...losses.slice(0, 20)), 6);
  const maxLoss = ticks[ticks.length - 1];
  const digits = Math.max(0, -Math.floor(Math.log10(ticks[1] - ticks[0]) + 1e-9));
  for (const t of ticks) {
    const y = top + h * (1 - t / maxLoss);
    g.beginPath();
    g.moveTo(left, y);
    g.lineTo(left + w, y);
    g.stroke();
    g.textAlign = "right";
    g.fillText(t.toFixed(digits), left - 6, y + 4);
  }
  g.textAlign = "left";
  for (let k = 0; k <= 4; k++) g.fillText(`${100 - k * 25}%`, left + w + 6, top + (h * k) / 4 + 4);
  canvas.dataset.ticks = JSON.stringify(ticks);
  // the legend, always: what the line and the dots are
  const legend = ["loss (10-step running mean, left)", "test accuracy after each epoch (right)"];
  canvas.dataset.legend = legend.join(" | ");
  g.fillStyle = "rgba(255,255,255,.85)";
  g.fillRect(left + 6, top + 2, 250, 34);
  g.strokeStyle = "#2457d6";
  g.lineWidth = 2;
  g.beginPath();
  g.moveTo(left + 12, top + 12);
  g.lineTo(left + 28, top + 12);
  g.stroke();
  g.lineWidth = 1;
  g.fillStyle = "#1f8a4c";
  g.beginPath();
  g.arc(left + 20, top + 27, 4, 0, 2 * Math.PI);
  g.fill();
  g.fillStyle = "#5b6475";
  g.fillText(legend[0], left + 34, top + 16);
  g.fillText(legend[1], left + 34, top + 31);
  g.textAlign = "center";
  g.fillText(losses.length ? `step ${losses.length}` : "steps", left + w / 2, ch - 5);
  const n = Math.max(losses.length, 2);
  const xAt = (i: number) => left + (w * i) / (n - 1);
  if (losses.length > 1) {
    g.strokeStyle = "#2457d6";
    g.lineWidth = 1.5;
    g.beginPath();
    // a running mean over 10 steps keeps the line readable
    let acc = 0;
    losses.forEach((l, i) => {
      acc += l - (i >= 10 ? losses[i - 10] : 0);
      const y = top + h * (1 - Math.min(1, acc / Math.min(i + 1, 10) / maxLoss));
      if (i === 0) g.moveTo(xAt(i), y);
      else g.lineTo(xAt(i), y);
    });
    g.stroke();
    g.lineWidth = 1;
  }
  g.fillStyle = "#1f8a4c";
  for (const t of tests) {
    g.beginPath();
    g.arc(xAt(Math.max(0, t.at - 1)), top + h * (1 - t.acc / 100), 4, 0, 2 * Math.PI);
    g.fill();
  }
}

/**
 * The drawing pad's ink (white on black) as a 28×28 MNIST-style image, values 0…1, or null
 * when it is empty: the same preprocessing as the CLI's predict (src/data/mnist_image.ts).
 */
export function padToMnist(pad: HTMLCanvasElement): Float32Array | null {
  const { width: W, height: H } = pad;
  return toMnistImage(rgbaToGrey(pad.getContext("2d")!.getImageData(0, 0, W, H).data, W, H), W, H);
}
