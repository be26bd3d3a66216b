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
import { CONTROL, MAX_WORKERS, ThreadPool, coreCount, threadNote } from "./cpu_threads.ts";
import type { CpuArgs, CpuCaps, OpDef } from "./types.ts";
import { ADD, F32X4_ADD, F32X4_MUL, LOAD32_SPLAT, LT_U, MUL, NE, SUB, V128_LOAD, V128_STORE, V128_ZERO, brIf, get, i32, loop, memarg, section, set, simd, uleb } from "./matmul_wasm.ts";

const [SHL, SHR_U, AND, OR, LT_S, GE_S, SELECT] = [[0x74], [0x76], [0x71], [0x72], [0x48], [0x4e], [0x1b]];
const I32_STORE = [0x36, ...memarg(2, 0)];
const [F32_GT, F32_NE, F32_EQ] = [[0x5e], [0x5c], [0x5b]];
const I32_LOAD = [0x28, ...memarg(2, 0)];
const F32_LOAD = [0x2a, ...memarg(2, 0)];
const F32_STORE = [0x38, ...memarg(2, 0)];
const F32_ADD = [0x92];
const F32X4_MAX = simd(0xe9);
const STORE32_LANE = (offset: number, lane: number) => simd(0x5a, ...memarg(2, offset), lane);
const STORE64_LANE = (offset: number, lane: number) => simd(0x5b, ...memarg(3, offset), lane);
const tee = (l: number) => [0x22, ...uleb(l)];

/** A function body from its code and its extra i32 locals. */
function body(i32Locals: number, code: number[][]): number[] {
  const locals = i32Locals > 0 ? [0x01, ...uleb(i32Locals), 0x7f] : [0x00];
  const bytes = [...locals, ...code.flat(), 0x0b];
  return [...uleb(bytes.length), ...bytes];
}

/** `if cond then … [else …] end`. */
const ifThen = (cond: number[], then: number[], otherwise?: number[]) => [...cond, 0x04, 0x40, ...then, ...(otherwise ? [0x05, ...otherwise] : []), 0x0b];
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
 * pack4T(dst, src, rows, k, sRow), rows, k ≥ 1: panels [block][p][4] of an operand whose
 * elements along p are adjacent (element (r, p) at src + r·sRow + 4p): four rows' f32x4 of
 * four p at a time, transposed in registers (eight shuffles). Rows past `rows` read the zero
 * word; the last group of a row may read up to three floats past it (the caller leaves slack)
 * and stores only the p < k it holds.
 */
