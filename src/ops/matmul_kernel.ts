/**
 * @file The matmul kernels, shared by matmul and the planner's matmulBiasAct.
 * Layout: C[z] (M×N, row-major) = A[z] (M×K) · B[z] (K×N), where A(i, p) is read at
 * aBase + aBatch(z) + i·sAi + p·sAp and B(p, j) at bBase + bBatch(z) + p·sBp + j·sBj, so a
 * transposed operand is only a swap of strides. A workgroup of 256 threads computes a BM×BN
 * tile of C (64×64, or 16×128 for few rows), each thread a TM×TN block; K advances BK at a
 * time through two workgroup-memory tiles (As[k][row], Bs[k][col]) loaded by all threads,
 * with a barrier before and after each use. Dispatch: (⌈N/BN⌉, ⌈M/BM⌉, batch·split).
 * Long K over few tiles is split (split-K) and the partial products summed. Accumulates in
 * f32. CPU twin: matmul.ts `cpu`.
 *
 * On a software adapter (SwiftShader runs WGSL on the CPU) workgroup memory is just more RAM
 * behind the same caches, and every barrier switches between the workgroup's invocations, so
 * the tiled kernel spends its time synchronising. There the "direct" kernel is used instead
 * (`DeviceCaps.matmul`, from the adapter):
 * no workgroup memory and no barriers, each invocation reading its rows of A and columns of B
 * straight from the buffers into a TM×TN block of unrolled accumulators. On SwiftShader it is
 * 8–15× faster than the tiled kernel (matmul 512: 2.46 s → 0.16 s).
 */
import { stridesOf } from "../shape.ts";
import type { BufferRef, DeviceCaps, KernelCall } from "./types.ts";
import { DeviceError } from "../errors.ts";
import { shaderCall } from "./shaders.ts";
import { coords, offset } from "./strided_kernels.ts";
import { declare, kernel1d } from "./wgsl.ts";

export interface MatmulLayout {
  m: number;
  n: number;
  k: number;
  /** Element strides of A(i, p) and B(p, j). */
  sAi: number; sAp: number; sBp: number; sBj: number;
  aBase?: number;
  bBase?: number;
  /** Output batch shape, and each operand's element stride per batch axis (0 = broadcast). */
  batch?: number[];
  aBatchStrides?: number[];
  bBatchStrides?: number[];
}

/** Tile shape: BM×BN outputs per workgroup, TM×TN per thread, K in steps of BK. */
interface Tiles {
  bm: number; bn: number; bk: number; tm: number; tn: number;
}

export type MatmulStrategy = DeviceCaps["matmul"];

/** 64×64 for large products; 16×128 when there are few rows (a conv's O output channels). */
function chooseTiles(m: number): Tiles {
  return m <= 16 ? { bm: 16, bn: 128, bk: 16, tm: 2, tn: 4 } : { bm: 64, bn: 64, bk: 16, tm: 4, tn: 4 };
}

/**
 * One dispatch computing C = A·B (batched) with the given tiles. With `split` > 1, workgroup
 * z = batch·split + s multiplies only K-chunk s and writes its partial product to
 * C[(z)·M·N …]: the caller sums the `split` partials (see `matmulPlan`).
 */
/**
 * Fused epilogue: C = act(A·B + bias[j]), or bias[i] with `rows` (a convolution's channels).
 * `act` is the activation's WGSL expression in `x` (the elementwise table's), and `actFn` the
 * same as a function `fn act(x: f32) -> f32` for the kernels still generated here.
 */
export interface Epilogue {
  bias: BufferRef;
  act: string;
  actFn: string;
  rows?: boolean;
}

/** The storage buffers of both kernels: A, B, C and the epilogue's bias. */
function operandDecls(ep?: Epilogue) {
  const decl = [{ name: "A", type: "f32" }, { name: "B", type: "f32" }, { name: "C", type: "f32", write: true }];
  if (ep) decl.push({ name: "bias", type: "f32" });
  return decl;
}

/**
 * WGSL shared by both kernels: which batch matrix and K-chunk workgroup z computes (z =
 * batch·split + s), the operands' offsets for it, and where its C (or partial) starts.
 */
function prologue(L: MatmulLayout, split: number, kChunk: number): string {
  return `  let z = wg.z / ${split}u;
  let kBegin = (wg.z % ${split}u) * ${kChunk}u;
  let kEnd = min(kBegin + ${kChunk}u, ${L.k}u);
${coords(L.batch ?? [], "z", "b")}
  let aOff = ${offset(L.aBatchStrides ?? [], L.aBase ?? 0, "b")};
  let bOff = ${offset(L.bBatchStrides ?? [], L.bBase ?? 0, "b")};
  let cOff = wg.z * ${L.m * L.n}u;`;
}

