/**
 * @file The CPU backend's fast mode (`setBackend("cpu", { mode: "fast" })`): float32 kernels in
 * WebAssembly that work on copies of their operands in the module's own memory. In V8 a
 * JavaScript loop over a Float32Array costs about 3 ns an element (each element is widened to
 * float64 and rounded back); copying an array into WebAssembly memory costs about 0.2 ns, and
 * the loops there run at about 1 ns, or less with SIMD. So each fast kernel copies its inputs
 * in, runs, and copies its outputs out, and the JavaScript loops that remain are O(outputs).
 *
 * One module, assembled here (matmul_wasm.ts's assembler), on one memory:
 * - `gemm`: a float32 f32x4 kernel over operands packed in panels of four rows.
 * - `gather(dst, src, idx, n, zero)`: dst[i] = src[idx[i]], or 0 where idx[i] < 0. With an
 *   index table made once per shape (cached) it is the matmul's packing of any strided operand
 *   into panels, and im2col.
 * - `scatter(dst, src, idx, n, dummy)`: dst[idx[i]] += src[i] where idx[i] ≥ 0, i in order:
 *   col2im (float32 sums, in the reference's order).
 * - `unpack(dst, pc, row, m, n, bias, bRow, bCol, relu)`: the product's padded rows into
 *   [m][n], adding a bias (per row or per column) and applying ReLU (matmulBiasAct's epilogue).
 * Results stay within the tolerances the WebGPU kernels meet (float32 sums); gather and
 * im2col are exact copies. Where WebAssembly SIMD is missing, `fastKernels()` is null and the
 * reference loops run.
 */
import { ADD, F32X4_ADD, F32X4_MUL, LOAD32_SPLAT, LT_U, MUL, NE, SUB, V128_LOAD, V128_STORE, V128_ZERO, brIf, get, i32, loop, memarg, section, set, simd, uleb } from "./matmul_wasm.ts";

const [SHL, LT_S, OR, SELECT] = [[0x74], [0x48], [0x72], [0x1b]];
const I32_LOAD = [0x28, ...memarg(2, 0)];
const F32_LOAD = [0x2a, ...memarg(2, 0)];
const F32_STORE = [0x38, ...memarg(2, 0)];
const [F32_ADD, F32_GT, F32_NE] = [[0x92], [0x5e], [0x5c]];
const F32X4_MAX = simd(0xe9);
const tee = (l: number) => [0x22, ...uleb(l)];

/** A function body from its code and its extra i32 locals. */
function body(i32Locals: number, code: number[][]): number[] {
  const locals = i32Locals > 0 ? [0x01, ...uleb(i32Locals), 0x7f] : [0x00];
  const bytes = [...locals, ...code.flat(), 0x0b];
  return [...uleb(bytes.length), ...bytes];
}

/** Advances local `l` by `step` bytes. */
const bump = (l: number, step: number[]) => [...get(l), ...step, ...ADD, ...set(l)];
/** Decrements the counter `l` and loops while it is not zero. */
const countDown = (l: number) => [...get(l), ...i32(1), ...SUB, ...tee(l), ...i32(0), ...NE, ...brIf(0)];

/**
 * gemm(pa, pb, pc, mBlocks, nBlocks, k), k ≥ 1: C (rows of nBlocks·4 float32 at pc) = A · B
 * from operands packed in panels [block][p][4], a 4×4 block of C as four f32x4 sums (a row of
 * the block each), one vector multiply and add per row and p: float32 sums, p in order, no
 * fused multiply-add. (Reading an unpacked B in place, stepping a row per p, was tried: no
 * faster for LeNet-5's products, 4× slower at 1024, where the panels stay in cache.)
 */
