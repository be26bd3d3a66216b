/**
 * @file What a plan costs on a GPU: per step, the dispatches its WebGPU kernels make, the bytes
 * they read and write, the arithmetic it does, and a roofline estimate of its time on named
 * GPUs. `npm run plan` prints it; `npm run bench` records it beside measured times.
 *
 * The model, per step: time = dispatches · overhead + max(bytes / bandwidth, FLOPs / peak), and
 * per training step the sum of that plus one host round trip per read. Bytes count every buffer
 * a kernel binds once (read for inputs, written for outputs, a buffer bound twice once; a scratch
 * buffer is written by the first call that binds it and read by the later ones): what a kernel that touches its data
 * once moves through memory, so caches that cut it and re-reads that add to it are not seen.
 * FLOPs are the op's arithmetic (a multiply-add is 2; a transcendental 1; copies 0), from
 * the table below. Peak bandwidth and FLOP/s are the datasheet's: a lower bound on time.
 */
import type { DType } from "../dtype.ts";
import { sizeOf } from "../shape.ts";
import type { DeviceCaps, GpuArgs, OpName } from "../ops/types.ts";
import type { Plan, PlanStep } from "./plan.ts";

/** A GPU of the cost model, with where each figure comes from. */
export interface GpuSpec {
  name: string;
  /** Memory bandwidth, GB/s. */
  bandwidthGBs: number;
  /** FP32 peak (no tensor cores), TFLOP/s. */
  fp32Tflops: number;
  /** WebGPU API overhead per compute dispatch on this GPU's native API, µs. */
  dispatchUs: number;
  source: string;
}

const VULKAN_DISPATCH = "dispatch 24–36 µs on Vulkan (Maczan 2026, arXiv:2604.02344, sequential-dispatch method); 30 µs used";
const METAL_DISPATCH = "dispatch 32–71 µs on Metal (Maczan 2026, arXiv:2604.02344); 50 µs used";

export const GPUS: readonly GpuSpec[] = [
  { name: "NVIDIA H200 SXM", bandwidthGBs: 4800, fp32Tflops: 67, dispatchUs: 30, source: `NVIDIA H200 datasheet: 4.8 TB/s HBM3e, FP32 67 TFLOPS; ${VULKAN_DISPATCH}` },
  { name: "NVIDIA H100 SXM", bandwidthGBs: 3350, fp32Tflops: 67, dispatchUs: 30, source: `NVIDIA H100 datasheet: 3.35 TB/s HBM3, FP32 67 TFLOPS; ${VULKAN_DISPATCH}` },
  { name: "NVIDIA RTX 4090", bandwidthGBs: 1008, fp32Tflops: 82.6, dispatchUs: 30, source: `NVIDIA Ada Lovelace whitepaper: 1008 GB/s GDDR6X, FP32 82.6 TFLOPS; ${VULKAN_DISPATCH}` },
  { name: "Apple M2 (10-core GPU)", bandwidthGBs: 100, fp32Tflops: 3.6, dispatchUs: 50, source: `Apple M2 announcement: 100 GB/s unified memory, 3.6 TFLOPS; ${METAL_DISPATCH}` },
  { name: "Intel Iris Xe (96 EU)", bandwidthGBs: 68, fp32Tflops: 2.2, dispatchUs: 30, source: `96 EU × 16 FP32 FLOP/clock × 1.35 GHz ≈ 2.1–2.2 TFLOPS; LPDDR4x-4266 dual channel 68 GB/s; ${VULKAN_DISPATCH}` },
];

/** One host round trip (submit, then map a staging buffer and wait), ms. */
export const HOST_READ_MS = 0.45;
export const HOST_READ_SOURCE = "a submit + mapAsync round trip, ~0.45 ms in Dawn/Chrome (the figure issue #18 cites)";

/** What one step of a plan costs. */
export interface StepCost {
  index: number;
  op: string;
  /** The kernel names of its dispatches, in order (`matmul/split-k sum`). */
  kernels: string[];
  dispatches: number;
  bytesRead: number;
  bytesWritten: number;
  flops: number;
}

/** Bytes a WebGPU buffer of these elements takes (bool is a u32; float64 never reaches a GPU). */
const ELEMENT_BYTES: Record<DType, number> = { float32: 4, int32: 4, bool: 4, float64: 8 };