function pack4TBody(): number[] {
  const [DST, SRC, ROWS, K, SROW, BLK, G, Q, D, T] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const R = (r: number) => 10 + r, MASK = (r: number) => 14 + r;
  const V = (r: number) => 18 + r, TT = (r: number) => 22 + r;
  const lanes = (...l: number[]) => l.flatMap((x) => [4 * x, 4 * x + 1, 4 * x + 2, 4 * x + 3]);
  const shuffle = (a: number, b: number, l: number[]) => [...get(a), ...get(b), ...simd(0x0d, ...lanes(...l))];
  const loadGroup = [0, 1, 2, 3].flatMap((r) => [...get(R(r)), ...get(Q), ...get(MASK(r)), ...AND, ...ADD, ...V128_LOAD(0), ...set(V(r))]);
  const transpose = [
    ...shuffle(V(0), V(1), [0, 4, 1, 5]), ...set(TT(0)), ...shuffle(V(0), V(1), [2, 6, 3, 7]), ...set(TT(1)),
    ...shuffle(V(2), V(3), [0, 4, 1, 5]), ...set(TT(2)), ...shuffle(V(2), V(3), [2, 6, 3, 7]), ...set(TT(3)),
  ];
  // output j (p = 4g + j): j 0 → TT0[0, 1] TT2[0, 1]; 1 → TT0[2, 3] TT2[2, 3]; 2, 3 the same of TT1, TT3
  const out = (j: number) => shuffle(j < 2 ? TT(0) : TT(1), j < 2 ? TT(2) : TT(3), j % 2 === 0 ? [0, 1, 4, 5] : [2, 3, 6, 7]);
  const store = (j: number) => [...get(D), ...out(j), ...V128_STORE(16 * j)];
  const code = [
    i32(0), set(BLK),
    loop(
      // the block's four row pointers; a row past `rows` reads the zero word (its mask 0)
      ...[0, 1, 2, 3].map((r) => [
        ...get(BLK), ...i32(4), ...MUL, ...i32(r), ...ADD, ...get(ROWS), ...LT_S, ...set(T),
        ...get(SRC), ...get(BLK), ...i32(4), ...MUL, ...i32(r), ...ADD, ...get(SROW), ...MUL, ...ADD, ...i32(ZERO), ...get(T), ...SELECT, ...set(R(r)),
        ...i32(0), ...get(T), ...SUB, ...set(MASK(r)),
      ]),
      get(DST), get(BLK), get(K), MUL, i32(16), MUL, ADD, set(D),
      i32(0), set(Q), get(K), i32(2), SHR_U, set(G),
      ifThen([...get(G), ...i32(0), ...NE], loop(
        loadGroup, transpose, store(0), store(1), store(2), store(3),
        bump(D, i32(64)), bump(Q, i32(16)), countDown(G),
      )),
      get(K), i32(3), AND, set(T),
      ifThen([...get(T), ...i32(0), ...NE], [
        ...loadGroup, ...transpose, ...store(0),
        ...ifThen([...get(T), ...i32(1), ...NE], [...store(1), ...ifThen([...get(T), ...i32(2), ...NE], store(2))]),
      ]),
      get(BLK), i32(1), ADD, set(BLK),
      get(BLK), i32(4), MUL, get(ROWS), LT_S, brIf(0),
    ),
  ];
  const locals = [0x02, 13, 0x7f, 8, 0x7b]; // BLK … MASK3: i32; V0–V3, TT0–TT3: v128
  const bytes = [...locals, ...code.flat(), 0x0b];
  return [...uleb(bytes.length), ...bytes];
}

/**
 * wmax(y, arg, x, idx, outputs, taps, planes, planeBytes), all ≥ 1: max pooling by an index
 * table. For each plane (x advancing planeBytes) and each of its outputs, the taps
 * idx[o·taps + t] (plane-relative, −1: outside the image) in order; the maximum by the
 * reference's rule (the first tap, then strictly greater, or a NaN over a number: the first
 * maximum and the first NaN win) to y, its index to arg (−∞ and −1 for a window of padding).
 */
function wmaxBody(): number[] {
  const [Y, ARG, X, IDX, OUTS, TAPS, PLANES, PB, O, T, I, J, AT] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
  const [BEST, V] = [13, 14];
  const NEG_INF = [0x43, 0x00, 0x00, 0x80, 0xff];
  const better = [...get(AT), ...i32(0), ...LT_S, ...get(V), ...get(BEST), ...F32_GT, ...OR, ...get(V), ...get(V), ...F32_NE, ...get(BEST), ...get(BEST), ...F32_EQ, ...AND, ...OR];
  const code = [
    loop(
      get(IDX), set(I), get(OUTS), set(O),
      loop(
        i32(-1), set(AT), NEG_INF, set(BEST), get(TAPS), set(T),
        loop(
          get(I), I32_LOAD, set(J), bump(I, i32(4)),
          get(J), i32(0), GE_S, [0x04, 0x40],
          get(X), get(J), i32(2), SHL, ADD, F32_LOAD, set(V),
          better, [0x04, 0x40], get(V), set(BEST), get(J), set(AT), [0x0b],
          [0x0b],
          countDown(T),
        ),
        get(Y), get(BEST), F32_STORE, get(ARG), get(AT), I32_STORE,
        bump(Y, i32(4)), bump(ARG, i32(4)), countDown(O),
      ),
      bump(X, get(PB)), countDown(PLANES),
    ),
  ];
  const locals = [0x02, 5, 0x7f, 2, 0x7d]; // O, T, I, J, AT: i32; BEST, V: f32
  const bytes = [...locals, ...code.flat(), 0x0b];
  return [...uleb(bytes.length), ...bytes];
}

