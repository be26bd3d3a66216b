/**
 * The CPU backend's fast mode kernels (src/ops/cpu_fast.ts, issue #22) against the reference:
 * im2col bit for bit (a copy), col2im and the products within the WebGPU kernels' float32
 * tolerance, matmulBiasAct's bias and ReLU in the kernel's store (ReLU's rule for NaN and −0),
 * every transpose, broadcast batches and ragged sizes. Each kernel is called as the backend
 * calls it (runCpu: the op's cpuFast in the fast mode, else its reference).
 */
import { describe, expect, it } from "vitest";
import { OPS } from "../../src/internals.ts";
import { cpuThreads, fastKernels, fastModuleBytes, indexRuns, runCpu } from "../../src/ops/cpu_fast.ts";
import { MemoryBlocks } from "../../src/ops/cpu_memory.ts";
import { fastSumForm } from "../../src/ops/sum.ts";
import type { CpuMode } from "../../src/ops/types.ts";
import { seeded } from "../helpers/gradcheck.ts";
import { TOL, expectClose } from "../tolerance.ts";

const run = (mode: CpuMode, op: keyof typeof OPS, inputs: Float32Array[], inShapes: number[][], out: number, attrs: unknown) => {
  const y = new Float32Array(out).fill(77);
  runCpu(OPS[op], { inputs, outputs: [y], inShapes, outShapes: [], attrs, status: new Uint32Array(8), site: 0, cpu: { wasmMatmul: true, mode, threads: 1 } } as never);
  return y;
};
const rand = (n: number, seed: number) => {
  const rng = seeded(seed);
  return Float32Array.from({ length: n }, () => rng() * 4 - 2);
};
const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

describe("the fast mode's WebAssembly module", () => {
  it("validates, and its gather and scatter follow their index tables (−1: zero, skipped)", () => {
    expect(WebAssembly.validate(fastModuleBytes())).toBe(true);
    const f = fastKernels()!;
    const out = new Float32Array(6);
    f.gatherImages(Float32Array.of(1, 2, 3, 4, 5, 6), out, 2, "test 2 -1 0", () => Int32Array.of(2, -1, 0));
    expect([...out]).toEqual([3, 0, 1, 6, 0, 4]);
    const dx = new Float32Array(6).fill(9);
    f.scatterImages(Float32Array.of(1, 2, 3, 4, 5, 6), dx, 2, "test 0 -1 0", () => Int32Array.of(0, -1, 0));
    expect([...dx]).toEqual([4, 0, 0, 10, 0, 0]);
  });
});

const windows = [
  { x: [3, 2, 9, 8], kernel: [3, 2], stride: [1, 1], padding: [1, 0], dilation: [1, 1] },
  { x: [2, 2, 7, 11], kernel: [2, 3], stride: [2, 3], padding: [4, 5], dilation: [1, 2] },
  { x: [4, 1, 28, 28], kernel: [5, 5], stride: [1, 1], padding: [2, 2], dilation: [1, 1] },
] as const;

describe("fast im2col and col2im", () => {
  it.each(windows)("x %j, kernel %j: im2col bit for bit, col2im within float32 sums", ({ x: xs, kernel, stride, padding, dilation }) => {
    const [n, c, h, w] = xs;
    const oh = Math.floor((h + 2 * padding[0] - dilation[0] * (kernel[0] - 1) - 1) / stride[0]) + 1;
    const ow = Math.floor((w + 2 * padding[1] - dilation[1] * (kernel[1] - 1) - 1) / stride[1]) + 1;
    const size = n * c * kernel[0] * kernel[1] * oh * ow;
    const attrs = { kernel: [...kernel], stride: [...stride], padding: [...padding], dilation: [...dilation] };
    const x = rand(n * c * h * w, 1);
    expect(bits(run("fast", "im2col", [x], [[...xs]], size, attrs))).toEqual(bits(run("reference", "im2col", [x], [[...xs]], size, attrs)));
    const cols = rand(size, 2);
    const back = { ...attrs, inputShape: [...xs] };
    const [ref, fast] = [run("reference", "col2im", [cols], [[n, size / n / (oh * ow), oh * ow]], x.length, back), run("fast", "col2im", [cols], [[n, size / n / (oh * ow), oh * ow]], x.length, back)];
    expectClose(fast, ref, TOL.gpuAccumulate, `col2im ${xs}`);
    // float32 sums: the 5×5 window's 25 terms round differently somewhere
    if (kernel[0] === 5) expect(fast.some((v, i) => v !== ref[i])).toBe(true);
  });
});