function gemmBody(): number[] {
  const [PA, PB, PC, MB, NB, K] = [0, 1, 2, 3, 4, 5];
  const [IB, JB, P, APTR, BPTR, CPTR, ROW] = [6, 7, 8, 9, 10, 11, 12];
  const [ACC, BV, AV] = [(r: number) => 13 + r, 17, 18];
  const rowsOfBlock = [0, 1, 2, 3];
  const pLoop = loop(
    get(BPTR), V128_LOAD(0), set(BV),
    ...rowsOfBlock.map((r) => [...get(ACC(r)), ...get(APTR), ...LOAD32_SPLAT(4 * r), ...set(AV), ...get(AV), ...get(BV), ...F32X4_MUL, ...F32X4_ADD, ...set(ACC(r))]),
    bump(APTR, i32(16)), bump(BPTR, i32(16)), countDown(P),
  );
  const store = rowsOfBlock.flatMap((r) => [...get(CPTR), ...get(ACC(r)), ...V128_STORE(0), ...bump(CPTR, get(ROW))]);
  const jbLoop = loop(
    ...rowsOfBlock.map((r) => [...V128_ZERO, ...set(ACC(r))]),
    // aPtr = pa + ib·k·16, bPtr = pb + jb·k·16, p = k
    get(PA), get(IB), get(K), MUL, i32(16), MUL, ADD, set(APTR),
    get(PB), get(JB), get(K), MUL, i32(16), MUL, ADD, set(BPTR),
    get(K), set(P),
    pLoop,
    // cPtr = pc + ib·4·row + jb·16
    get(PC), get(IB), i32(4), MUL, get(ROW), MUL, ADD, get(JB), i32(16), MUL, ADD, set(CPTR),
    store,
    get(JB), i32(1), ADD, set(JB),
    get(JB), get(NB), LT_U, brIf(0),
  );
  const ibLoop = loop(i32(0), set(JB), jbLoop, get(IB), i32(1), ADD, set(IB), get(IB), get(MB), LT_U, brIf(0));
  // row = nBlocks·16 bytes; ib = 0
  const code = [...get(NB), ...i32(16), ...MUL, ...set(ROW), ...i32(0), ...set(IB), ...ibLoop, 0x0b];
  const locals = [0x02, 7, 0x7f, 6, 0x7b]; // 7 × i32, 6 × v128
  return [...uleb(locals.length + code.length), ...locals, ...code];
}

/** gather(dst, src, idx, n, zero), n ≥ 1: dst[i] = f32 at (idx[i] < 0 ? zero : src + 4·idx[i]). */
function gatherBody(): number[] {
  const [DST, SRC, IDX, N, ZERO, J] = [0, 1, 2, 3, 4, 5];
  return body(1, [loop(
    get(IDX), I32_LOAD, set(J),
    get(DST),
    get(ZERO), get(SRC), get(J), i32(2), SHL, ADD, get(J), i32(0), LT_S, SELECT, F32_LOAD,
    F32_STORE,
    bump(DST, i32(4)), bump(IDX, i32(4)), countDown(N),
  )]);
}

/** scatter(dst, src, idx, n, dummy), n ≥ 1: the f32 at (idx[i] < 0 ? dummy : dst + 4·idx[i]) += src[i], i in order. */
function scatterBody(): number[] {
  const [DST, SRC, IDX, N, DUMMY, J, AT] = [0, 1, 2, 3, 4, 5, 6];
  return body(2, [loop(
    get(IDX), I32_LOAD, set(J),
    get(DUMMY), get(DST), get(J), i32(2), SHL, ADD, get(J), i32(0), LT_S, SELECT, set(AT),
    get(AT), get(AT), F32_LOAD, get(SRC), F32_LOAD, F32_ADD, F32_STORE,
    bump(SRC, i32(4)), bump(IDX, i32(4)), countDown(N),
  )]);
}

/**
 * pack4(dst, src, nBlocks, k, sP), k, nBlocks ≥ 1: panels [block][p][4] of an operand whose four
 * rows of a block are adjacent (B's columns): the f32x4 at src + p·sP + 16·block, p outer. The
 * last block's extra lanes read past the operand's width (the caller leaves slack) and only
 * ever reach the product's dropped columns.
 */