/** keep(dst, mask, n, _, _), n ≥ 1: dst[i] where mask[i] > 0, else 0 (a NaN mask gives 0): ReLU's backward fused into a pooling's. */
function keepBody(): number[] {
  const [DST, MASK, N] = [0, 1, 2];
  return body(0, [loop(
    get(DST), get(DST), F32_LOAD, [0x43, 0, 0, 0, 0], get(MASK), F32_LOAD, [0x43, 0, 0, 0, 0], F32_GT, SELECT, F32_STORE,
    bump(DST, i32(4)), bump(MASK, i32(4)), countDown(N),
  )]);
}

const F32X4_EXTRACT = (lane: number) => simd(0x1f, lane);

/**
 * segsum(dst, src, segments, len, _), segments ≥ 1: dst[s] = the float32 sum of the s-th run
 * of `len` values, as four lanes of f32x4 partial sums, (l0 + l1) + (l2 + l3), then the last
 * len mod 4 values in order.
 */
function segsumBody(): number[] {
  const [DST, SRC, SEGS, LEN, J, T] = [0, 1, 2, 3, 5, 6];
  const [ACC, S] = [7, 8];
  const code = [loop(
    V128_ZERO, set(ACC), [0x43, 0, 0, 0, 0], set(S),
    get(LEN), i32(2), SHR_U, set(J),
    ifThen([...get(J), ...i32(0), ...NE], loop(get(ACC), get(SRC), V128_LOAD(0), F32X4_ADD, set(ACC), bump(SRC, i32(16)), countDown(J))),
    get(LEN), i32(3), AND, set(T),
    ifThen([...get(T), ...i32(0), ...NE], loop(get(S), get(SRC), F32_LOAD, F32_ADD, set(S), bump(SRC, i32(4)), countDown(T))),
    get(DST),
    get(ACC), F32X4_EXTRACT(0), get(ACC), F32X4_EXTRACT(1), F32_ADD, get(ACC), F32X4_EXTRACT(2), get(ACC), F32X4_EXTRACT(3), F32_ADD, F32_ADD,
    get(S), F32_ADD, F32_STORE,
    bump(DST, i32(4)), countDown(SEGS),
  )];
  const locals = [0x03, 2, 0x7f, 1, 0x7b, 1, 0x7d]; // J, T: i32 (param 4 unused); ACC: v128; S: f32
  const bytes = [...locals, ...code.flat(), 0x0b];
  return [...uleb(bytes.length), ...bytes];
}

/** colsum(dst, src, rows, len, _), rows ≥ 1: dst[j] += src[i·len + j] for each row i in order (f32x4 where four j fit). */
function colsumBody(): number[] {
  const [DST, SRC, ROWS, LEN, D, J, T] = [0, 1, 2, 3, 5, 6, 7];
  return body(3, [loop(
    get(DST), set(D), get(LEN), i32(2), SHR_U, set(J),
    ifThen([...get(J), ...i32(0), ...NE], loop(get(D), get(D), V128_LOAD(0), get(SRC), V128_LOAD(0), F32X4_ADD, V128_STORE(0), bump(D, i32(16)), bump(SRC, i32(16)), countDown(J))),
    get(LEN), i32(3), AND, set(T),
    ifThen([...get(T), ...i32(0), ...NE], loop(get(D), get(D), F32_LOAD, get(SRC), F32_LOAD, F32_ADD, F32_STORE, bump(D, i32(4)), bump(SRC, i32(4)), countDown(T))),
    countDown(ROWS),
  )]);
}

/**
 * unpack(dst, pc, row, m, n, outRow, bias, bRow, floor), m ≥ 1: the product's m padded rows
 * (`row` bytes apart) to dst, n values a row, `outRow` bytes apart, as f32x4
 * max(c + bias, floor): bias row i at bias + i·bRow (0: one row for all), floor a splat of 0
 * (ReLU, whose rule max keeps: NaN stays NaN, −0 becomes 0) or −∞ (none). A row's last
 * n mod 4 values are stored lane by lane, so nothing is written past a row (threads may
 * unpack neighbouring rows at once).
 */