describe("fast matmulBiasAct: the bias and ReLU in the kernel's store", () => {
  const cases = [
    { as: [6, 25], bs: [5, 25, 37], rows: true, tA: false, tB: false },
    { as: [13, 40], bs: [7, 40], rows: false, tA: false, tB: true },
    { as: [40, 9], bs: [40, 10], rows: false, tA: true, tB: false },
  ];
  it.each(cases)("%j, each activation", ({ as, bs, rows, tA, tB }) => {
    const m = tA ? as[as.length - 1] : as[as.length - 2];
    const n = tB ? bs[bs.length - 2] : bs[bs.length - 1];
    const batch = bs.length === 3 ? bs[0] : 1;
    const a = rand(as.reduce((x, y) => x * y), 3), b = rand(bs.reduce((x, y) => x * y), 4);
    // a NaN and a product that the bias turns to −0 (ReLU: NaN stays, −0 becomes 0)
    a[1] = NaN;
    const bias = rand(rows ? m : n, 5);
    for (const act of ["relu", "none", "tanh", "sigmoid"] as const) {
      const attrs = { transposeA: tA, transposeB: tB, act, rows };
      const [ref, fast] = (["reference", "fast"] as const).map((mode) => run(mode, "matmulBiasAct", [a, b, bias], [as, bs], batch * m * n, attrs));
      expect(fast.map((v) => (Number.isNaN(v) ? 1 : 0))).toEqual(ref.map((v) => (Number.isNaN(v) ? 1 : 0)));
      const finite = (y: Float32Array) => y.map((v) => (Number.isNaN(v) ? 0 : v));
      expectClose(finite(fast), finite(ref), TOL.gpuAccumulate, `${act} ${as}·${bs}`);
      if (act === "relu") expect(fast.every((v) => Number.isNaN(v) || v >= 0) && !fast.some((v) => Object.is(v, -0))).toBe(true);
      if (act === "relu") expect(fast.some((v) => v === 0) && fast.some((v) => v > 0)).toBe(true);
    }
  });
});

describe("fast max pooling", () => {
  const pools = [
    { x: [3, 2, 8, 8], kernel: [2, 2], stride: [2, 2], padding: [0, 0] },
    { x: [2, 3, 9, 7], kernel: [3, 3], stride: [2, 1], padding: [1, 1], dilation: [1, 2] },
    { x: [2, 2, 7, 7], kernel: [2, 3], stride: [2, 2], padding: [0, 1], padEnd: [1, 0], extra: [1, 1] },
  ];
  // ties (a coarse grid of values), a NaN and a −0 in each plane
  const input = (n: number) => {
    const v = rand(n, 8).map((x) => Math.round(x * 2) / 2);
    for (let i = 5; i < n; i += 37) v[i] = NaN;
    for (let i = 11; i < n; i += 41) v[i] = -0;
    return v;
  };
  it.each(pools)("%j: forward values and argmax bit for bit; backward exact where windows do not overlap, else float32 sums", ({ x: xs, ...attrs }) => {
    const x = input(xs.reduce((a, b) => a * b));
    const pool = (mode: CpuMode) => {
      const probe = { inputs: [x], inShapes: [xs], outShapes: [], attrs, status: new Uint32Array(8), site: 0, cpu: { wasmMatmul: true, mode, threads: 1 } };
      const [y0] = OPS.maxPool2d.infer([{ shape: xs, dtype: "float32" }], attrs as never);
      const size = y0.shape.reduce((a, b) => a * b);
      const y = new Float32Array(size), arg = new Int32Array(size);
      runCpu(OPS.maxPool2d, { ...probe, outputs: [y, arg] } as never);
      return { y, arg, shape: y0.shape };
    };
    const [ref, fast] = [pool("reference"), pool("fast")];
    expect(bits(fast.y)).toEqual(bits(ref.y));
    expect([...fast.arg]).toEqual([...ref.arg]);
    expect(ref.y.some((v) => Number.isNaN(v))).toBe(true);
    const dy = rand(ref.y.length, 9), mask = rand(x.length, 10);
    for (const withMask of [false, true]) {
      const back = { ...attrs, inputShape: xs };
      const inputs = withMask ? [dy, ref.arg as unknown as Float32Array, mask] : [dy, ref.arg as unknown as Float32Array];
      const shapes = withMask ? [ref.shape, ref.shape, xs] : [ref.shape, ref.shape];
      const [r, f] = [run("reference", "maxPool2dBackward", inputs, shapes, x.length, back), run("fast", "maxPool2dBackward", inputs, shapes, x.length, back)];
      if (attrs.stride[0] >= attrs.kernel[0] && attrs.stride[1] >= attrs.kernel[1] * (attrs.dilation?.[1] ?? 1)) expect(bits(f)).toEqual(bits(r));
      else expectClose(f, r, TOL.gpuAccumulate, `maxPool2dBackward ${xs}`);
      if (withMask) expect(f.some((v, i) => !(mask[i] > 0) && v !== 0)).toBe(false);
    }
  });
});