function pack4Body(): number[] {
  const [DST, SRC, NB, K, SP, BLK, S, D, P, STEP] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  return body(5, [
    get(K), set(P), get(K), i32(16), MUL, set(STEP),
    loop(
      get(NB), set(BLK), get(SRC), set(S), get(DST), set(D),
      loop(
        get(D), get(S), V128_LOAD(0), V128_STORE(0),
        bump(S, i32(16)), bump(D, get(STEP)), countDown(BLK),
      ),
      bump(SRC, get(SP)), bump(DST, i32(16)), countDown(P),
    ),
  ]);
}

/**
 * unpack(dst, pc, row, m, nBlocks, outRow, bias, bRow, floor), m, nBlocks ≥ 1: the product's m
 * padded rows (`row` bytes apart) to dst, `outRow` bytes apart, as f32x4 max(c + bias, floor):
 * bias row i at bias + i·bRow (0: one row for all), floor a splat of 0 (ReLU, whose rule
 * max keeps: NaN stays NaN, −0 becomes 0) or −∞ (none). Each row's last vector spills up to
 * three values into the next row's start, which that row then writes (the caller leaves slack
 * after the last).
 */
function unpackBody(): number[] {
  const [DST, PC, ROW, M, NB, OUTROW, BIAS, BROW, FLOOR, J, CP, BP, D, FL] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13];
  const code = [
    get(FLOOR), V128_LOAD(0), set(FL),
    loop(
      get(NB), set(J), get(PC), set(CP), get(BIAS), set(BP), get(DST), set(D),
      loop(
        get(D), get(CP), V128_LOAD(0), get(BP), V128_LOAD(0), F32X4_ADD, get(FL), F32X4_MAX, V128_STORE(0),
        bump(D, i32(16)), bump(CP, i32(16)), bump(BP, i32(16)), countDown(J),
      ),
      bump(DST, get(OUTROW)), bump(PC, get(ROW)), bump(BIAS, get(BROW)), countDown(M),
    ),
  ];
  const locals = [0x02, 4, 0x7f, 1, 0x7b]; // J, CP, BP, D: i32; FL: v128
  const bytes = [...locals, ...code.flat(), 0x0b];
  return [...uleb(bytes.length), ...bytes];
}

/** The module's bytes: imports memory "m"."mem"; exports gemm, gather, scatter, unpack, pack4. */
export function fastModuleBytes(): Uint8Array<ArrayBuffer> {
  const fnType = (params: number) => [0x60, params, ...new Array(params).fill(0x7f), 0];
  const type = section(1, [3, ...fnType(6), ...fnType(5), ...fnType(9)]);
  const imports = section(2, [1, 1, 0x6d, 3, 0x6d, 0x65, 0x6d, 0x02, 0x00, 0x01]);
  const funcs = section(3, [5, 0, 1, 1, 2, 1]);
  const name = (s: string, f: number) => [s.length, ...[...s].map((ch) => ch.charCodeAt(0)), 0x00, f];
  const exports = section(7, [5, ...name("gemm", 0), ...name("gather", 1), ...name("scatter", 2), ...name("unpack", 3), ...name("pack4", 4)]);
  const code = section(10, [5, ...gemmBody(), ...gatherBody(), ...scatterBody(), ...unpackBody(), ...pack4Body()]);
  return new Uint8Array([0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0, ...type, ...imports, ...funcs, ...exports, ...code]);
}

type Fn = (...args: number[]) => void;

/**
 * Byte offsets of the fixed words at the start of the memory: four 0.0 to read (gather's
 * zero, ReLU's floor), a slot to write (scatter's dummy), four −∞ (no floor).
 */
const ZERO = 0, DUMMY = 16, NO_FLOOR = 32, HEAP = 64;

/** A strided operand as matmul_cpu.ts describes it: element (r, p) at data[off + r·sRow + p·sP]. */
export interface Strided {
  data: Float32Array;
  sRow: number;
  sP: number;
}

/** The fast kernels on their memory, with a bump allocator reset by each call. */
export class FastKernels {
  private readonly fns: Record<"gemm" | "gather" | "scatter" | "unpack" | "pack4", Fn>;
  private top = HEAP;
  private readonly tables = new Map<string, Int32Array>();
  private tableElements = 0;