function unpackBody(): number[] {
  const [DST, PC, ROW, M, N, OUTROW, BIAS, BROW, FLOOR, J, CP, BP, D, T, FL, V] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15];
  const value = [...get(CP), ...V128_LOAD(0), ...get(BP), ...V128_LOAD(0), ...F32X4_ADD, ...get(FL), ...F32X4_MAX];
  const code = [
    get(FLOOR), V128_LOAD(0), set(FL),
    get(N), i32(3), AND, set(T),
    loop(
      get(N), i32(2), SHR_U, set(J), get(PC), set(CP), get(BIAS), set(BP), get(DST), set(D),
      // the full vectors (none when n < 4)
      ifThen([...get(J), ...i32(0), ...NE], loop(
        get(D), value, V128_STORE(0),
        bump(D, i32(16)), bump(CP, i32(16)), bump(BP, i32(16)), countDown(J),
      )),
      // the tail: 1, 2 or 3 lanes
      ifThen([...get(T), ...i32(0), ...NE], [
        ...value, ...set(V),
        ...ifThen([...get(T), ...i32(2), ...AND],
          [...get(D), ...get(V), ...STORE64_LANE(0, 0), ...ifThen([...get(T), ...i32(1), ...AND], [...get(D), ...get(V), ...STORE32_LANE(8, 2)])],
          [...get(D), ...get(V), ...STORE32_LANE(0, 0)]),
      ]),
      bump(DST, get(OUTROW)), bump(PC, get(ROW)), bump(BIAS, get(BROW)), countDown(M),
    ),
  ];
  const locals = [0x02, 5, 0x7f, 2, 0x7b]; // J, CP, BP, D, T: i32; FL, V: v128
  const bytes = [...locals, ...code.flat(), 0x0b];
  return [...uleb(bytes.length), ...bytes];
}

/** Pages (64 KiB) a shared memory may grow to: 4 GiB, what 32-bit addresses reach. */
const MAX_PAGES = 65536;

/**
 * The module's bytes: imports memory "m"."mem" (shared, up to MAX_PAGES, with `shared`);
 * exports gemm, gather, scatter, unpack, pack4, pack4T, wmax, keep, segsum, colsum.
 */
export function fastModuleBytes(shared = false): Uint8Array<ArrayBuffer> {
  const fnType = (params: number) => [0x60, params, ...new Array(params).fill(0x7f), 0];
  const type = section(1, [4, ...fnType(6), ...fnType(5), ...fnType(9), ...fnType(8)]);
  const limits = shared ? [0x03, 0x01, ...uleb(MAX_PAGES)] : [0x00, 0x01];
  const imports = section(2, [1, 1, 0x6d, 3, 0x6d, 0x65, 0x6d, 0x02, ...limits]);
  const funcs = section(3, [10, 0, 1, 1, 2, 1, 1, 3, 1, 1, 1]);
  const name = (s: string, f: number) => [s.length, ...[...s].map((ch) => ch.charCodeAt(0)), 0x00, f];
  const exports = section(7, [10, ...name("gemm", 0), ...name("gather", 1), ...name("scatter", 2), ...name("unpack", 3), ...name("pack4", 4), ...name("pack4T", 5), ...name("wmax", 6), ...name("keep", 7), ...name("segsum", 8), ...name("colsum", 9)]);
  const code = section(10, [10, ...gemmBody(), ...gatherBody(), ...scatterBody(), ...unpackBody(), ...pack4Body(), ...pack4TBody(), ...wmaxBody(), ...keepBody(), ...segsumBody(), ...colsumBody()]);
  return new Uint8Array([0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0, ...type, ...imports, ...funcs, ...exports, ...code]);
}

type Fn = (...args: number[]) => void;

/**
 * Byte offsets of the fixed words at the start of the memory: four 0.0 to read (gather's
 * zero, ReLU's floor), a slot to write (scatter's dummy), four −∞ (no floor); then the
 * workers' control blocks (cpu_threads.ts), then the heap.
 */
