/**
 * @file The matmul kernels (shaders/matmul_tiled.wgsl, matmul_direct.wgsl, matmul_split_sum.wgsl)
 * and how they are dispatched, shared by matmul and the planner's matmulBiasAct.
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
  /**
   * B is a convolution's column matrices read from its image (im2colMatmul; the tiled kernel
   * only): lib/matmul_tile_b_im2col's IC_* constants. B's batch strides are then the image's.
   */
  bIm2col?: Record<string, number>;
}

/** Tile shape: BM×BN outputs per workgroup, TM×TN per thread, K in steps of BK. */
interface Tiles {
  bm: number; bn: number; bk: number; tm: number; tn: number;
}

export type MatmulStrategy = DeviceCaps["matmul"];

/** 64×64 for most products; 16×128 when there are few rows (a conv's O output channels). */
function defaultTiles(m: number): Tiles {
  return m <= 16 ? { bm: 16, bn: 128, bk: 16, tm: 2, tn: 4 } : { bm: 64, bn: 64, bk: 16, tm: 4, tn: 4 };
}

/** Bytes of workgroup memory a tile shape needs (As and Bs, each row padded by one word). */
const tileStorage = (t: Tiles) => 4 * t.bk * (t.bm + 1 + t.bn + 1);

/**
 * The tiles for a product on a device with these limits: 128×128 tiles of 8×8 blocks (256
 * invocations, 8 KiB) for products of at least 1024×1024, where each loaded element then
 * serves twice the multiply-adds (the usual shape for large GEMMs on GPUs: CUTLASS's and
 * tfjs-webgpu's large tiles); the default tiles otherwise; 32×32 tiles of 64 invocations
 * where a device allows fewer than 256 invocations or too little workgroup memory (WebGPU
 * compatibility mode). The split-K decision stays on the default tiles (`splitOf`), so the
 * planner's view of which products split does not depend on the device.
 */
function chooseTiles(L: MatmulLayout, limits = { invocations: 256, workgroupStorage: 16384 }): Tiles {
  const fits = (t: Tiles) => (t.bm / t.tm) * (t.bn / t.tn) <= limits.invocations && tileStorage(t) <= limits.workgroupStorage;
  const big: Tiles = { bm: 128, bn: 128, bk: 8, tm: 8, tn: 8 };
  if (L.m >= 1024 && L.n >= 1024 && fits(big)) return big;
  const t = defaultTiles(L.m);
  return fits(t) ? t : { bm: 32, bn: 32, bk: 16, tm: 4, tn: 4 };
}

/**
 * One dispatch computing C = A·B (batched) with the given tiles. With `split` > 1, workgroup
 * z = batch·split + s multiplies only K-chunk s and writes its partial product to
 * C[(z)·M·N …]: the caller sums the `split` partials (see `matmulPlan`).
 */
/**
 * Fused epilogue: C = act(A·B + bias[j]), or bias[i] with `rows` (a convolution's channels);
 * `act` is the activation's WGSL expression in `x` (the elementwise table's; "x" for none).
 */
export interface Epilogue {
  /** The bias, or with `mask` the ReLU output y [M, N] whose y > 0 keeps an element; none: C = A·B. */
  bias?: BufferRef;
  /** matmulRowSum: where D = A's row sums go (unbatched, unsplit products only). */
  rowSum?: BufferRef;
  act: string;
  rows?: boolean;
  mask?: boolean;
  /**
   * matmulMaxPool2dBackward: C is stored as the pooled gradient of a max-pool whose windows
   * tile the plane (lib/matmul_store): the argmax, the ReLU output (`x`, when masked), and
   * the pooling's override constants. Unbatched, unsplit products only.
   */
  pool?: { arg: BufferRef; x: BufferRef | null; constants: Record<string, number> };
}

/** The EPI override of an epilogue (lib/act.wgsl). */
const epiOf = (ep?: Epilogue) => (!ep?.bias ? 0 : ep.mask ? 3 : ep.rows ? 2 : 1);

/** The bindings after A, B, C: the bias (A again where there is none: never read), then D or the pooling's. */
const extraBindings = (bindings: BufferRef[], ep?: Epilogue): BufferRef[] => [
  ep?.bias ?? bindings[0],
  ...(ep?.rowSum ? [ep.rowSum] : []),
  ...(ep?.pool ? [ep.pool.arg, ep.pool.x ?? bindings[0]] : []),
];

/** The `//#each` counts and tokens of lib/matmul_store for an epilogue. */
const storeVariant = (ep?: Epilogue): { each: Record<string, number>; tokens: Record<string, string> } => ({
  each: { POOL: ep?.pool ? 1 : 0, PLAIN: ep?.pool ? 0 : 1 },
  tokens: ep?.pool ? { PX: "pool_x", DX: "C" } : {},
});

