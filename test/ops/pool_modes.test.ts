/**
 * Pooling as PyTorch and TensorFlow define it beyond floor-mode windows: `ceilMode` (a last
 * partial window kept, never one starting in the bottom/right padding; average divisors
 * without the rows ceil mode adds), `dilation` (max and average) and `countIncludePad`, on
 * every backend: hand-worked values, then PyTorch 1.13's max_pool2d / avg_pool2d values and
 * input gradients (test/fixtures/pool_modes_torch.json, from bench/torch/pool_modes.py), with
 * non-square kernels, strides and dilations so a row/column mix-up shows.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { F, grad, mul, nn, sum, zeros, type Tensor } from "../../src/index.ts";
import { opCases, testBackends } from "../helpers/backends.ts";
import { buildPlan } from "../../src/graph/plan.ts";
import { given } from "../helpers/inputs.ts";

const backends = await testBackends();
const X33 = given([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 1, 3, 3]);
const X44 = given(Array.from({ length: 16 }, (_, i) => i + 1), [1, 1, 4, 4]);
type PoolCase = { kind: "max" | "avg"; x: number[]; xShape: number[]; kernel: [number, number]; stride: [number, number]; padding: [number, number]; dilation: [number, number]; ceilMode: boolean; countIncludePad: boolean | null; y: number[]; yShape: number[]; g: number[]; dx: number[] };
const torch = JSON.parse(readFileSync(resolve(__dirname, "../fixtures/pool_modes_torch.json"), "utf8")) as { cases: PoolCase[] };

const pool = (c: PoolCase) => (x: Tensor) => c.kind === "max"
  ? F.maxPool2d(x, { kernelSize: c.kernel, stride: c.stride, padding: c.padding, dilation: c.dilation, ceilMode: c.ceilMode })
  : F.avgPool2d(x, { kernelSize: c.kernel, stride: c.stride, padding: c.padding, dilation: c.dilation, ceilMode: c.ceilMode, countIncludePad: c.countIncludePad ?? true });
const what = (c: PoolCase) => `${c.kind} ${c.kernel.join("×")} stride ${c.stride} padding ${c.padding} dilation ${c.dilation}${c.ceilMode ? " ceil" : ""}${c.kind === "avg" ? ` countIncludePad ${c.countIncludePad}` : ""}`;

opCases(backends, "pooling: ceilMode, dilation, countIncludePad", [
  // 1 2 3 / 4 5 6 / 7 8 9, 2×2 windows at stride 2: floor mode keeps one window, ceil mode four
  { name: "maxPool2d ceilMode keeps the partial windows", f: (x) => F.maxPool2d(x, { kernelSize: 2, ceilMode: true }), inputs: [X33], want: [[5, 6, 8, 9]], shapes: [[1, 1, 2, 2]], how: "exact" },
  { name: "maxPool2d floor mode (the default) drops them", f: (x) => F.maxPool2d(x, { kernelSize: 2 }), inputs: [X33], want: [[5]], shapes: [[1, 1, 1, 1]], how: "exact" },
  // (1+2+4+5)/4, (3+6)/2, (7+8)/2, 9/1: ceil mode's overhang is not in the divisor
  { name: "avgPool2d ceilMode divides by the part inside", f: (x) => F.avgPool2d(x, { kernelSize: 2, ceilMode: true }), inputs: [X33], want: [[3, 4.5, 7.5, 9]], shapes: [[1, 1, 2, 2]], how: "rounded" },
  // 4×4 of 1…16, 2×2 windows with dilation 2: elements (y, x), (y, x+2), (y+2, x), (y+2, x+2)
  { name: "maxPool2d dilation 2", f: (x) => F.maxPool2d(x, { kernelSize: 2, stride: 1, dilation: 2 }), inputs: [X44], want: [[11, 12, 15, 16]], shapes: [[1, 1, 2, 2]], how: "exact" },
  { name: "avgPool2d dilation 2", f: (x) => F.avgPool2d(x, { kernelSize: 2, stride: 1, dilation: 2 }), inputs: [X44], want: [[6, 7, 10, 11]], shapes: [[1, 1, 2, 2]], how: "rounded" },
  // dilation [1, 2]: rows adjacent, columns two apart; a non-square window shows a mix-up
  { name: "maxPool2d dilation [1, 2], window 2×2, stride [2, 1]", f: (x) => F.maxPool2d(x, { kernelSize: 2, stride: [2, 1], dilation: [1, 2] }), inputs: [X44], want: [[7, 8, 15, 16]], shapes: [[1, 1, 2, 2]], how: "exact" },
  ...torch.cases.map((c) => ({ name: `PyTorch ${what(c)}`, f: pool(c), inputs: [given(c.x, c.xShape)], want: [c.y], shapes: [c.yShape], how: "rounded" as const })),
  ...torch.cases.map((c) => ({
    name: `PyTorch ${what(c)}: the input gradient`,
    f: (x: Tensor, g: Tensor) => grad((z: Tensor) => sum(mul(pool(c)(z), g)))(x) as Tensor,
    inputs: [given(c.x, c.xShape), given(c.g, c.yShape)], want: [c.dx], shapes: [c.xShape], how: "summed" as const,
  })),
]);

describe("pooling modes' rules", () => {
  it("ceil mode never starts a window in the bottom/right padding (PyTorch's rule)", () => {
    // 5 + 2·1 − 2 = 5 rows of room: ⌈5/2⌉ + 1 = 4 windows, but the 4th would start at row 6 ≥ 5 + 1
    expect(F.maxPool2d(zeros([1, 1, 5, 5]), { kernelSize: 2, padding: 1, ceilMode: true }).shape).toEqual([1, 1, 3, 3]);
    expect(F.maxPool2d(zeros([1, 1, 6, 6]), { kernelSize: 3, stride: 2, padding: 1, ceilMode: true }).shape).toEqual([1, 1, 4, 4]);
    expect(F.avgPool2d(zeros([1, 1, 7, 7]), { kernelSize: 3, stride: 2, ceilMode: true }).shape).toEqual([1, 1, 3, 3]);
  });

  it("every mode is the pooling op itself: one kernel forward and one backward, no padded copy or im2col", () => {
    const x = zeros([2, 3, 9, 8]);
    const modes = [
      (z: Tensor) => F.maxPool2d(z, { kernelSize: [3, 2], stride: [2, 1], padding: "same", dilation: [1, 2], ceilMode: true }),
      (z: Tensor) => F.avgPool2d(z, { kernelSize: 3, stride: 2, padding: [0, 2, 1, 0], ceilMode: true, countIncludePad: false }),
      (z: Tensor) => F.avgPool2d(z, { kernelSize: 2, stride: 1, dilation: 2 }),
    ];
    for (const [k, f] of modes.entries()) {
      const ops = (t: Tensor) => buildPlan([t], (v) => v.storage !== null).plan.steps.map((st) => st.op.name);
      const dx = grad((z: Tensor) => sum(f(z)))(x) as Tensor;
      expect(ops(f(x)), `mode ${k} forward`).toEqual([k === 0 ? "maxPool2d" : "avgPool2d"]);
      expect(ops(dx).filter((o) => !["expand", "reshape"].includes(o)), `mode ${k} backward`).toEqual(k === 0 ? ["maxPool2d", "maxPool2dBackward"] : ["avgPool2dBackward"]);
    }
  });

  it("nn.MaxPool2d and nn.AvgPool2d take the options; a window that does not fit is named", () => {
    expect(new nn.MaxPool2d({ kernelSize: 2, ceilMode: true }).forward(zeros([1, 3, 5, 5])).shape).toEqual([1, 3, 3, 3]);
    expect(new nn.AvgPool2d({ kernelSize: 2, ceilMode: true, countIncludePad: false }).forward(zeros([1, 3, 5, 5])).shape).toEqual([1, 3, 3, 3]);
    expect(() => F.maxPool2d(zeros([1, 1, 3, 3]), { kernelSize: 2, dilation: 3 })).toThrow(/maxPool2d: window 2×2 \(dilation 3×3\) does not fit input \[1,1,3,3\]/);
    expect(() => F.maxPool2d(zeros([1, 1, 3, 3]), { kernelSize: 2, dilation: 0 })).toThrow(/maxPool2d: dilation must be an integer ≥ 1/);
  });
});