type Shapes = { ins: readonly (readonly number[])[]; outs: readonly (readonly number[])[]; attrs: any };
const outElems = ({ outs }: Shapes) => outs.reduce((a, s) => a + sizeOf(s), 0);
const inElems = (k: number) => ({ ins }: Shapes) => sizeOf(ins[k]);
const none = () => 0;
const perOut = (f: number) => (s: Shapes) => f * sizeOf(s.outs[0]);
/** 2·M·N·K over the batch: the output's elements times 2K. */
const matmulFlops = ({ ins, outs, attrs }: Shapes) => {
  const a = ins[0];
  const k = attrs.transposeA ? a[a.length - 2] : a[a.length - 1];
  return 2 * k * sizeOf(outs[0]);
};
const windowFlops = ({ outs, attrs }: Shapes) => sizeOf(outs[0]) * attrs.kernel[0] * attrs.kernel[1];

/**
 * Arithmetic per op, roughly (FLOPs; a multiply-add is 2, an exp/tanh 1). Typed by OpName, so
 * a new op fails `tsc` until it has a row.
 */
/** [T, B, H] states → the hidden matmuls of G gates and `cell` FLOPs per state element. */
function seqFlops([t, b, h]: readonly number[], g: number, cell: number): number {
  return 2 * t * b * g * h * h + cell * t * b * h;
}

const FLOPS: Record<OpName, (s: Shapes) => number> = {
  neg: outElems, exp: outElems, log: outElems, sqrt: outElems, abs: outElems, sign: outElems, relu: outElems,
  tanh: outElems, sigmoid: perOut(3), softplus: perOut(5), add: outElems, sub: outElems, mul: outElems, div: outElems, pow: outElems,
  maximum: outElems, reluBackward: outElems, greater: outElems, greaterEqual: outElems, less: outElems,
  lessEqual: outElems, equal: outElems, notEqual: outElems, where: none, cast: none, detach: none,
  sum: inElems(0), sumMany: ({ ins }) => ins.reduce((a, x) => a + sizeOf(x), 0), max: inElems(0), reshape: none, permute: none, expand: none, slice: none, pad: none, concat: none, split: none,
  matmul: matmulFlops,
  matmulBiasAct: (s) => matmulFlops(s) + 2 * sizeOf(s.outs[0]),
  matmulRowSum: (s) => matmulFlops(s) + sizeOf(s.ins[0]),
  matmulMaxPool2dBackward: (s) => matmulFlops({ ...s, outs: [s.ins[2]] }),
  im2colMatmul: (s) => matmulFlops({ ...s, attrs: s.attrs.mm }) + (s.attrs.base === "matmulBiasAct" ? 2 * sizeOf(s.outs[0]) : 0),
  im2col: none, col2im: inElems(0),
  maxPool2d: windowFlops, maxPool2dBackward: inElems(0), col2imMaxPool2dBackward: (s) => 2 * sizeOf(s.ins[0]), avgPool2d: windowFlops,
  avgPool2dBackward: ({ ins, attrs }) => sizeOf(ins[0]) * attrs.kernel[0] * attrs.kernel[1],
  gather: none, gatherBytes: (s) => 2 * sizeOf(s.outs[0]), scatterAdd: inElems(0),
  // max, exp, sum, log per logit; the backward: softmax and the label's −1
  softmaxCrossEntropy: (s) => 4 * sizeOf(s.ins[0]), softmaxCrossEntropyBackward: (s) => 4 * sizeOf(s.outs[0]), softmaxCrossEntropyWithGrad: (s) => 8 * sizeOf(s.ins[0]),
  dropout: perOut(3),
  // per hidden unit (B·H, the state's size): 3 sigmoids (3 each), 2 tanh, 3 multiply-adds
  lstmCell: (s) => 20 * sizeOf(s.ins[1]), lstmCellBackward: (s) => 30 * sizeOf(s.ins[1]),
  gruCell: (s) => 18 * sizeOf(s.ins[2]), gruCellBackward: (s) => 28 * sizeOf(s.ins[2]),
  // a layer direction: the hidden matmul of every step (2·T·B·G·H·H) and the cells (T·B·H of them)
  lstmSequence: (s) => seqFlops(s.outs[0], 4, 20), lstmSequenceBackward: (s) => seqFlops(s.ins[2], 4, 30),
  gruSequence: (s) => seqFlops(s.outs[0], 3, 18), gruSequenceBackward: (s) => seqFlops(s.ins[3], 3, 28),
  // m, v, bias corrections, sqrt, divide, update: about 12 per weight; SGD with momentum 3
  adamHyper: () => 8, adamUpdate: (s) => 12 * sizeOf(s.ins[0]), sgdUpdate: (s) => 3 * sizeOf(s.ins[0]),
  // the same per element, on the rows used only (n·D: the rows input)
  sparseSgdUpdate: (s) => 3 * sizeOf(s.ins[2]), sparseAdamUpdate: (s) => 12 * sizeOf(s.ins[4]),
  allFinite: ({ ins }) => ins.reduce((a, x) => a + sizeOf(x), 0),
  allFiniteHyper: ({ ins }) => ins.slice(0, -2).reduce((a, x) => a + sizeOf(x), 0),
  trainMeter: (s) => sizeOf(s.ins[2]),
  pack: none,
};