const ZERO = 0, DUMMY = 16, NO_FLOOR = 32, HEAP = CONTROL + 16 * MAX_WORKERS + 16;
/** The module's functions by index (a call is [index, ...arguments]). */
const [GEMM, GATHER, SCATTER, UNPACK, PACK4, PACK4T, WMAX, KEEP, SEGSUM, COLSUM] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
/**
 * Work below which a kernel stays on one thread (a hand-off costs ~10–50 µs): multiply-adds of
 * a product (2^20 ≈ 80 µs here; LSTM's hidden step, 4 M, gains), elements a gather or scatter moves.
 */
const SPLIT_MACS = 1 << 20, SPLIT_ELEMENTS = 1 << 17;

/** A strided operand as matmul_cpu.ts describes it: element (r, p) at data[off + r·sRow + p·sP]. */
export interface Strided {
  data: Float32Array;
  sRow: number;
  sP: number;
}

/** [lo, hi) of `count` items for each of `lanes` lanes, as even as can be. */
function ranges(count: number, lanes: number): [number, number][] {
  return Array.from({ length: lanes }, (_, t) => [Math.floor((count * t) / lanes), Math.floor((count * (t + 1)) / lanes)]);
}

/** The fast kernels on their memory, with a bump allocator reset by each call, and its threads. */
export class FastKernels {
  private readonly fns: Fn[];
  private top = HEAP;
  private readonly tables = new Map<string, Int32Array>();
  private tableElements = 0;
  /** Threads a kernel may use (the calling one included); `useThreads` sets it. */
  private threads = 1;
  private readonly ownPool: ThreadPool | null;
  /**
   * The instance on a shared memory that runs the work worth splitting, where this one is on a
   * private memory: copying into a SharedArrayBuffer costs 2.5× copying into an ArrayBuffer
   * (0.40 against 0.16 ms for 4 MB here), so work on one thread stays off the shared memory.
   */
  twin: FastKernels | null = null;

  constructor(private readonly memory: WebAssembly.Memory, module: WebAssembly.Module, exports: WebAssembly.Exports, shared: boolean) {
    const e = exports as unknown as Record<string, Fn>;
    this.fns = [e.gemm, e.gather, e.scatter, e.unpack, e.pack4, e.pack4T, e.wmax, e.keep, e.segsum, e.colsum];
    new Float32Array(memory.buffer, NO_FLOOR, 4).fill(-Infinity);
    this.ownPool = shared && threadNote() === null ? new ThreadPool(memory, module, (bytes) => this.alloc(bytes)) : null;
    if (this.ownPool) this.ownPool.fns = (calls) => this.runHere(calls);
  }

  /** Lets kernels use up to `n` threads (workers start on first use); 1 where there can be no workers. */
  useThreads(n: number): number {
    const pool = this.pool;
    this.threads = pool ? Math.max(1, Math.min(n, MAX_WORKERS + 1)) : 1;
    if (this.twin) this.twin.useThreads(this.threads);
    else if (this.threads > 1) pool!.ensure(this.threads - 1);
    return this.threads;
  }

  /** The workers (on the twin's shared memory where there is a twin), or null: one thread. */
  get pool(): ThreadPool | null {
    return this.twin ? this.twin.ownPool : this.ownPool;
  }

  /** The instance to run work of `lanes` lanes: the shared twin when they are more than one. */
  private on(lanes: number): FastKernels | null {
    return lanes > 1 && this.twin ? this.twin : null;
  }

  /** Lanes for `work`: one below `split`, else one per thread (at most `items`). */
  private lanes(work: number, split: number, items: number): number {
    return work < split ? 1 : Math.max(1, Math.min(this.threads, items));
  }

  private runHere(calls: number[][]): void {
    for (const [f, ...args] of calls) this.fns[f](...args);
  }

