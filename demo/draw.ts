/**
 * @file Canvas helpers for the demo page: digit and feature-map images, the loss chart, and
 * turning a hand-drawn digit into an MNIST-like 28×28 image (the ink's bounding box scaled
 * into 20×20, then shifted so its centre of mass sits at the centre, as MNIST was made).
 */

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

/** Loss per step (line) and test accuracy per epoch (dots, right axis 0–100 %). */
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
  const maxLoss = Math.max(2.5, ...losses.slice(0, 20));
  for (let k = 0; k <= 4; k++) {
    const y = top + (h * k) / 4;
    g.beginPath();
    g.moveTo(left, y);
    g.lineTo(left + w, y);
    g.stroke();
    g.textAlign = "right";
    g.fillText((maxLoss * (1 - k / 4)).toFixed(1), left - 6, y + 4);
    g.textAlign = "left";
    g.fillText(`${100 - k * 25}%`, left + w + 6, y + 4);
  }
  g.textAlign = "center";
  g.fillText(losses.length ? `step ${losses.length}` : "loss (left) · test accuracy (right)", left + w / 2, ch - 5);
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
 * The drawing pad's ink as a 28×28 MNIST-style image, values 0…1, or null when it is empty.
 * Reads the red channel (white ink on black).
 */
export function padToMnist(pad: HTMLCanvasElement): Float32Array | null {
  const { width: W, height: H } = pad;
  const src = pad.getContext("2d")!.getImageData(0, 0, W, H).data;
  let x0 = W, y0 = H, x1 = -1, y1 = -1;
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      if (src[(y * W + x) * 4] > 30) {
        x0 = Math.min(x0, x); x1 = Math.max(x1, x);
        y0 = Math.min(y0, y); y1 = Math.max(y1, y);
      }
    }
  }
  if (x1 < 0) return null;
  // the bounding box, scaled to fit 20×20 keeping its aspect, drawn smoothly into 28×28
  const bw = x1 - x0 + 1, bh = y1 - y0 + 1;
  const s = 20 / Math.max(bw, bh);
  const small = document.createElement("canvas");
  small.width = 28;
  small.height = 28;
  const g = small.getContext("2d")!;
  g.fillStyle = "#000";
  g.fillRect(0, 0, 28, 28);
  g.imageSmoothingQuality = "high";
  g.drawImage(pad, x0, y0, bw, bh, (28 - bw * s) / 2, (28 - bh * s) / 2, bw * s, bh * s);
  const px = g.getImageData(0, 0, 28, 28).data;
  const v = new Float32Array(784);
  let m = 0, mx = 0, my = 0;
  for (let i = 0; i < 784; i++) {
    v[i] = px[i * 4] / 255;
    m += v[i];
    mx += v[i] * (i % 28);
    my += v[i] * Math.floor(i / 28);
  }
  // shift (whole pixels) so the centre of mass lands on (14, 14)
  const dx = Math.round(14 - mx / m), dy = Math.round(14 - my / m);
  const out = new Float32Array(784);
  for (let y = 0; y < 28; y++) {
    for (let x = 0; x < 28; x++) {
      const sx = x - dx, sy = y - dy;
      if (sx >= 0 && sx < 28 && sy >= 0 && sy < 28) out[y * 28 + x] = v[sy * 28 + sx];
    }
  }
  return out;
}