function matmulKernel(name: string, strategy: MatmulStrategy, L: MatmulLayout, t: Tiles, bindings: BufferRef[], split: number, ep?: Epilogue): KernelCall {
  if (strategy === "direct") {
    if (L.bIm2col) throw new DeviceError(`${name}: the direct kernel reads B from a buffer; build the columns first (im2colMatmul does on software adapters)`);
    return directKernel(name, L, bindings, split, ep);
  }
  const batchCount = (L.batch ?? []).reduce((x, y) => x * y, 1);
  const wx = t.bn / t.tn;
  const wy = t.bm / t.tm;
  const threads = wx * wy;
  const [va, vb] = vec4Loads(L);
  const constants = {
    ...layoutConstants(L, split, Math.ceil(L.k / split / t.bk) * t.bk, ep),
    BM: t.bm, BN: t.bn, BK: t.bk, WX: wx, WY: wy,
    ALOADS: Math.ceil((t.bm * t.bk) / (va ? 4 : 1) / threads), BLOADS: Math.ceil((t.bk * t.bn) / (vb ? 4 : 1) / threads),
    // load along the operand's unit stride: M for a transposed A, K for a transposed B
    A_ALONG_M: L.sAi === 1 && L.sAp !== 1 ? 1 : 0, B_ALONG_K: L.sBp === 1 && L.sBj !== 1 ? 1 : 0,
    ...L.bIm2col,
  };
  const workgroups: [number, number, number] = [Math.max(1, Math.ceil(L.n / t.bn)), Math.max(1, Math.ceil(L.m / t.bm)), Math.max(1, batchCount) * split];
  // without an epilogue A is bound as the (never read) bias: the shader has one binding layout
  const store = storeVariant(ep);
  const tokens = { TM: t.tm, TN: t.tn, ACT: ep?.act ?? "x", AT: va ? "vec4<f32>" : "f32", BT: vb ? "vec4<f32>" : "f32", ...store.tokens };
  const bi = L.bIm2col ? 1 : 0;
  const each = { R: ep?.rowSum ? 1 : 0, AS: va ? 0 : 1, AV: va ? 1 : 0, BS: vb || bi ? 0 : 1, BV: vb ? 1 : 0, BI: bi, BL: vb ? 0 : 1, ...store.each };
  return shaderCall(name, "matmul_tiled", [...bindings, ...extraBindings(bindings, ep)], constants, { workgroups }, { tokens, each });
}

/**
 * Whether the tiled kernel can read A and B four elements a load: along the operand's unit
 * stride (as the scalar loads go), when that axis' length, the other stride, the base and
 * every batch stride are multiples of 4, so a vec4 is 16-byte aligned and never straddles an
 * edge, a row or a K-chunk (chunks are multiples of BK). Columns read from an image never are.
 */
export function vec4Loads(L: MatmulLayout): [a: boolean, b: boolean] {
  const fits = (unit: number, other: number, len: number, base: number, batch: readonly number[]) =>
    unit === 1 && other !== 1 && [other, len, base, ...batch].every((v) => v % 4 === 0);
  const aAlongM = L.sAi === 1 && L.sAp !== 1;
  const bAlongK = L.sBp === 1 && L.sBj !== 1;
  return [
    aAlongM ? fits(L.sAi, L.sAp, L.m, L.aBase ?? 0, L.aBatchStrides ?? []) : fits(L.sAp, L.sAi, L.k, L.aBase ?? 0, L.aBatchStrides ?? []),
    !L.bIm2col && (bAlongK ? fits(L.sBp, L.sBj, L.k, L.bBase ?? 0, L.bBatchStrides ?? []) : fits(L.sBj, L.sBp, L.n, L.bBase ?? 0, L.bBatchStrides ?? [])),
  ];
}

/** The override constants of lib/matmul_overrides.wgsl for a layout, split and epilogue. */
function layoutConstants(L: MatmulLayout, split: number, kChunk: number, ep?: Epilogue): Record<string, number> {
  const batch = L.batch ?? [];
  if (batch.length > 4) throw new DeviceError(`matmul: ${batch.length} batch axes; the WebGPU kernels take at most 4 (reshape the leading axes together)`);
  const lead = 4 - batch.length;
  const c: Record<string, number> = {
    M: L.m, N: L.n, K: L.k, SAI: L.sAi, SAP: L.sAp, SBP: L.sBp, SBJ: L.sBj,
    A_BASE: L.aBase ?? 0, B_BASE: L.bBase ?? 0, SPLIT: split, KCHUNK: kChunk, EPI: epiOf(ep),
    ...(ep?.pool ? { ...ep.pool.constants, MASK: ep.pool.x ? 1 : 0 } : {}),
  };
  batch.forEach((d, k) => {
    c[`BD${lead + k}`] = d;
    c[`ABS${lead + k}`] = L.aBatchStrides?.[k] ?? 0;
    c[`BBS${lead + k}`] = L.bBatchStrides?.[k] ?? 0;
  });
  return c;
}