  constructor(private readonly memory: WebAssembly.Memory, exports: WebAssembly.Exports) {
    this.fns = exports as unknown as FastKernels["fns"];
    new Float32Array(memory.buffer, NO_FLOOR, 4).fill(-Infinity);
  }

  /** Starts a call: everything allocated by the last one is free again. */
  private reset(): void {
    this.top = HEAP;
  }

  /** `bytes` (rounded up to 16) of memory; grows it as needed. Views made before may be detached. */
  private alloc(bytes: number): number {
    const at = this.top;
    this.top += (bytes + 15) & ~15;
    const have = this.memory.buffer.byteLength;
    if (this.top > have) this.memory.grow(Math.ceil((this.top - have) / 65536));
    return at;
  }

  private f32(at: number, len: number): Float32Array {
    return new Float32Array(this.memory.buffer, at, len);
  }

  /** Copies `src` in; its byte offset. */
  private put(src: Float32Array | Int32Array): number {
    const at = this.alloc(src.byteLength);
    (src instanceof Float32Array ? this.f32(at, src.length) : new Int32Array(this.memory.buffer, at, src.length)).set(src);
    return at;
  }

  /**
   * An index table, made by `make` on first use of `key` and kept (up to 16 M entries in all,
   * then the cache starts again): the shapes of a training loop repeat every step.
   */
  private table(key: string, make: () => Int32Array): Int32Array {
    let t = this.tables.get(key);
    if (!t) {
      t = make();
      if (this.tableElements + t.length > 1 << 24) {
        this.tables.clear();
        this.tableElements = 0;
      }
      this.tables.set(key, t);
      this.tableElements += t.length;
    }
    return t;
  }

  /**
   * C[i] (m×n at `cOffs[i]` of c) = A_i · B_i + bias, through ReLU with `relu`, for the batch
   * of products whose operands start at aOffs[i] and bOffs[i] (repeated offsets pack once).
   * bias: per row (`rows`) or per column, or none.
   */
  matmul(a: Strided, aOffs: readonly number[], b: Strided, bOffs: readonly number[], c: Float32Array, cOffs: readonly number[], m: number, k: number, n: number, epilogue?: { bias: Float32Array; rows: boolean; relu: boolean }): void {
    this.reset();
    const mBlocks = (m + 3) >> 2, nBlocks = (n + 3) >> 2, row = nBlocks * 4;
    // the part of each operand the products read, copied in, with slack for pack4's last lanes
    const span = (s: Strided, offs: readonly number[], rows: number) => {
      const lo = Math.min(...offs), hi = Math.max(...offs) + (rows - 1) * s.sRow + (k - 1) * s.sP + 1;
      const at = this.put(s.data.subarray(lo, hi));
      this.alloc(16);
      return { lo, at };
    };
    const [sa, sb] = [span(a, aOffs, m), span(b, bOffs, n)];
    // panels: by pack4 where a block's four rows are adjacent, else by an index table
    const packer = (s: Strided, rows: number, blocks: number) => {
      if (s.sRow === 1) return (dst: number, src: number) => this.fns.pack4(dst, src, blocks, k, 4 * s.sP);
      const idx = this.put(this.table(`pack ${rows} ${k} ${s.sRow} ${s.sP}`, () => {
        const t = new Int32Array(blocks * 4 * k);
        for (let blk = 0, d = 0; blk < blocks; blk++) {
          for (let p = 0; p < k; p++) for (let r = 0; r < 4; r++, d++) t[d] = 4 * blk + r < rows ? (4 * blk + r) * s.sRow + p * s.sP : -1;
        }
        return t;
      }));
      return (dst: number, src: number) => this.fns.gather(dst, src, idx, blocks * 4 * k, ZERO);
    };
    const [packA, packB] = [packer(a, m, mBlocks), packer(b, n, nBlocks)];
    // the bias as rows of `row` floats: one for all rows (per column), or one per row
    let bias = ZERO, bRow = 0;
    const rows = epilogue?.rows ?? false;
    const bz = this.alloc((rows ? m : 1) * row * 4);
    const bv = this.f32(bz, (rows ? m : 1) * row).fill(0);
    if (epilogue && rows) for (let i = 0; i < m; i++) bv.fill(epilogue.bias[i], i * row, i * row + n);
    else if (epilogue) bv.set(epilogue.bias);
    [bias, bRow] = [bz, rows ? row * 4 : 0];
    const [pa, pb, pc] = [this.alloc(mBlocks * 16 * k), this.alloc(nBlocks * 16 * k), this.alloc(mBlocks * 4 * row * 4)];
    const out = this.alloc(cOffs.length * m * n * 4 + 16);
    const floor = epilogue?.relu ? ZERO : NO_FLOOR;
    const { gemm, unpack } = this.fns;
    for (let i = 0; i < cOffs.length; i++) {
      if (i === 0 || aOffs[i] !== aOffs[i - 1]) packA(pa, sa.at + 4 * (aOffs[i] - sa.lo));
      if (i === 0 || bOffs[i] !== bOffs[i - 1]) packB(pb, sb.at + 4 * (bOffs[i] - sb.lo));
      gemm(pa, pb, pc, mBlocks, nBlocks, k);
      unpack(out + i * m * n * 4, pc, row * 4, m, nBlocks, n * 4, bias, bRow, floor);
    }
    const res = this.f32(out, cOffs.length * m * n);
    // the products in order, usually one run of c
    const contiguous = cOffs.every((o, i) => o === cOffs[0] + i * m * n);
    if (contiguous) c.set(res, cOffs[0]);
    else cOffs.forEach((o, i) => c.set(res.subarray(i * m * n, (i + 1) * m * n), o));
  }

