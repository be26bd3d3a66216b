/**
 * @file Any picture of a digit as an MNIST image: MNIST's digits are white on black, their ink
 * scaled (keeping its aspect) into a 20×20 box and placed in 28×28 so that the centre of mass
 * lands on the centre (LeCun et al.'s preprocessing). A photo or a drawing is usually dark ink
 * on light paper, so the picture is inverted when its border is light. Pure arithmetic on a
 * grey image (no canvas), so the CLI's `predict` and tests share it.
 */

/** Grey 0…1 (0 black) of RGBA bytes, alpha composited over white, by Rec. 601 luma. */
export function rgbaToGrey(rgba: Uint8Array | Uint8ClampedArray, width: number, height: number): Float32Array {
  const g = new Float32Array(width * height);
  for (let i = 0; i < g.length; i++) {
    const a = rgba[4 * i + 3] / 255;
    const luma = (0.299 * rgba[4 * i] + 0.587 * rgba[4 * i + 1] + 0.114 * rgba[4 * i + 2]) / 255;
    g[i] = a * luma + (1 - a);
  }
  return g;
}

/** The mean of the picture's outermost rows and columns. */
function borderMean(g: Float32Array, w: number, h: number): number {
  let s = 0, n = 0;
  for (let x = 0; x < w; x++) { s += g[x] + g[(h - 1) * w + x]; n += 2; }
  for (let y = 1; y < h - 1; y++) { s += g[y * w] + g[y * w + w - 1]; n += 2; }
  return s / n;
}

/**
 * A grey picture (0…1, any size) as a 28×28 MNIST image (ink 1, background 0), or null when
 * it holds no ink. Ink is what differs from the background by more than `threshold`.
 */
export function toMnistImage(grey: Float32Array, width: number, height: number, threshold = 0.2): Float32Array | null {
  // ink high: invert a light background
  const invert = borderMean(grey, width, height) > 0.5;
  const ink = invert ? grey.map((v) => 1 - v) : grey.slice();
  let x0 = width, y0 = height, x1 = -1, y1 = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (ink[y * width + x] > threshold) { x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y); }
    }
  }
  if (x1 < 0) return null;
  // the bounding box scaled to fit 20×20, by area averaging: output pixel (u, v) of the box
  // covers source [x0 + u/s, x0 + (u+1)/s) × [y0 + v/s, y0 + (v+1)/s)
  const bw = x1 - x0 + 1, bh = y1 - y0 + 1, s = 20 / Math.max(bw, bh);
  const ow = Math.max(1, Math.round(bw * s)), oh = Math.max(1, Math.round(bh * s));
  const box = new Float32Array(ow * oh);
  for (let v = 0; v < oh; v++) {
    for (let u = 0; u < ow; u++) {
      const sx0 = x0 + (u * bw) / ow, sx1 = x0 + ((u + 1) * bw) / ow, sy0 = y0 + (v * bh) / oh, sy1 = y0 + ((v + 1) * bh) / oh;
      let sum = 0, area = 0;
      for (let y = Math.floor(sy0); y < Math.ceil(sy1); y++) {
        const wy = Math.min(sy1, y + 1) - Math.max(sy0, y);
        for (let x = Math.floor(sx0); x < Math.ceil(sx1); x++) {
          const wx = Math.min(sx1, x + 1) - Math.max(sx0, x);
          sum += wx * wy * ink[y * width + x];
          area += wx * wy;
        }
      }
      box[v * ow + u] = Math.min(1, Math.max(0, sum / area));
    }
  }
  // the box into 28×28 with its centre of mass on (14, 14), shifted by whole pixels
  let m = 0, mx = 0, my = 0;
  for (let v = 0; v < oh; v++) for (let u = 0; u < ow; u++) { const p = box[v * ow + u]; m += p; mx += p * u; my += p * v; }
  const ox = Math.round(14 - mx / m), oy = Math.round(14 - my / m);
  const out = new Float32Array(784);
  for (let v = 0; v < oh; v++) {
    for (let u = 0; u < ow; u++) {
      const x = u + ox, y = v + oy;
      if (x >= 0 && x < 28 && y >= 0 && y < 28) out[y * 28 + x] = box[v * ow + u];
    }
  }
  return out;
}