describe("fast sums", () => {
  it("read a sum's axes as [outer, summed, kept, summed] where they fit, else leave it to the reference", () => {
    expect(fastSumForm([64, 6, 28, 28], [0, 2, 3])).toEqual([1, 64, 6, 784]);
    expect(fastSumForm([1792, 512], [0])).toEqual([1, 1792, 512, 1]);
    expect(fastSumForm([64, 10], [1])).toEqual([64, 1, 1, 10]);
    expect(fastSumForm([3, 1, 4, 5], [1, 2])).toEqual([3, 4, 5, 1]);
    expect(fastSumForm([2, 3, 4, 5, 6], [1, 3])).toBeNull();
  });
  const cases: [number[], number[]][] = [[[64, 6, 28, 28], [0, 2, 3]], [[300, 37], [0]], [[37, 301], [1]], [[5, 7, 6, 9], [1, 3]], [[4, 5, 3], [0, 1, 2]], [[2, 3, 4, 5, 6], [1, 3]]];
  it.each(cases)("%j over %j: within float32 sums of the reference", (xs, axes) => {
    const x = rand(xs.reduce((a, b) => a * b), 11);
    const kept = xs.filter((_, i) => !axes.includes(i));
    const out = kept.reduce((a, b) => a * b, 1);
    const attrs = { axes, keepdims: false };
    const [ref, fast] = [run("reference", "sum", [x], [xs], out, attrs), run("fast", "sum", [x], [xs], out, attrs)];
    expectClose(fast, ref, TOL.gpuAccumulate, `sum ${xs} over ${axes}`);
    // a long sum rounds differently in float32 somewhere (the mode is not a no-op) where it applies
    if (fastSumForm(xs, axes) && x.length / out >= 300) expect(fast.some((v, i) => v !== ref[i])).toBe(true);
  });
});

describe("fast lstmSequence: the whole layer direction in WebAssembly", () => {
  it.each([[3, 5, 8, false], [4, 6, 12, true], [2, 64, 128, false]])("T %i, B %i, H %i, reverse %s: every output within float32 of the reference", (T, B, H, reverse) => {
    const x = rand(T * B * 4 * H, 12).map((v) => v * 2), whh = rand(4 * H * H, 13).map((v) => v / Math.sqrt(H)), h0 = rand(B * H, 14), c0 = rand(B * H, 15);
    // a saturating gate: exp's clamps
    x[0] = 200;
    x[1] = -200;
    const outs = (mode: CpuMode) => {
      const o = [T * B * H, B * H, T * B * 6 * H, T * B * H].map((n) => new Float32Array(n).fill(77));
      runCpu(OPS.lstmSequence, { inputs: [x, whh, h0, c0], outputs: o, inShapes: [[T, B, 4 * H], [4 * H, H], [B, H], [B, H]], outShapes: [[T, B, H], [B, H], [T, B, 6 * H], [T, B, H]], attrs: { reverse }, status: new Uint32Array(8), site: 0, cpu: { wasmMatmul: true, mode, threads: 1 } } as never);
      return o;
    };
    const [ref, fast] = [outs("reference"), outs("fast")];
    ["hs", "cN", "saved", "hprev"].forEach((name, i) => expectClose(fast[i], ref[i], TOL.gpuAccumulate, `lstmSequence ${name}`));
    expect(fast[0].some((v, i) => v !== ref[0][i]), "float32 exp: some h differs").toBe(true);
    // the backward op from the reference's saved gates
    const dhs = rand(T * B * H, 16), dcN = rand(B * H, 17);
    const back = (mode: CpuMode) => {
      const o = [T * B * 4 * H, B * H, B * H].map((n) => new Float32Array(n).fill(77));
      runCpu(OPS.lstmSequenceBackward, { inputs: [whh, ref[2], dhs, dcN], outputs: o, inShapes: [[4 * H, H], [T, B, 6 * H], [T, B, H], [B, H]], outShapes: [[T, B, 4 * H], [B, H], [B, H]], attrs: { reverse }, status: new Uint32Array(8), site: 0, cpu: { wasmMatmul: true, mode, threads: 1 } } as never);
      return o;
    };
    const [rb, fb] = [back("reference"), back("fast")];
    ["dx", "dh0", "dc0"].forEach((name, i) => expectClose(fb[i], rb[i], TOL.gpuAccumulate, `lstmSequenceBackward ${name}`));
    expect(fb[0].some((v, i) => v !== rb[0][i]), "float32: some gate gradient differs").toBe(true);
  });
});

