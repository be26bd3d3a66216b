/**
 * @file The CPU matmul's inner loop in WebAssembly SIMD, assembled here from its opcodes (a
 * few hundred bytes; no toolchain, no file to fetch). It computes the same thing as the
 * JavaScript loop in matmul_cpu.ts: for every 4×4 block of C, sixteen float64 sums of
 * A(i, p)·B(p, j), p in order, from operands packed into panels [block][p][4]. The sums are
 * held as eight f64x2 vectors, so each step does eight vector multiplies and eight vector adds
 * (no fused multiply-add: rounding stays that of a separate multiply and add), and every
 * result is bit for bit the JavaScript loop's. Where WebAssembly SIMD is missing the caller
 * keeps the JavaScript loop.
 *
 * Memory (one module, grown on demand): packed A at 0, packed B after it, then C as float64
 * rows of ⌈N/4⌉·4, which the caller rounds into its output.
 */

// ---- a minimal assembler: just the instructions the kernel uses ----------------------------
export const uleb = (n: number): number[] => {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
};
export const sleb = (n: number): number[] => {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) return [...out, b];
    out.push(b | 0x80);
  }
};
export const get = (l: number) => [0x20, ...uleb(l)];
export const set = (l: number) => [0x21, ...uleb(l)];
export const i32 = (n: number) => [0x41, ...sleb(n)];
export const [ADD, SUB, MUL, NE, LT_U] = [[0x6a], [0x6b], [0x6c], [0x47], [0x49]];
export const simd = (op: number, ...imm: number[]) => [0xfd, ...uleb(op), ...imm];
export const memarg = (alignLog2: number, offset: number) => [alignLog2, ...uleb(offset)];
export const V128_LOAD = (offset: number) => simd(0x00, ...memarg(4, offset));
const LOAD64_SPLAT = (offset: number) => simd(0x0a, ...memarg(3, offset));
export const V128_STORE = (offset: number) => simd(0x0b, ...memarg(4, offset));
export const V128_ZERO = simd(0x0c, ...new Array(16).fill(0));
const [F64X2_ADD, F64X2_MUL] = [simd(0xf0), simd(0xf2)];
export const LOAD32_SPLAT = (offset: number) => simd(0x09, ...memarg(2, offset));
export const [F32X4_ADD, F32X4_MUL] = [simd(0xe4), simd(0xe6)];
export const loop = (...body: number[][]) => [0x03, 0x40, ...body.flat(), 0x0b];
export const brIf = (depth: number) => [0x0d, ...uleb(depth)];

// locals: parameters, then i32 scratch, then v128 accumulators and operands
const [PA, PB, PC, MB, NB, K] = [0, 1, 2, 3, 4, 5];
const [IB, JB, P, APTR, BPTR, CPTR, ROW] = [6, 7, 8, 9, 10, 11, 12];
const ACC = (r: number, half: number) => 13 + 2 * r + half; // 13…20
const [B01, B23, AR] = [21, 22, 23];

/**
 * The block loops of the float64 gemm kernel (on the locals PA … ROW above; it is exported
 * for kernels of the same shape): for each block row ib and block column jb, zero the accumulators
 * (`zero`), point APTR and BPTR at the panels (`panel` bytes per p), run `pLoop` (k times),
 * point CPTR at C's block (rows of nBlocks·panel bytes) and `store`. The function's code, end included.
 */
export function blockLoops(panel: number, zero: number[][], pLoop: number[], store: number[]): number[] {
  const jbLoop = loop(
    ...zero,
    // aPtr = pa + ib·k·panel, bPtr = pb + jb·k·panel, p = k
    get(PA), get(IB), get(K), MUL, i32(panel), MUL, ADD, set(APTR),
    get(PB), get(JB), get(K), MUL, i32(panel), MUL, ADD, set(BPTR),
    get(K), set(P),
    pLoop,
    // cPtr = pc + ib·4·row + jb·panel
    get(PC), get(IB), i32(4), MUL, get(ROW), MUL, ADD, get(JB), i32(panel), MUL, ADD, set(CPTR),
    store,
    get(JB), i32(1), ADD, set(JB),
    get(JB), get(NB), LT_U, brIf(0),
  );
  const ibLoop = loop(i32(0), set(JB), jbLoop, get(IB), i32(1), ADD, set(IB), get(IB), get(MB), LT_U, brIf(0));
  // row = nBlocks·panel bytes; ib = 0
  return [...get(NB), ...i32(panel), ...MUL, ...set(ROW), ...i32(0), ...set(IB), ...ibLoop, 0x0b];
}