  /**
   * cols[img·per + e] = x[img·size + idx[e]] (0 where idx[e] < 0) for each of `images`: im2col
   * (or any per-image gather) with the index table `make` builds, cached under `key`.
   */
  gatherImages(x: Float32Array, out: Float32Array, images: number, key: string, make: () => Int32Array): void {
    this.reset();
    const idx = this.table(key, make);
    const per = idx.length, size = x.length / images;
    if (per === 0 || images === 0) return;
    const xs = this.put(x), it = this.put(idx), o = this.alloc(out.length * 4);
    for (let i = 0; i < images; i++) this.fns.gather(o + i * per * 4, xs + i * size * 4, it, per, ZERO);
    out.set(this.f32(o, out.length));
  }

  /**
   * The adjoint: dx[img·size + idx[e]] += cols[img·per + e], e in order (float32 sums), dx
   * zeroed first: col2im.
   */
  scatterImages(cols: Float32Array, dx: Float32Array, images: number, key: string, make: () => Int32Array): void {
    this.reset();
    const idx = this.table(key, make);
    const per = idx.length, size = dx.length / images;
    const cs = this.put(cols), it = this.put(idx), o = this.alloc(dx.length * 4);
    this.f32(o, dx.length).fill(0);
    if (per > 0) for (let i = 0; i < images; i++) this.fns.scatter(o + i * size * 4, cs + i * per * 4, it, per, DUMMY);
    dx.set(this.f32(o, dx.length));
  }
}

let instance: FastKernels | null | undefined;

/** The fast kernels, or null where WebAssembly SIMD is unavailable (the reference loops run). */
export function fastKernels(): FastKernels | null {
  if (instance !== undefined) return instance;
  const wasm = (globalThis as { WebAssembly?: typeof WebAssembly }).WebAssembly;
  instance = null;
  if (!wasm) return instance;
  try {
    const memory = new wasm.Memory({ initial: 1 });
    const inst = new wasm.Instance(new wasm.Module(fastModuleBytes()), { m: { mem: memory } });
    instance = new FastKernels(memory, inst.exports);
  } catch {
    instance = null; // no SIMD (a CompileError): the reference loops stay
  }
  return instance;
}