describe("fast gruSequence: the whole layer direction in WebAssembly", () => {
  it.each([[3, 5, 8, false, true], [4, 6, 12, true, false], [2, 64, 128, false, true]])("T %i, B %i, H %i, reverse %s, b_hh %s: every output within float32 of the reference", (T, B, H, reverse, bias) => {
    const x = rand(T * B * 3 * H, 22).map((v) => v * 2), whh = rand(3 * H * H, 23).map((v) => v / Math.sqrt(H)), h0 = rand(B * H, 24), bhh = rand(3 * H, 25);
    // saturating gates: exp's clamps
    x[0] = 200;
    x[H] = -200;
    const inputs = bias ? [x, whh, h0, bhh] : [x, whh, h0];
    const inShapes = [[T, B, 3 * H], [3 * H, H], [B, H], [3 * H]].slice(0, inputs.length);
    const outs = (mode: CpuMode) => {
      const o = [T * B * H, T * B * 4 * H, T * B * H].map((n) => new Float32Array(n).fill(77));
      runCpu(OPS.gruSequence, { inputs, outputs: o, inShapes, outShapes: [[T, B, H], [T, B, 4 * H], [T, B, H]], attrs: { reverse }, status: new Uint32Array(8), site: 0, cpu: { wasmMatmul: true, mode, threads: 1 } } as never);
      return o;
    };
    const [ref, fast] = [outs("reference"), outs("fast")];
    ["hs", "saved", "hprev"].forEach((name, i) => expectClose(fast[i], ref[i], TOL.gpuAccumulate, `gruSequence ${name}`));
    expect(fast[0].some((v, i) => v !== ref[0][i]), "float32 exp: some h differs").toBe(true);
    // the backward op from the reference's saved gates
    const dhs = rand(T * B * H, 26);
    const back = (mode: CpuMode) => {
      const o = [T * B * 3 * H, T * B * 3 * H, B * H].map((n) => new Float32Array(n).fill(77));
      runCpu(OPS.gruSequenceBackward, { inputs: [whh, ref[1], ref[2], dhs], outputs: o, inShapes: [[3 * H, H], [T, B, 4 * H], [T, B, H], [T, B, H]], outShapes: [[T, B, 3 * H], [T, B, 3 * H], [B, H]], attrs: { reverse }, status: new Uint32Array(8), site: 0, cpu: { wasmMatmul: true, mode, threads: 1 } } as never);
      return o;
    };
    const [rb, fb] = [back("reference"), back("fast")];
    ["dx", "dgh", "dh0"].forEach((name, i) => expectClose(fb[i], rb[i], TOL.gpuAccumulate, `gruSequenceBackward ${name}`));
    expect(fb[0].some((v, i) => v !== rb[0][i]), "float32: some gate gradient differs").toBe(true);
  });
});