/**
 * The barrier-free kernel for software adapters (shaders/matmul_direct.wgsl): each invocation
 * computes a TM×TN block of C (see `directTiles`). Split-K and the epilogue behave as in the
 * tiled kernel.
 */
function directKernel(name: string, L: MatmulLayout, bindings: BufferRef[], split: number, ep?: Epilogue): KernelCall {
  const [tm, tn, wx, wy] = directTiles(L.m, L.n);
  const batchCount = (L.batch ?? []).reduce((x, y) => x * y, 1);
  const constants = { ...layoutConstants(L, split, Math.ceil(L.k / split), ep), WX: wx, WY: wy };
  const workgroups: [number, number, number] = [Math.max(1, Math.ceil(L.n / (wx * tn))), Math.max(1, Math.ceil(L.m / (wy * tm))), Math.max(1, batchCount) * split];
  const store = storeVariant(ep);
  const variant = { tokens: { TM: tm, TN: tn, ACT: ep?.act ?? "x", AT: "f32", BT: "f32", ...store.tokens }, each: { X: tm, Y: tn, R: ep?.rowSum ? 1 : 0, ...store.each } };
  return shaderCall(name, "matmul_direct", [...bindings, ...extraBindings(bindings, ep)], constants, { workgroups }, variant);
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
export function matmulPlan(name: string, device: Pick<DeviceCaps, "matmul" | "limits">, L: MatmulLayout, bindings: [a: BufferRef, b: BufferRef, c: BufferRef], firstScratch: number, ep?: Epilogue): MatmulPlan {
  const strategy = device.matmul;
  const t = chooseTiles(L, device.limits);
  const batchCount = (L.batch ?? []).reduce((x, y) => x * y, 1);
  const split = splitOf(L);
  if (split === 1) return { calls: [matmulKernel(name, strategy, L, t, bindings, 1, ep)], scratch: [] };
  if (ep?.rowSum || ep?.pool) throw new DeviceError(`${name}: ${ep.pool ? "the pooled store needs" : "the row sums need"} an unsplit product (K = ${L.k} is split ${split} ways); the planner fuses only unsplit ones`);
  const parts: BufferRef = { scratch: firstScratch };
  const sum = sumPartials(`${name}/split-k sum`, batchCount, split, parts, bindings[2], L.m, L.n, ep);
  return { calls: [matmulKernel(name, strategy, L, t, [bindings[0], bindings[1], parts], split), sum], scratch: [batchCount * L.m * L.n * split * 4] };
}

/** How many K-chunks a product is split into (1: none); the planner asks before fusing row sums. */
export function splitOf(L: MatmulLayout): number {
  const t = defaultTiles(L.m);
  const batchCount = (L.batch ?? []).reduce((x, y) => x * y, 1);
  const tiles = Math.ceil(L.m / t.bm) * Math.ceil(L.n / t.bn) * batchCount;
  return Math.max(1, Math.min(Math.floor(L.k / 512), Math.ceil(64 / tiles), 64));
}

/**
 * The split-K sum (shaders/matmul_split_sum.wgsl): C[b, e] = Σₖ P[b, k, e] for partials laid out
 * [batch, parts, size] (z = b·parts + k), with the epilogue act(· + bias) (bias per column, or
 * per row with `rows`).
 */
function sumPartials(name: string, batch: number, parts: number, P: BufferRef, C: BufferRef, m: number, n: number, ep?: Epilogue): KernelCall {
  const constants = { T: batch * m * n, M: m, N: n, PARTS: parts, EPI: epiOf(ep) };
  return shaderCall(name, "matmul_split_sum", [P, C, ep?.bias ?? P], constants, { threads: batch * m * n }, { tokens: { ACT: ep?.act ?? "x" } });
}

/** Element strides of each operand's batch axes over the broadcast batch shape. */
export function batchStrides(operandShape: readonly number[], batch: readonly number[], matrixSize: number): number[] {
  const own = operandShape.slice(0, -2);
  const st = stridesOf(own).map((s) => s * matrixSize);
  const lead = batch.length - own.length;
  return batch.map((_, d) => (d < lead || own[d - lead] === 1 ? 0 : st[d - lead]));
}