function matmulKernel(name: string, strategy: MatmulStrategy, L: MatmulLayout, t: Tiles, bindings: BufferRef[], split: number, ep?: Epilogue): KernelCall {
  if (strategy === "direct") return directKernel(name, L, bindings, split, ep);
  const batchCount = (L.batch ?? []).reduce((x, y) => x * y, 1);
  const wx = t.bn / t.tn;
  const wy = t.bm / t.tm;
  const threads = wx * wy;
  const constants = {
    ...layoutConstants(L, split, Math.ceil(L.k / split / t.bk) * t.bk, ep),
    BM: t.bm, BN: t.bn, BK: t.bk, WX: wx, WY: wy,
    ALOADS: Math.ceil((t.bm * t.bk) / threads), BLOADS: Math.ceil((t.bk * t.bn) / threads),
  };
  const workgroups: [number, number, number] = [Math.max(1, Math.ceil(L.n / t.bn)), Math.max(1, Math.ceil(L.m / t.bm)), Math.max(1, batchCount) * split];
  // without an epilogue A is bound as the (never read) bias: the shader has one binding layout
  return shaderCall(name, "matmul_tiled", [...bindings, ep ? ep.bias : bindings[0]], constants, { workgroups }, { tokens: { TM: t.tm, TN: t.tn, ACT: ep?.act ?? "x" } });
}

/** The override constants of lib/matmul_overrides.wgsl for a layout, split and epilogue. */
function layoutConstants(L: MatmulLayout, split: number, kChunk: number, ep?: Epilogue): Record<string, number> {
  const batch = L.batch ?? [];
  if (batch.length > 4) throw new DeviceError(`matmul: ${batch.length} batch axes; the WebGPU kernels take at most 4 (reshape the leading axes together)`);
  const lead = 4 - batch.length;
  const c: Record<string, number> = {
    M: L.m, N: L.n, K: L.k, SAI: L.sAi, SAP: L.sAp, SBP: L.sBp, SBJ: L.sBj,
    A_BASE: L.aBase ?? 0, B_BASE: L.bBase ?? 0, SPLIT: split, KCHUNK: kChunk, EPI: ep ? (ep.rows ? 2 : 1) : 0,
  };
  batch.forEach((d, k) => {
    c[`BD${lead + k}`] = d;
    c[`ABS${lead + k}`] = L.aBatchStrides?.[k] ?? 0;
    c[`BBS${lead + k}`] = L.bBatchStrides?.[k] ?? 0;
  });
  return c;
}

/**
 * The barrier-free kernel: each invocation computes a TM×TN block of C in unrolled
 * accumulators (see `directTiles`). Loads past the edge are clamped to the last row or
 * column (always in bounds) and their products never stored. Split-K and the epilogue
 * behave as in the tiled kernel.
 */
function directKernel(name: string, L: MatmulLayout, bindings: BufferRef[], split: number, ep?: Epilogue): KernelCall {
  const [tm, tn, wx, wy] = directTiles(L.m, L.n);
  const batch = L.batch ?? [];
  const batchCount = batch.reduce((x, y) => x * y, 1);
  const kChunk = Math.ceil(L.k / split);
  const decl = operandDecls(ep);
  const xs = [...Array(tm).keys()], ys = [...Array(tn).keys()];
  const each = (f: (x: number, y: number) => string) => xs.flatMap((x) => ys.map((y) => f(x, y)));
  const code = `${declare(decl)}
${ep ? ep.actFn : ""}
@compute @workgroup_size(${wx}, ${wy})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
${prologue(L, split, kChunk)}
  let i0 = (wg.y * ${wy}u + lid.y) * ${tm}u;
  let j0 = (wg.x * ${wx}u + lid.x) * ${tn}u;
${xs.map((x) => `  let ra${x} = aOff + min(i0 + ${x}u, ${L.m - 1}u) * ${L.sAi}u;`).join("\n")}
${ys.map((y) => `  let cb${y} = bOff + min(j0 + ${y}u, ${L.n - 1}u) * ${L.sBj}u;`).join("\n")}
${each((x, y) => `  var c${x}_${y} = 0.0;`).join("\n")}
  for (var p = kBegin; p < kEnd; p++) {
${xs.map((x) => `    let a${x} = A[ra${x} + p * ${L.sAp}u];`).join("\n")}
${ys.map((y) => `    let b${y} = B[cb${y} + p * ${L.sBp}u];`).join("\n")}
${each((x, y) => `    c${x}_${y} += a${x} * b${y};`).join("\n")}
  }
${each((x, y) => `  if (i0 + ${x}u < ${L.m}u && j0 + ${y}u < ${L.n}u) { C[cOff + (i0 + ${x}u) * ${L.n}u + j0 + ${y}u] = ${ep ? `act(c${x}_${y} + bias[${ep.rows ? `i0 + ${x}u` : `j0 + ${y}u`}])` : `c${x}_${y}`}; }`).join("\n")}
}`;
  return { name, code, bindings: ep ? [...bindings, ep.bias] : bindings, workgroups: [Math.max(1, Math.ceil(L.n / (wx * tn))), Math.max(1, Math.ceil(L.m / (wy * tm))), Math.max(1, batchCount) * split] };
}