describe("fast adamUpdate", () => {
  it("is within float32 of the reference, keeps an element whose step is not finite, and does nothing when the guard says so", () => {
    const n = 4 * 37 + 3; // the last three by the reference loop
    const [p, g, m, v] = [rand(n, 18), rand(n, 19), rand(n, 20).map((x) => x / 10), rand(n, 21).map((x) => x * x)];
    g[5] = NaN;
    const attrs = { b1: 0.9, b2: 0.999, eps: 1e-8, weightDecay: 0.01, decoupled: false };
    const step = (mode: CpuMode, ok: number, a = attrs) => {
      const o = [0, 1, 2].map(() => new Float32Array(n).fill(77));
      runCpu(OPS.adamUpdate, { inputs: [p, g, m, v, Float32Array.of(1e-3, 1e-3 / 0.1, 1 / 0.001, ok)], outputs: o, inShapes: [[n], [n], [n], [n], [4]], outShapes: [], attrs: a, status: new Uint32Array(8), site: 0, cpu: { wasmMatmul: true, mode, threads: 1 } } as never);
      return o;
    };
    for (const a of [attrs, { ...attrs, decoupled: true }]) {
      const [ref, fast] = [step("reference", 1, a), step("fast", 1, a)];
      [0, 1, 2].forEach((i) => expectClose(fast[i], ref[i], TOL.gpuPointwise, `adam output ${i} decoupled=${a.decoupled}`));
      expect([fast[0][5], fast[1][5], fast[2][5]]).toEqual([p[5], m[5], v[5]]);
      expect(fast[0][n - 1]).not.toBe(p[n - 1]);
    }
    const off = step("fast", 0);
    expect([bits(off[0]), bits(off[1]), bits(off[2])]).toEqual([bits(p), bits(m), bits(v)]);
  });
});

describe("the fast mode's threads", () => {
  it("give the one-thread results bit for bit, with the workers taking their lanes", async () => {
    const f = fastKernels()!;
    expect(f.pool, "Node has SharedArrayBuffer and worker_threads: a pool").not.toBeNull();
    f.useThreads(2);
    for (let i = 0; i < 200 && f.pool!.ready(1) < 1; i++) await new Promise((r) => setTimeout(r, 25));
    expect(f.pool!.ready(1)).toBe(1);
    const mode = (threads: number) => ({ wasmMatmul: true, mode: "fast" as const, threads });
    const call = (threads: number, op: keyof typeof OPS, inputs: Float32Array[], inShapes: number[][], out: number, attrs: unknown) => {
      f.useThreads(threads);
      const y = new Float32Array(out);
      runCpu(OPS[op], { inputs, outputs: [y], inShapes, outShapes: [], attrs, status: new Uint32Array(8), site: 0, cpu: mode(threads) } as never);
      return y;
    };
    const cases: [keyof typeof OPS, Float32Array[], number[][], number, unknown][] = [
      // a batch of products (lanes of batches), one big product (lanes of rows of blocks, ragged), im2col, col2im
      ["matmulBiasAct", [rand(6 * 25, 1), rand(64 * 25 * 300, 2), rand(6, 3)], [[6, 25], [64, 25, 300]], 64 * 6 * 300, { transposeA: false, transposeB: false, act: "relu", rows: true }],
      ["matmul", [rand(203 * 150, 4), rand(97 * 150, 5)], [[203, 150], [97, 150]], 203 * 97, { transposeA: false, transposeB: true }],
      ["im2col", [rand(32 * 3 * 16 * 16, 6)], [[32, 3, 16, 16]], 32 * 27 * 196, { kernel: [3, 3], stride: [1, 1], padding: [0, 0], dilation: [1, 1] }],
      ["col2im", [rand(32 * 27 * 196, 7)], [[32, 27, 196]], 32 * 3 * 16 * 16, { kernel: [3, 3], stride: [1, 1], padding: [0, 0], dilation: [1, 1], inputShape: [32, 3, 16, 16] }],
    ];
    try {
      for (const [op, inputs, shapes, out, attrs] of cases) {
        const one = call(1, op, inputs, shapes, out, attrs);
        const before = f.pool!.workerCalls;
        const two = call(2, op, inputs, shapes, out, attrs);
        expect(f.pool!.workerCalls, `${op}: the worker ran part of it`).toBeGreaterThan(before);
        expect(bits(two), op).toEqual(bits(one));
      }
    } finally {
      f.useThreads(1);
    }
  });

  it("run a recurrent layer's lanes of batch rows on the workers, with the one-thread results bit for bit (LSTM and GRU, forward and backward)", async () => {
    const f = fastKernels()!;
    f.useThreads(2);
    for (let i = 0; i < 200 && f.pool!.ready(1) < 1; i++) await new Promise((r) => setTimeout(r, 25));
    const [T, B, H] = [3, 30, 64]; // T·B·G·H over 2^20 multiply-adds for both cells: worth splitting
    const run = (threads: number, op: keyof typeof OPS, inputs: Float32Array[], inShapes: number[][], outShapes: number[][]) => {
      f.useThreads(threads);
      const o = outShapes.map((s) => new Float32Array(s.reduce((a, b) => a * b, 1)).fill(77));
      runCpu(OPS[op], { inputs, outputs: o, inShapes, outShapes, attrs: { reverse: false }, status: new Uint32Array(8), site: 0, cpu: { wasmMatmul: true, mode: "fast", threads } } as never);
      return o;
    };
    const both = (op: keyof typeof OPS, inputs: Float32Array[], inShapes: number[][], outShapes: number[][]) => {
      const one = run(1, op, inputs, inShapes, outShapes);
      const before = f.pool!.workerCalls;
      const two = run(2, op, inputs, inShapes, outShapes);
      expect(f.pool!.workerCalls, `${op}: the worker ran a lane`).toBeGreaterThan(before);
      one.forEach((o, i) => expect(bits(two[i]), `${op} output ${i}`).toEqual(bits(o)));
      return one;
    };
    try {
      const [x4, w4, x3, w3, h0, c0, b3, dhs, dcN] = [T * B * 4 * H, 4 * H * H, T * B * 3 * H, 3 * H * H, B * H, B * H, 3 * H, T * B * H, B * H].map((n, i) => rand(n, 60 + i));
      const lstm = both("lstmSequence", [x4, w4, h0, c0], [[T, B, 4 * H], [4 * H, H], [B, H], [B, H]], [[T, B, H], [B, H], [T, B, 6 * H], [T, B, H]]);
      both("lstmSequenceBackward", [w4, lstm[2], dhs, dcN], [[4 * H, H], [T, B, 6 * H], [T, B, H], [B, H]], [[T, B, 4 * H], [B, H], [B, H]]);
      const gru = both("gruSequence", [x3, w3, h0, b3], [[T, B, 3 * H], [3 * H, H], [B, H], [3 * H]], [[T, B, H], [T, B, 4 * H], [T, B, H]]);
      both("gruSequenceBackward", [w3, gru[1], gru[2], dhs], [[3 * H, H], [T, B, 4 * H], [T, B, H], [T, B, H]], [[T, B, 3 * H], [T, B, 3 * H], [B, H]]);
    } finally {
      f.useThreads(1);
    }
  });

  it("are a backend option, checked, and reported", async () => {
    const { setBackend, getBackend } = await import("../../src/index.ts");
    const cpu = getBackend() as import("../../src/backends/cpu.ts").CpuBackend;
    await expect(setBackend("cpu", { threads: 0 })).rejects.toThrow(/setBackend: threads 0 should be a whole number ≥ 1/);
    const saved = { ...cpu.caps };
    try {
      await setBackend("cpu", { mode: "fast", threads: 2 });
      expect(cpuThreads(cpu.caps)).toEqual({ threads: 2, note: null });
      await setBackend("cpu", { mode: "fast", threads: 1 });
      expect(cpuThreads(cpu.caps).threads).toBe(1);
      await setBackend("cpu", { mode: "reference" });
      expect(cpuThreads(cpu.caps).threads).toBe(1);
    } finally {
      Object.assign(cpu.caps, saved);
    }
  });
});

