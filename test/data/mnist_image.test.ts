/**
 * A picture of a digit as MNIST sees it: the CLI's predict turns a PNG of any size, dark ink
 * on light paper or light on dark, into 28×28 white-on-black with the ink in 20×20, centred by
 * mass. An MNIST digit enlarged, inverted and moved off-centre comes back close to itself.
 */
import { describe, expect, it } from "vitest";
import { loadMnist } from "../../src/data/mnist.ts";
import { rgbaToGrey, toMnistImage } from "../../src/data/mnist_image.ts";

/** An MNIST image (0…1) drawn dark on white, `scale`× larger, at (ox, oy) of a w×h RGBA canvas. */
function paper(img: Float32Array, scale: number, w: number, h: number, ox: number, oy: number): Uint8Array {
  const rgba = new Uint8Array(w * h * 4).fill(255);
  for (let y = 0; y < 28 * scale; y++) {
    for (let x = 0; x < 28 * scale; x++) {
      const v = Math.round(255 * (1 - img[Math.floor(y / scale) * 28 + Math.floor(x / scale)]));
      rgba.set([v, v, v, 255], ((y + oy) * w + x + ox) * 4);
    }
  }
  return rgba;
}

const correlation = (a: Float32Array, b: Float32Array) => {
  const ma = a.reduce((s, v) => s + v, 0) / a.length, mb = b.reduce((s, v) => s + v, 0) / b.length;
  let ab = 0, aa = 0, bb = 0;
  for (let i = 0; i < a.length; i++) { ab += (a[i] - ma) * (b[i] - mb); aa += (a[i] - ma) ** 2; bb += (b[i] - mb) ** 2; }
  return ab / Math.sqrt(aa * bb);
};

describe("toMnistImage", () => {
  it("gives back an MNIST digit drawn 4× larger, dark on light, off-centre", async () => {
    const test = await loadMnist({ split: "test", limit: 20 });
    for (let i = 0; i < 20; i++) {
      const img = Float32Array.from(test.pixels.subarray(i * 784, (i + 1) * 784), (v) => v / 255);
      const [w, h] = [150, 131];
      const back = toMnistImage(rgbaToGrey(paper(img, 4, w, h, 3 + i, 17), w, h), w, h)!;
      expect(correlation(back, img), `image ${i}`).toBeGreaterThan(0.9);
    }
  });

  it("keeps light-on-dark as it is, fills 20 pixels along the longer side, and finds a blank picture blank", () => {
    // a white bar 60 wide, 10 high on black
    const [w, h] = [100, 80], rgba = new Uint8Array(w * h * 4);
    for (let i = 0; i < w * h; i++) rgba[4 * i + 3] = 255;
    for (let y = 30; y < 40; y++) for (let x = 20; x < 80; x++) rgba.set([255, 255, 255, 255], (y * w + x) * 4);
    const out = toMnistImage(rgbaToGrey(rgba, w, h), w, h)!;
    const rows = Array.from({ length: 28 }, (_, y) => out.subarray(y * 28, y * 28 + 28).reduce((s, v) => s + v, 0));
    const cols = Array.from({ length: 28 }, (_, x) => rows.reduce((s, _, y) => s + out[y * 28 + x], 0));
    expect(cols.filter((c) => c > 0.5).length).toBe(20);
    expect(rows.filter((r) => r > 0.5).length).toBeLessThanOrEqual(4);
    // the mass centred on (14, 14), within the half pixel a whole-pixel shift leaves
    const total = cols.reduce((s, c) => s + c, 0);
    expect(Math.abs(cols.reduce((s, c, x) => s + c * x, 0) / total - 14)).toBeLessThanOrEqual(0.5);
    expect(Math.abs(rows.reduce((s, r, y) => s + r * y, 0) / total - 14)).toBeLessThanOrEqual(0.5);
    expect(toMnistImage(new Float32Array(64).fill(1), 8, 8)).toBeNull();
    // transparent pixels are paper (white), not ink
    expect(rgbaToGrey(new Uint8Array([0, 0, 0, 0]), 1, 1)[0]).toBe(1);
  });
});