/** gemm(pa, pb, pc, mBlocks, nBlocks, k): C (rows of nBlocks·4 float64) = packed A · packed B, k ≥ 1. */
function kernelBody(): number[] {
  const rowsOfBlock = [0, 1, 2, 3];
  const fma = (r: number) => [
    ...get(APTR), ...LOAD64_SPLAT(8 * r), ...set(AR),
    ...[0, 1].flatMap((h) => [...get(ACC(r, h)), ...get(AR), ...get(h === 0 ? B01 : B23), ...F64X2_MUL, ...F64X2_ADD, ...set(ACC(r, h))]),
  ];
  const pLoop = loop(
    get(BPTR), V128_LOAD(0), set(B01),
    get(BPTR), V128_LOAD(16), set(B23),
    ...rowsOfBlock.map(fma),
    get(APTR), i32(32), ADD, set(APTR),
    get(BPTR), i32(32), ADD, set(BPTR),
    get(P), i32(1), SUB, set(P),
    get(P), i32(0), NE, brIf(0),
  );
  const store = rowsOfBlock.flatMap((r) => [
    ...get(CPTR), ...get(ACC(r, 0)), ...V128_STORE(0),
    ...get(CPTR), ...get(ACC(r, 1)), ...V128_STORE(16),
    ...get(CPTR), ...get(ROW), ...ADD, ...set(CPTR),
  ]);
  const code = blockLoops(32, Array.from({ length: 8 }, (_, a) => [...V128_ZERO, ...set(13 + a)]), pLoop, store);
  const locals = [0x02, 7, 0x7f, 11, 0x7b]; // 7 × i32, 11 × v128
  return [...uleb(locals.length + code.length), ...locals, ...code];
}

export function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

/** The module's bytes: imports memory "m.mem", exports "gemm" (float64 sums; the float32 kernel is in cpu_fast.ts's module). */
export function gemmModuleBytes(): Uint8Array<ArrayBuffer> {
  const type = section(1, [1, 0x60, 6, ...new Array(6).fill(0x7f), 0]);
  const imports = section(2, [1, 1, 0x6d, 3, 0x6d, 0x65, 0x6d, 0x02, 0x00, 0x01]); // "m"."mem", memory min 1
  const funcs = section(3, [1, 0]);
  const exports = section(7, [1, 4, 0x67, 0x65, 0x6d, 0x6d, 0x00, 0]); // "gemm" → func 0
  const code = section(10, [1, ...kernelBody()]);
  return new Uint8Array([0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0, ...type, ...imports, ...funcs, ...exports, ...code]);
}

/** A kernel's packed operands and C in its memory, and the call (one per element type). */
export interface PackedGemm<T extends Float32Array | Float64Array> {
  /** Views of packed A, packed B and C, at least the given lengths (valid until the next call). */
  buffers(aLen: number, bLen: number, cLen: number): [T, T, T];
  /** C = packed A · packed B for the buffers from the last `buffers` call. */
  run(mBlocks: number, nBlocks: number, k: number): void;
}
export type WasmGemm = PackedGemm<Float64Array>;

/** The module on a memory of its own, or null where WebAssembly SIMD is unavailable. */
function instantiate(): WasmGemm | null {
  const wasm = (globalThis as { WebAssembly?: typeof WebAssembly }).WebAssembly;
  if (!wasm) return null;
  try {
    const memory = new wasm.Memory({ initial: 1 });
    const gemm = new wasm.Instance(new wasm.Module(gemmModuleBytes()), { m: { mem: memory } }).exports.gemm as (pa: number, pb: number, pc: number, mb: number, nb: number, k: number) => void;
    const size = 8;
    let offsets = [0, 0, 0];
    return {
      buffers(aLen, bLen, cLen) {
        const bytes = size * (aLen + bLen + cLen);
        const have = memory.buffer.byteLength;
        if (bytes > have) memory.grow(Math.ceil((bytes - have) / 65536));
        offsets = [0, size * aLen, size * (aLen + bLen)];
        const buf = memory.buffer;
        return [new Float64Array(buf, offsets[0], aLen), new Float64Array(buf, offsets[1], bLen), new Float64Array(buf, offsets[2], cLen)];
      },
      run(mBlocks, nBlocks, k) {
        gemm(offsets[0], offsets[1], offsets[2], mBlocks, nBlocks, k);
      },
    };
  } catch {
    return null; // no SIMD (a CompileError): the JavaScript loop stays
  }
}

let instance: WasmGemm | null | undefined;

/** The float64 SIMD kernel, or null where WebAssembly SIMD is unavailable (the JavaScript loop is used). */
export function wasmGemm(): WasmGemm | null {
  if (instance === undefined) instance = instantiate();
  return instance;
}