describe("runs, the gemm's 4×8 block and resident slots", () => {
  it("compress an index table into runs only where they average four entries or more", () => {
    // 0…5, then four outside, then 10…17: three runs
    const idx = Int32Array.from([0, 1, 2, 3, 4, 5, -1, -1, -1, -1, 10, 11, 12, 13, 14, 15, 16, 17]);
    expect([...indexRuns(idx)!]).toEqual([0, 0, 6, 6, -1, 4, 10, 10, 8]);
    // a stride-2 gather: runs of one
    expect(indexRuns(Int32Array.from({ length: 16 }, (_, i) => 2 * i))).toBeNull();
  });

  it("move by runs exactly as the gather and the scatter of the same table", () => {
    const f = fastKernels()!;
    // a stride-1 window table with padding: 5 … 13, a run outside, 20 … 30 (kept as runs)
    const table = Int32Array.from([...Array.from({ length: 9 }, (_, i) => 5 + i), -1, -1, -1, -1, -1, ...Array.from({ length: 11 }, (_, i) => 20 + i)]);
    expect(indexRuns(table)).not.toBeNull();
    const images = 3, size = 32, per = table.length;
    const x = rand(images * size, 11), cols = new Float32Array(images * per).fill(7);
    f.gatherImages(x, cols, images, "runs test", () => table);
    const want = Float32Array.from({ length: images * per }, (_, e) => (table[e % per] < 0 ? 0 : x[Math.floor(e / per) * size + table[e % per]]));
    expect(bits(cols)).toEqual(bits(want));
    // the scatter adds in the table's order: a repeated index gets its terms in order
    const twice = Int32Array.from([...table, ...table]);
    const src = rand(images * twice.length, 12), dx = new Float32Array(images * size).fill(5);
    f.scatterImages(src, dx, images, "runs test twice", () => twice);
    const sums = new Float32Array(images * size);
    for (let img = 0; img < images; img++) twice.forEach((i, e) => i >= 0 && (sums[img * size + i] = Math.fround(sums[img * size + i] + src[img * twice.length + e])));
    expect(bits(dx)).toEqual(bits(sums));
  });

  it("the 4×8 gemm block and the odd block column beside it give float32 sums p in order, bit for bit, storing only C's rows", () => {
    const f = fastKernels()!;
    // m = 5 and 6: a last block of one or two rows (its own two-row code); 7: of three (four rows, one not stored)
    for (const [m, n] of [5, 6, 7].flatMap((m) => [3, 8, 12, 21].map((n) => [m, n]))) {
      const k = 19;
      // C in the kernels' memory (written in place where n is a multiple of 4), a sentinel after it:
      // the last block's eighth row is not C's
      const block = f.resident((m * n + 4) * 4)!;
      const c = new Float32Array(block.buffer as ArrayBuffer, block.at, m * n), after = new Float32Array(block.buffer as ArrayBuffer, block.at + m * n * 4, 4).fill(7);
      const a = rand(m * k, 20 + m + n), b = rand(k * n, 40 + n);
      f.matmul({ data: a, sRow: k, sP: 1 }, [0], { data: b, sRow: 1, sP: n }, [0], c, [0], m, k, n);
      expect([...after], `${m}×${n}: nothing past C`).toEqual([7, 7, 7, 7]);
      const want = Float32Array.from({ length: m * n }, (_, o) => {
        let acc = 0;
        for (let p = 0; p < k; p++) acc = Math.fround(acc + Math.fround(a[Math.floor(o / n) * k + p] * b[p * n + (o % n)]));
        return acc;
      });
      expect(bits(c), `${m}×${n}`).toEqual(bits(want));
      f.release(block.at);
    }
  });

  it("a compiled step's slots move into the kernels' memory on its second run, with the same results", async () => {
    const W = await import("../../src/index.ts");
    const { setBackend, getBackend, compile, randn, F } = W;
    const cpu = getBackend() as import("../../src/backends/cpu.ts").CpuBackend;
    const saved = { ...cpu.caps };
    try {
      await setBackend("cpu", { mode: "fast", threads: 1 });
      const x = randn([4, 2, 12, 12], { seed: 1 }), w = randn([3, 2, 3, 3], { seed: 2 });
      const step = compile((xx: import("../../src/index.ts").Tensor) => W.gradients(W.sum(F.maxPool2d(F.relu(F.conv2d(xx, w)), { kernelSize: 2 })), [xx, w]));
      const f = fastKernels()!;
      const first = await Promise.all(step(x).map((t) => t.data()));
      const before = f.residentBytes;
      const second = await Promise.all(step(x).map((t) => t.data()));
      const after = f.residentBytes;
      expect(after, "the plan's slots are resident now").toBeGreaterThan(before);
      const third = await Promise.all(step(x).map((t) => t.data()));
      expect(f.residentBytes, "and stay where they are").toBe(after);
      for (const run of [second, third]) expect(run.map((r) => bits(r as Float32Array))).toEqual(first.map((r) => bits(r as Float32Array)));
    } finally {
      Object.assign(cpu.caps, saved);
    }
  });
});

describe("MemoryBlocks", () => {
  it("places first fit in address order, 16 bytes of slack each, and reuses what is freed", () => {
    const m = new MemoryBlocks(64);
    const [a, b, c] = [m.reserve(100), m.reserve(10), m.reserve(32)];
    expect([a, b, c]).toEqual([64, 64 + 128, 64 + 128 + 32]);
    expect(m.end).toBe(64 + 128 + 32 + 48);
    m.free(b);
    expect(m.reserve(16)).toBe(b);
    expect(m.reserve(40)).toBe(m.end - 64);
    m.free(c);
    expect(m.bytes).toBe(128 + 32 + 64);
  });
});