  private run(lanes: number[][][]): void {
    if (lanes.length === 1 || !this.ownPool) this.runHere(lanes.flat());
    else this.ownPool.run(lanes);
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
    const batches = cOffs.length, mBlocks = (m + 3) >> 2;
    const lanes = this.lanes(batches * m * k * n, SPLIT_MACS, batches > 1 ? batches : mBlocks);
    const twin = this.on(lanes);
    if (twin) return twin.matmul(a, aOffs, b, bOffs, c, cOffs, m, k, n, epilogue);
    this.reset();
    const nBlocks = (n + 3) >> 2, row = nBlocks * 4;
    // the part of each operand the products read, copied in, with slack for pack4's last lanes
    const span = (s: Strided, offs: readonly number[], rows: number) => {
      const lo = Math.min(...offs), hi = Math.max(...offs) + (rows - 1) * s.sRow + (k - 1) * s.sP + 1;
      const at = this.put(s.data.subarray(lo, hi));
      this.alloc(16);
      return { lo, at };
    };
    const [sa, sb] = [span(a, aOffs, m), span(b, bOffs, n)];
    // panels: by pack4 where a block's four rows are adjacent, by pack4T where p is, else by an index table
    const packer = (s: Strided, rows: number, blocks: number) => {
      if (s.sRow === 1) return (dst: number, src: number) => [PACK4, dst, src, blocks, k, 4 * s.sP];
      if (s.sP === 1) return (dst: number, src: number) => [PACK4T, dst, src, rows, k, 4 * s.sRow];
      const idx = this.put(this.table(`pack ${rows} ${k} ${s.sRow} ${s.sP}`, () => {
        const t = new Int32Array(blocks * 4 * k);
        for (let blk = 0, d = 0; blk < blocks; blk++) {
          for (let p = 0; p < k; p++) for (let r = 0; r < 4; r++, d++) t[d] = 4 * blk + r < rows ? (4 * blk + r) * s.sRow + p * s.sP : -1;
        }
        return t;
      }));
      return (dst: number, src: number) => [GATHER, dst, src, idx, blocks * 4 * k, ZERO];
    };
    // the bias as rows of `row` floats: one for all rows (per column), or one per row
    const rows = epilogue?.rows ?? false;
    const bias = this.alloc((rows ? m : 1) * row * 4), bRow = rows ? row * 4 : 0;
    const bv = this.f32(bias, (rows ? m : 1) * row).fill(0);
    if (epilogue && rows) for (let i = 0; i < m; i++) bv.fill(epilogue.bias[i], i * row, i * row + n);
    else if (epilogue) bv.set(epilogue.bias);
    const out = this.alloc(cOffs.length * m * n * 4);
    const floor = epilogue?.relu ? ZERO : NO_FLOOR;
    const scratch = () => [this.alloc(mBlocks * 16 * k), this.alloc(nBlocks * 16 * k), this.alloc(mBlocks * 4 * row * 4)];
    const packB = packer(b, n, nBlocks);
    const work: number[][][] = [];
    if (batches > 1 || lanes === 1) {
      // lanes of whole products (a lane packs an operand again only where its offset changes)
      const packA = packer(a, m, mBlocks);
      for (const [lo, hi] of ranges(batches, lanes)) {
        const [pa, pb, pc] = scratch(), calls: number[][] = [];
        for (let i = lo; i < hi; i++) {
          if (i === lo || aOffs[i] !== aOffs[i - 1]) calls.push(packA(pa, sa.at + 4 * (aOffs[i] - sa.lo)));
          if (i === lo || bOffs[i] !== bOffs[i - 1]) calls.push(packB(pb, sb.at + 4 * (bOffs[i] - sb.lo)));
          calls.push([GEMM, pa, pb, pc, mBlocks, nBlocks, k], [UNPACK, out + i * m * n * 4, pc, row * 4, m, n, n * 4, bias, bRow, floor]);
        }
        work.push(calls);
      }
    } else {
      // one product: lanes of rows of blocks, each packing its rows of A and all of B
      for (const [lo, hi] of ranges(mBlocks, lanes)) {
        const [pa, pb, pc] = scratch(), r0 = 4 * lo, rs = Math.min(m, 4 * hi) - r0;
        const packA = packer(a, rs, hi - lo);
        work.push([
          packA(pa, sa.at + 4 * (aOffs[0] - sa.lo + r0 * a.sRow)), packB(pb, sb.at + 4 * (bOffs[0] - sb.lo)),
          [GEMM, pa, pb, pc, hi - lo, nBlocks, k], [UNPACK, out + r0 * n * 4, pc, row * 4, rs, n, n * 4, bias + r0 * bRow, bRow, floor],
        ]);
      }
    }
    this.run(work);
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
    const idx = this.table(key, make);
    const per = idx.length, size = x.length / images, lanes = this.lanes(images * per, SPLIT_ELEMENTS, images);
    const twin = this.on(lanes);
    if (twin) return twin.gatherImages(x, out, images, key, () => idx);
    this.reset();
    if (per === 0 || images === 0) return;
    const xs = this.put(x), it = this.put(idx), o = this.alloc(out.length * 4);
    this.run(ranges(images, lanes).map(([lo, hi]) => Array.from({ length: hi - lo }, (_, j) => [GATHER, o + (lo + j) * per * 4, xs + (lo + j) * size * 4, it, per, ZERO])));
    out.set(this.f32(o, out.length));
  }