function gpuArgs(plan: Plan, step: PlanStep, device: DeviceCaps): GpuArgs<unknown> {
  const v = (id: number) => plan.values[id];
  return {
    inShapes: step.inputs.map((i) => [...v(i).shape]),
    outShapes: step.outputs.map((i) => [...v(i).shape]),
    inDtypes: step.inputs.map((i) => v(i).dtype),
    outDtypes: step.outputs.map((i) => v(i).dtype),
    attrs: step.attrs,
    device,
  };
}

/** Each step's dispatches, bytes and FLOPs on a device with these caps (steps without a kernel cost nothing). */
export function planCosts(plan: Plan, device: DeviceCaps): StepCost[] {
  return plan.steps.map((step, index) => {
    const args = gpuArgs(plan, step, device);
    const empty = args.outShapes.every((s) => sizeOf(s) === 0);
    const kp = empty || !step.op.webgpu ? { calls: [], scratch: [] } : step.op.webgpu(args);
    const bytesOf = (id: number) => sizeOf(plan.values[id].shape) * ELEMENT_BYTES[plan.values[id].dtype];
    let bytesRead = 0, bytesWritten = 0;
    const scratchSeen = new Set<number>();
    for (const call of kp.calls) {
      if (call.traffic) {
        bytesRead += call.traffic.read;
        bytesWritten += call.traffic.written;
        continue;
      }
      // a buffer bound twice (a placeholder for an unused binding) is moved once
      const distinct = [...new Map(call.bindings.map((b) => [JSON.stringify(b), b])).values()];
      for (const b of distinct) {
        if ("in" in b) bytesRead += bytesOf(step.inputs[b.in]);
        else if ("out" in b) bytesWritten += bytesOf(step.outputs[b.out]);
        else if ("scratch" in b) {
          const n = kp.scratch?.[b.scratch] ?? 0;
          if (scratchSeen.has(b.scratch)) bytesRead += n;
          else bytesWritten += n;
          scratchSeen.add(b.scratch);
        }
      }
    }
    const flops = kp.calls.length === 0 ? 0 : FLOPS[step.op.name]({ ins: args.inShapes, outs: args.outShapes, attrs: step.attrs });
    return { index, op: step.op.name, kernels: kp.calls.map((c) => c.name), dispatches: kp.calls.length, bytesRead, bytesWritten, flops };
  });
}

/** The roofline time of one step's kernels on `gpu`, ms. */
export function stepMs(c: StepCost, gpu: GpuSpec): number {
  if (c.dispatches === 0) return 0;
  const memory = (c.bytesRead + c.bytesWritten) / (gpu.bandwidthGBs * 1e9);
  const compute = c.flops / (gpu.fp32Tflops * 1e12);
  return c.dispatches * gpu.dispatchUs * 1e-3 + Math.max(memory, compute) * 1e3;
}

export interface PlanSummary {
  dispatches: number;
  bytesRead: number;
  bytesWritten: number;
  flops: number;
  /** Dispatches per op name, most first. */
  byOp: [string, number][];
}

export function summarize(costs: readonly StepCost[]): PlanSummary {
  const byOp = new Map<string, number>();
  for (const c of costs) if (c.dispatches > 0) byOp.set(c.op, (byOp.get(c.op) ?? 0) + c.dispatches);
  const total = (k: "dispatches" | "bytesRead" | "bytesWritten" | "flops") => costs.reduce((a, c) => a + c[k], 0);
  return {
    dispatches: total("dispatches"),
    bytesRead: total("bytesRead"),
    bytesWritten: total("bytesWritten"),
    flops: total("flops"),
    byOp: [...byOp].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])),
  };
}

/** The model's time for one run of the plan on `gpu`, with `reads` host round trips, ms. */
export function estimateMs(costs: readonly StepCost[], gpu: GpuSpec, reads: number): number {
  return costs.reduce((a, c) => a + stepMs(c, gpu), 0) + reads * HOST_READ_MS;
}

/** Bytes the plan needs on the device at its peak: its inputs, its outputs and its slots. */
export function deviceBytes(plan: Plan): number {
  const of = (kind: string) => plan.values.filter((v) => v.kind === kind).reduce((a, v) => a + v.bytes, 0);
  return of("input") + of("output") + plan.slotBytes.reduce((a, b) => a + b, 0);
}