/**
 * [TM, TN, WX, WY] for the direct kernel: 8×8 blocks when both sides are ≥ 32 and there are
 * at least 128 of them (an LSTM's [64, 128]·[128, 512] gates and its [64, 512]·[512, 128]
 * hidden-state gradient: 8 loads per 64 products, not 8 per 16; on SwiftShader the gates run
 * 15–30 % faster, the gradient about 2×), 4×4 otherwise,
 * and a matrix with few rows (a convolution's output channels) gets all of them in one block
 * and a row of 64 invocations, so no invocation computes rows that do not exist.
 */
export function directTiles(m: number, n: number): [number, number, number, number] {
  const big = m >= 32 && n >= 32 && m * n >= 128 * 64;
  const tm = m <= 8 ? m : big ? 8 : 4;
  const tn = n <= 4 ? n : big ? 8 : 4;
  const wy = Math.min(8, Math.ceil(m / tm));
  // as few workgroups across as 64 invocations allow, each as narrow as covers the columns:
  // 196 column blocks take 4 workgroups of 49, not 4 of 64 with 60 idle
  const blocks = Math.ceil(n / tn);
  const wx = Math.max(1, Math.ceil(blocks / Math.ceil(blocks / Math.floor(64 / wy))));
  return [tm, tn, wx, wy];
}

/** Dispatches for a matmul, and the scratch it needs (appended after the caller's scratch). */
export interface MatmulPlan {
  calls: KernelCall[];
  scratch: number[];
}

/**
 * C = A·B. A product with too few output tiles for its K (a few outputs over a long sum, such
 * as [8, 3000]·[3000, 5]) is split along K so enough workgroups run: partial products go to a
 * scratch buffer [batch, split, M, N], summed into C by a second kernel.
 * `firstScratch` is the index the split buffer gets among the step's scratch buffers.
 */
export function matmulPlan(name: string, strategy: MatmulStrategy, L: MatmulLayout, bindings: [a: BufferRef, b: BufferRef, c: BufferRef], firstScratch: number, ep?: Epilogue): MatmulPlan {
  const t = chooseTiles(L.m);
  const batchCount = (L.batch ?? []).reduce((x, y) => x * y, 1);
  const tiles = Math.ceil(L.m / t.bm) * Math.ceil(L.n / t.bn) * batchCount;
  const split = Math.max(1, Math.min(Math.floor(L.k / 512), Math.ceil(64 / tiles), 64));
  if (split === 1) return { calls: [matmulKernel(name, strategy, L, t, bindings, 1, ep)], scratch: [] };
  const parts: BufferRef = { scratch: firstScratch };
  const sum = sumPartials(`${name}/split-k sum`, batchCount, split, parts, bindings[2], L.m, L.n, ep);
  return { calls: [matmulKernel(name, strategy, L, t, [bindings[0], bindings[1], parts], split), sum], scratch: [batchCount * L.m * L.n * split * 4] };
}

/**
 * The split-K sum (shaders/matmul_split_sum.wgsl): C[b, e] = Σₖ P[b, k, e] for partials laid out
 * [batch, parts, size] (z = b·parts + k), with the epilogue act(· + bias) (bias per column, or
 * per row with `rows`).
 */
function sumPartials(name: string, batch: number, parts: number, P: BufferRef, C: BufferRef, m: number, n: number, ep?: Epilogue): KernelCall {
  const constants = { T: batch * m * n, M: m, N: n, PARTS: parts, EPI: ep ? (ep.rows ? 2 : 1) : 0 };
  return shaderCall(name, "matmul_split_sum", [P, C, ep ? ep.bias : P], constants, { threads: batch * m * n }, { tokens: { ACT: ep?.act ?? "x" } });
}

/** Element strides of each operand's batch axes over the broadcast batch shape. */
export function batchStrides(operandShape: readonly number[], batch: readonly number[], matrixSize: number): number[] {
  const own = operandShape.slice(0, -2);
  const st = stridesOf(own).map((s) => s * matrixSize);
  const lead = batch.length - own.length;
  return batch.map((_, d) => (d < lead || own[d - lead] === 1 ? 0 : st[d - lead]));
}