  /**
   * The adjoint: dx[img·size + idx[e]] += cols[img·per + e], e in order (float32 sums), dx
   * zeroed first: col2im.
   */
  scatterImages(cols: Float32Array, dx: Float32Array, images: number, key: string, make: () => Int32Array): void {
    const idx = this.table(key, make);
    const per = idx.length, size = dx.length / images, lanes = this.lanes(images * per, SPLIT_ELEMENTS, images);
    const twin = this.on(lanes);
    if (twin) return twin.scatterImages(cols, dx, images, key, () => idx);
    this.reset();
    const cs = this.put(cols), it = this.put(idx), o = this.alloc(dx.length * 4);
    this.f32(o, dx.length).fill(0);
    // each image's sums in its own part of dx: lanes of images
    if (per > 0) this.run(ranges(images, lanes).map(([lo, hi]) => Array.from({ length: hi - lo }, (_, j) => [SCATTER, o + (lo + j) * size * 4, cs + (lo + j) * per * 4, it, per, DUMMY])));
    dx.set(this.f32(o, dx.length));
  }

  /**
   * Max pooling, `planes` planes of `size` elements: y and arg (plane-relative indices) of each
   * plane's outputs by the index table `make` builds ([outputs][taps], −1: outside), cached
   * under `key`. Exact: no arithmetic.
   */
  windowMax(x: Float32Array, y: Float32Array, arg: Int32Array, planes: number, key: string, taps: number, make: () => Int32Array): void {
    const idx = this.table(key, make);
    const per = idx.length / taps, size = x.length / planes, lanes = this.lanes(planes * per * taps, SPLIT_ELEMENTS, planes);
    const twin = this.on(lanes);
    if (twin) return twin.windowMax(x, y, arg, planes, key, taps, () => idx);
    this.reset();
    if (per === 0 || planes === 0) return;
    const xs = this.put(x), it = this.put(idx), yo = this.alloc(y.length * 4), ao = this.alloc(arg.length * 4);
    this.run(ranges(planes, lanes).filter(([lo, hi]) => hi > lo).map(([lo, hi]) => [[WMAX, yo + lo * per * 4, ao + lo * per * 4, xs + lo * size * 4, it, per, taps, hi - lo, size * 4]]));
    y.set(this.f32(yo, y.length));
    arg.set(new Int32Array(this.memory.buffer, ao, arg.length));
  }

  /**
   * Max pooling's backward: dx[plane, arg[o]] += dy[o] (o in order, float32 sums; arg < 0
   * skipped), dx zeroed first, then 0 where `mask` (the ReLU output before the pooling) is not > 0.
   */
  poolScatter(dy: Float32Array, arg: Int32Array, dx: Float32Array, planes: number, mask?: Float32Array): void {
    const per = dy.length / planes, size = dx.length / planes, lanes = this.lanes(dx.length, SPLIT_ELEMENTS, planes);
    const twin = this.on(lanes);
    if (twin) return twin.poolScatter(dy, arg, dx, planes, mask);
    this.reset();
    const ds = this.put(dy), as = this.put(arg), o = this.alloc(dx.length * 4), ms = mask ? this.put(mask) : 0;
    this.f32(o, dx.length).fill(0);
    this.run(ranges(planes, lanes).map(([lo, hi]) => {
      const calls = Array.from({ length: hi - lo }, (_, j) => [SCATTER, o + (lo + j) * size * 4, ds + (lo + j) * per * 4, as + (lo + j) * per * 4, per, DUMMY]);
      if (mask && hi > lo) calls.push([KEEP, o + lo * size * 4, ms + lo * size * 4, (hi - lo) * size]);
      return per > 0 ? calls : [];
    }));
    dx.set(this.f32(o, dx.length));
  }

