/**
 * F.convTranspose2d and nn.ConvTranspose2d on every backend: hand-worked values (each input
 * pixel scatters the kernel), PyTorch 1.13's conv_transpose2d on seeded inputs with stride,
 * padding, outputPadding, dilation, non-square kernels and a bias
 * (test/fixtures/conv_transpose_torch.json, from bench/torch/conv_transpose.py), the identity
 * that defines it (the gradient of conv2d with respect to its input), and its shape errors.
 * Its gradients are in test/gradcheck.test.ts.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { F, ShapeError, grad, mul, nn, randn, sum, zeros, manualSeed, type Tensor } from "../../src/index.ts";
import { HAND, expectClose } from "../tolerance.ts";
import { onEachBackend, opCases, testBackends } from "../helpers/backends.ts";
import { given } from "../helpers/inputs.ts";

const backends = await testBackends();
const X22 = given([1, 2, 3, 4], [1, 1, 2, 2]);
const ONES = given([1, 1, 1, 1], [1, 1, 2, 2]);
const torch = JSON.parse(readFileSync(resolve(__dirname, "../fixtures/conv_transpose_torch.json"), "utf8")) as {
  cases: { x: number[]; xShape: number[]; w: number[]; wShape: number[]; b: number[]; stride: [number, number]; padding: [number, number]; outputPadding: [number, number]; dilation: [number, number]; y: number[]; yShape: number[] }[];
};

opCases(backends, "convTranspose2d by hand and as PyTorch computes it", [
  // stride 2, 2×2 kernel of ones: each pixel becomes a 2×2 block of itself
  { name: "stride 2 scatters each pixel into its own block", f: (x, w) => F.convTranspose2d(x, w, null, { stride: 2 }), inputs: [X22, ONES], want: [[1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4]], shapes: [[1, 1, 4, 4]], how: "exact" },
  // stride 1: the blocks overlap and add up
  { name: "stride 1: overlapping blocks add", f: (x, w) => F.convTranspose2d(x, w, null), inputs: [X22, ONES], want: [[1, 3, 2, 4, 10, 6, 3, 7, 4]], shapes: [[1, 1, 3, 3]], how: "exact" },
  // padding 1 crops one ring off the stride-1 result; outputPadding 1 at stride 2 adds a row and a column of zeros
  { name: "padding crops the border", f: (x, w) => F.convTranspose2d(x, w, null, { padding: 1 }), inputs: [X22, ONES], want: [[10]], shapes: [[1, 1, 1, 1]], how: "exact" },
  { name: "outputPadding adds a row and a column (bottom, right)", f: (x, w) => F.convTranspose2d(x, w, null, { stride: 2, outputPadding: 1 }), inputs: [X22, ONES], want: [[1, 1, 2, 2, 0, 1, 1, 2, 2, 0, 3, 3, 4, 4, 0, 3, 3, 4, 4, 0, 0, 0, 0, 0, 0]], shapes: [[1, 1, 5, 5]], how: "exact" },
  ...torch.cases.map((c, i) => ({
    name: `PyTorch case ${i}: stride ${c.stride}, padding ${c.padding}, outputPadding ${c.outputPadding}, dilation ${c.dilation}, kernel ${c.wShape.slice(2)}, bias`,
    f: (x: Tensor, w: Tensor, b: Tensor) => F.convTranspose2d(x, w, b, { stride: c.stride, padding: c.padding, outputPadding: c.outputPadding, dilation: c.dilation }),
    inputs: [given(c.x, c.xShape), given(c.w, c.wShape), given(c.b, [c.b.length])],
    want: [c.y], shapes: [c.yShape], how: "summed" as const,
  })),
]);

onEachBackend(backends, "convTranspose2d is the gradient of conv2d with respect to its input", (backend) => {
  it("equals d⟨conv2d(z, w), x⟩/dz for stride [2, 1], padding [1, 0], dilation [1, 2]", async () => {
    manualSeed(7);
    const x = randn([2, 3, 4, 5]), w = randn([3, 2, 3, 2]);
    const opts = { stride: [2, 1] as [number, number], padding: [1, 0] as [number, number], dilation: [1, 2] as [number, number] };
    const y = F.convTranspose2d(x, w, null, opts);
    expect(y.shape).toEqual([2, 2, 7, 7]);
    const dz = grad((z: Tensor) => sum(mul(F.conv2d(z, w, null, opts), x)))(zeros(y.shape)) as Tensor;
    expectClose(await y.data(), await dz.data(), HAND.summed[backend], `convTranspose2d vs conv2d's input gradient on ${backend}`);
  });
});

describe("convTranspose2d's shape rules and layer", () => {
  it("names the op, the shapes and what to do", () => {
    const x = zeros([1, 3, 4, 4]);
    expect(() => F.convTranspose2d(x, zeros([2, 5, 3, 3]))).toThrow(new ShapeError("convTranspose2d: input has 3 channels, weight expects 2 (input [1,3,4,4], weight [2,5,3,3]; the weight is [in, out, kh, kw])"));
    expect(() => F.convTranspose2d(x, zeros([3, 5, 3, 3]), null, { stride: 2, outputPadding: 2 })).toThrow(/convTranspose2d: outputPadding 2 must be smaller than the stride 2 \(height\)/);
    expect(() => F.convTranspose2d(zeros([1, 3, 1, 1]), zeros([3, 1, 1, 1]), null, { padding: 1 })).toThrow(/convTranspose2d: the output height would be -1/);
    expect(() => F.convTranspose2d(x, zeros([3, 5, 3, 3]), zeros([4]))).toThrow(/convTranspose2d/);
    expect(() => F.convTranspose2d(zeros([3, 4, 4]), zeros([3, 5, 3, 3]))).toThrow(/convTranspose2d: expected input \[N, Cin, H, W\]/);
  });

  it("nn.ConvTranspose2d has PyTorch's parameter shapes and upsamples 2× with kernel 2, stride 2", () => {
    const layer = new nn.ConvTranspose2d(4, 6, 2, { stride: 2 });
    expect([...layer.stateDict()].map(([k, t]) => [k, t.shape])).toEqual([["weight", [4, 6, 2, 2]], ["bias", [6]]]);
    expect(layer.forward(zeros([3, 4, 7, 5])).shape).toEqual([3, 6, 14, 10]);
    // PyTorch's init: U(±1/√(out·kh·kw)) for weight and bias
    const bound = 1 / Math.sqrt(6 * 2 * 2);
    return layer.weight.data().then((v) => expect(Math.max(...Array.from(v, Math.abs))).toBeLessThanOrEqual(bound));
  });
});