  /**
   * A sum over axes (float32, f32x4 partial sums) of x [outer, red, keep, inner] with `inner`
   * reduced too (red and inner may be 1): per outer block, segment sums of `inner`, then
   * column sums over `red`; y [outer][keep]. The fast mode's reduction (ops/sum.ts decides
   * when a sum's axes have this form).
   */
  sum(x: Float32Array, y: Float32Array, outer: number, red: number, keep: number, inner: number): void {
    const lanes = this.lanes(x.length, SPLIT_ELEMENTS, outer);
    const twin = this.on(lanes);
    if (twin) return twin.sum(x, y, outer, red, keep, inner);
    this.reset();
    const xs = this.put(x), o = this.alloc(y.length * 4);
    this.f32(o, y.length).fill(0);
    // with an inner run, its sums first ([outer·red·keep]), then those summed over red
    const seg = inner > 1 ? this.alloc(outer * red * keep * 4) : xs;
    this.run(ranges(outer, lanes).map(([lo, hi]) => {
      const calls: number[][] = [];
      if (hi === lo) return calls;
      if (inner > 1) calls.push([SEGSUM, seg + lo * red * keep * 4, xs + lo * red * keep * inner * 4, (hi - lo) * red * keep, inner]);
      for (let b = lo; b < hi; b++) calls.push([COLSUM, o + b * keep * 4, seg + b * red * keep * 4, red, keep]);
      return calls;
    }));
    y.set(this.f32(o, y.length));
  }
}

let instance: FastKernels | null | undefined;

/**
 * The fast kernels, or null where WebAssembly SIMD is unavailable (the reference loops run):
 * an instance on a private memory for work on one thread, with a twin on a shared memory for
 * work split over threads where SharedArrayBuffer exists. `threads` (CpuCaps.threads; 0: the
 * cores available) sets how many threads its kernels may use from now on.
 */
export function fastKernels(threads?: number): FastKernels | null {
  if (instance === undefined) {
    instance = kernelsOn(false);
    if (instance && typeof SharedArrayBuffer !== "undefined") instance.twin = kernelsOn(true);
  }
  if (threads !== undefined) instance?.useThreads(threads || coreCount());
  return instance;
}

/** Runs an op on the CPU: its fast kernel in the fast mode where it applies, else the reference. */
export function runCpu<A>(def: OpDef<A>, args: CpuArgs<A>): void {
  if (!(args.cpu.mode === "fast" && def.cpuFast?.(args))) def.cpu(args);
}

/** The threads the fast mode's kernels use with these caps, and why only one where that is so. */
export function cpuThreads(cpu: CpuCaps): { threads: number; note: string | null } {
  if (cpu.mode !== "fast") return { threads: 1, note: "one thread: the reference mode" };
  const f = fastKernels(cpu.threads);
  if (!f) return { threads: 1, note: "one thread: no WebAssembly SIMD here" };
  const want = cpu.threads || coreCount(), threads = f.useThreads(want);
  return { threads, note: threads < want ? threadNote() : want === 1 ? "one thread: one core here (or threads: 1)" : null };
}

function kernelsOn(shared: boolean): FastKernels | null {
  const wasm = (globalThis as { WebAssembly?: typeof WebAssembly }).WebAssembly;
  if (!wasm) return null;
  try {
    const memory = new wasm.Memory(shared ? { initial: 1, maximum: MAX_PAGES, shared: true } : { initial: 1 });
    const module = new wasm.Module(fastModuleBytes(shared));
    return new FastKernels(memory, module, new wasm.Instance(module, { m: { mem: memory } }).exports, shared);
  } catch {
    return null; // no SIMD (a CompileError) or no shared memory: the reference loops, or one thread
  }
}
