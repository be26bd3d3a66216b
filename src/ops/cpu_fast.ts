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
import { CONTROL, FN_NAMES, MAX_WORKERS, ThreadPool, coreCount, threadNote } from "./cpu_threads.ts";
import { MemoryBlocks } from "./cpu_memory.ts";
import type { CpuArgs, CpuCaps, OpDef } from "./types.ts";
import { ADD, F32X4_ADD, F32X4_MUL, LOAD32_SPLAT, MUL, NE, SUB, V128_LOAD, V128_STORE, V128_ZERO, brIf, get, i32, loop, memarg, section, set, simd, uleb } from "./matmul_wasm.ts";

const [SHL, SHR_U, AND, OR, LT_S, GE_S, SELECT] = [[0x74], [0x76], [0x71], [0x72], [0x48], [0x4e], [0x1b]];
const I32_STORE = [0x36, ...memarg(2, 0)];
const [F32_GT, F32_NE, F32_EQ] = [[0x5e], [0x5c], [0x5b]];
const I32_LOAD = [0x28, ...memarg(2, 0)];
const F32_LOAD = [0x2a, ...memarg(2, 0)];
const F32_STORE = [0x38, ...memarg(2, 0)];
const F32_ADD = [0x92];
const F32X4_MAX = simd(0xe9);
const [F32X4_GT, V128_AND] = [simd(0x44), simd(0x4e)];
const F32_FROM_BITS = [0xbe];
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
 * gemm(pa, pb, pc, mBlocks, nBlocks, k, rowBytes, rows), k ≥ 1: C (`rows` rows, rowBytes apart,
 * of nBlocks·4 float32 at pc) = A · B from operands packed in panels [block][p][4]; the last
 * block's rows past `rows` are not stored, so where n is a multiple of 4 and there is no
 * epilogue the product is written straight into its output (no unpack). Two adjacent blocks of C's columns at a time:
 * a 4×8 block as eight f32x4 sums, one splat of A's element and two vector multiply-adds per
 * row and p (six loads for 32 multiply-adds, and eight independent sums, where a 4×4 block
 * has five loads for 16 and its four sums wait on the add's latency: 8.6 → 10.9 GMAC/s on
 * one thread at 256³ here);
 * the last block column alone when nBlocks is odd. Float32 sums, p in order, no fused
 * multiply-add: either width gives the same bits. (Reading an unpacked B in place, stepping a
 * row per p, was tried: no faster for LeNet-5's products, 4× slower at 1024.)
 */
function gemmBody(): number[] {
  const [PA, PB, PC, MB, NB, K, ROW, ROWS] = [0, 1, 2, 3, 4, 5, 6, 7];
  const [IB, JB, P, APTR, BPTR, CPTR, LEFT, PANEL] = [8, 9, 10, 11, 12, 13, 14, 15];
  const [ACC, B0, B1, AV] = [(r: number, h: number) => 16 + 2 * r + h, 24, 25, 26];
  const rows = [0, 1, 2, 3];
  // the block at column block JB, `wide`: two blocks (B's second panel PANEL bytes on)
  const block = (wide: boolean) => {
    const halves = wide ? [0, 1] : [0];
    return [
      ...rows.flatMap((r) => halves.flatMap((h) => [...V128_ZERO, ...set(ACC(r, h))])),
      ...get(PA), ...get(IB), ...get(PANEL), ...MUL, ...ADD, ...set(APTR),
      ...get(PB), ...get(JB), ...get(PANEL), ...MUL, ...ADD, ...set(BPTR),
      ...get(K), ...set(P),
      ...loop(
        get(BPTR), V128_LOAD(0), set(B0),
        wide ? [...get(BPTR), ...get(PANEL), ...ADD, ...V128_LOAD(0), ...set(B1)] : [],
        ...rows.map((r) => [
          ...get(APTR), ...LOAD32_SPLAT(4 * r), ...set(AV),
          ...halves.flatMap((h) => [...get(ACC(r, h)), ...get(AV), ...get(h ? B1 : B0), ...F32X4_MUL, ...F32X4_ADD, ...set(ACC(r, h))]),
        ]),
        bump(APTR, i32(16)), bump(BPTR, i32(16)), countDown(P),
      ),
      // cPtr = pc + ib·4·row + jb·16
      ...get(PC), ...get(IB), ...i32(4), ...MUL, ...get(ROW), ...MUL, ...ADD, ...get(JB), ...i32(16), ...MUL, ...ADD, ...set(CPTR),
      // row r of the block where it is one of C's rows (LEFT: C's rows from the block's first on)
      ...rows.flatMap((r) => [...ifThen([...get(LEFT), ...i32(r), ...[0x4a]], halves.flatMap((h) => [...get(CPTR), ...get(ACC(r, h)), ...V128_STORE(16 * h)])), ...bump(CPTR, get(ROW))]),
    ];
  };
  const code = [
    get(K), i32(16), MUL, set(PANEL), i32(0), set(IB),
    loop(
      i32(0), set(JB), get(ROWS), get(IB), i32(4), MUL, SUB, set(LEFT),
      // pairs of column blocks, then the last one alone
      ifThen([...get(NB), ...i32(2), ...GE_S], loop(block(true), bump(JB, i32(2)), get(JB), i32(2), ADD, get(NB), [0x4c], brIf(0))),
      ifThen([...get(JB), ...get(NB), ...LT_S], block(false)),
      bump(IB, i32(1)), get(IB), get(MB), LT_S, brIf(0),
    ),
  ];
  const locals = [0x02, 8, 0x7f, 11, 0x7b]; // IB … PANEL: i32; ACC × 8, B0, B1, AV: v128
  const bytes = [...locals, ...code.flat(), 0x0b];
  return [...uleb(bytes.length), ...bytes];
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
 * planeScatter(dst, src, arg, per, planes, planeBytes), per, planes ≥ 1: scatter's rule for
 * `planes` planes in one call (max pooling's backward): plane q adds src[q·per + o] into
 * dst + q·planeBytes at arg[q·per + o] (plane-relative; < 0 skipped), o in order. A call a
 * plane cost ~0.3 µs each in JavaScript: 0.3 ms for LeNet-5's second pooling, 1 024 planes of 25.
 */
function planeScatterBody(): number[] {
  const [DST, SRC, IDX, PER, PLANES, PB, N, J, AT] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  return body(3, [loop(
    get(PER), set(N),
    loop(
      get(IDX), I32_LOAD, set(J),
      i32(DUMMY), get(DST), get(J), i32(2), SHL, ADD, get(J), i32(0), LT_S, SELECT, set(AT),
      get(AT), get(AT), F32_LOAD, get(SRC), F32_LOAD, F32_ADD, F32_STORE,
      bump(SRC, i32(4)), bump(IDX, i32(4)), countDown(N),
    ),
    bump(DST, get(PB)), countDown(PLANES),
  )]);
}

/** zero(dst, bytes, _, _, _): memory.fill with 0. JavaScript's fill on a view of a shared memory runs at a quarter of its speed on an ArrayBuffer. */
function zeroBody(): number[] {
  return body(0, [get(0), i32(0), get(1), [0xfc, 0x0b, 0x00]]);
}

/**
 * The two run kernels, runCopy(dst, src, runs, n, _) and runAdd(dst, src, runs, n, _), n ≥ 1:
 * an index table compressed into runs [e, i, len] (elements e … e + len − 1 of the table are
 * i … i + len − 1, or all −1 when i < 0), moved an f32x4 at a time. runCopy is the gather:
 * dst[e + t] = src[i + t], 0 for i < 0. runAdd is the scatter: dst[i + t] += src[e + t], i ≥ 0
 * only, runs in order, so every element gets its terms in the table's order, as scatter's.
 * im2col of a stride-1 convolution is runs of a whole output row: 4–10× the gather's speed.
 */
function runsBody(add: boolean): number[] {
  const [DST, SRC, RUNS, N, D, S, L, J] = [0, 1, 2, 3, 5, 6, 7, 8];
  const run = (vector: number[], scalar: number[], reads = true) => [
    ...get(L), ...i32(2), ...SHR_U, ...set(J),
    ...ifThen([...get(J), ...i32(0), ...NE], loop(vector, bump(D, i32(16)), reads ? bump(S, i32(16)) : [], countDown(J))),
    ...get(L), ...i32(3), ...AND, ...set(J),
    ...ifThen([...get(J), ...i32(0), ...NE], loop(scalar, bump(D, i32(4)), reads ? bump(S, i32(4)) : [], countDown(J))),
  ];
  // D: where the run writes, S: where it reads (the table's side is e, the other side i)
  const [e, i] = [[...get(RUNS), ...I32_LOAD], [...get(RUNS), 0x28, ...memarg(2, 4)]];
  const at = (base: number, idx: number[]) => [...get(base), ...idx, ...i32(2), ...SHL, ...ADD];
  const code = add
    ? [loop(
      ifThen([...i, ...i32(0), ...GE_S], [
        ...at(DST, i), ...set(D), ...at(SRC, e), ...set(S), ...get(RUNS), 0x28, ...memarg(2, 8), ...set(L),
        ...run([...get(D), ...get(D), ...V128_LOAD(0), ...get(S), ...V128_LOAD(0), ...F32X4_ADD, ...V128_STORE(0)], [...get(D), ...get(D), ...F32_LOAD, ...get(S), ...F32_LOAD, ...F32_ADD, ...F32_STORE]),
      ]),
      bump(RUNS, i32(12)), countDown(N),
    )]
    : [loop(
      at(DST, e), set(D), get(RUNS), [0x28], memarg(2, 8), set(L),
      ifThen([...i, ...i32(0), ...GE_S],
        [...at(SRC, i), ...set(S), ...run([...get(D), ...get(S), ...V128_LOAD(0), ...V128_STORE(0)], [...get(D), ...get(S), ...I32_LOAD, ...I32_STORE])],
        run([...get(D), ...V128_ZERO, ...V128_STORE(0)], [...get(D), ...i32(0), ...I32_STORE], false)),
      bump(RUNS, i32(12)), countDown(N),
    )];
  return body(4, code);
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
 * table, four outputs at a time. idx is [group of four outputs][tap][4] (plane-relative, −1:
 * outside the image or past the plane's last output). For each plane (x advancing planeBytes)
 * and each output, its taps in order; the maximum by the reference's rule (the first tap, then
 * strictly greater, or a NaN over a number: the first maximum and the first NaN win) to y, its
 * index to arg (−∞ and −1 for a window of padding: a tap outside reads the −∞ word, which
 * never wins after the first tap). Four outputs' maxima are four independent chains of
 * compares and bit selects: one output's scalar chain (compare, select, compare …) cost 5 ns a
 * tap here, its branchy form as much in mispredictions.
 */
function wmaxBody(): number[] {
  const [Y, ARG, X, IDX, OUTS, TAPS, PLANES, PB, G, T, I] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  const [BEST, AT, J, ADDR, V, M] = [11, 12, 13, 14, 15, 16];
  const [I32X4_SPLAT, I32X4_LT_S, F32X4_EQ, F32X4_NE, V128_OR, BITSELECT] = [simd(0x11), simd(0x39), simd(0x41), simd(0x42), simd(0x50), simd(0x52)];
  const EXTRACT = (q: number) => simd(0x1b, q);
  const LOAD32_LANE = (q: number) => simd(0x56, ...memarg(2, 0), q);
  const group = [
    f32x4(-Infinity), set(BEST), i32(-1), I32X4_SPLAT, set(AT), get(TAPS), set(T),
    loop(
      get(I), V128_LOAD(0), set(J), bump(I, i32(16)),
      // the taps' addresses, the −∞ word for those outside
      i32(NO_FLOOR), I32X4_SPLAT, get(X), I32X4_SPLAT, get(J), i32(2), I32X4_SHL, I32X4_ADD, get(J), V128_ZERO, I32X4_LT_S, BITSELECT, set(ADDR),
      ...[0, 1, 2, 3].map((q) => [...get(ADDR), ...EXTRACT(q), ...get(V), ...LOAD32_LANE(q), ...set(V)]),
      get(AT), V128_ZERO, I32X4_LT_S, get(V), get(BEST), F32X4_GT, V128_OR, get(V), get(V), F32X4_NE, get(BEST), get(BEST), F32X4_EQ, V128_AND, V128_OR, set(M),
      get(V), get(BEST), get(M), BITSELECT, set(BEST), get(J), get(AT), get(M), BITSELECT, set(AT),
      countDown(T),
    ),
  ];
  const code = [
    loop(
      get(IDX), set(I), get(OUTS), i32(2), SHR_U, set(G),
      ifThen([...get(G), ...i32(0), ...NE], loop(
        group.flat(), get(Y), get(BEST), V128_STORE(0), get(ARG), get(AT), V128_STORE(0),
        bump(Y, i32(16)), bump(ARG, i32(16)), countDown(G),
      )),
      // the last outputs mod 4: their lanes only
      get(OUTS), i32(3), AND, set(G),
      ifThen([...get(G), ...i32(0), ...NE], [
        ...group.flat(),
        ...[[Y, BEST], [ARG, AT]].flatMap(([dst, v]) => ifThen([...get(G), ...i32(2), ...AND],
          [...get(dst), ...get(v), ...STORE64_LANE(0, 0), ...ifThen([...get(G), ...i32(1), ...AND], [...get(dst), ...get(v), ...STORE32_LANE(8, 2)])],
          [...get(dst), ...get(v), ...STORE32_LANE(0, 0)])),
        ...bump(Y, [...get(G), ...i32(4), ...MUL]), ...bump(ARG, [...get(G), ...i32(4), ...MUL]),
      ]),
      bump(X, get(PB)), countDown(PLANES),
    ),
  ];
  const locals = [0x02, 3, 0x7f, 6, 0x7b]; // G, T, I: i32; BEST, AT, J, ADDR, V, M: v128
  const bytes = [...locals, ...code.flat(), 0x0b];
  return [...uleb(bytes.length), ...bytes];
}

/**
 * keep(dst, mask, n, _, _), n ≥ 1: dst[i] where mask[i] > 0, else 0 (a NaN mask gives 0):
 * ReLU's backward fused into a pooling's. A bit mask (f32x4 compare and v128.and, then the
 * same in i32 for the last n mod 4), never a branch: a float select is one in V8, and on a
 * real mask it mispredicts half the time.
 */
function keepBody(): number[] {
  const [DST, MASK, N, J, T] = [0, 1, 2, 3, 4];
  return body(0, [
    get(N), i32(2), SHR_U, set(J), get(N), i32(3), AND, set(T),
    ifThen([...get(J), ...i32(0), ...NE], loop(
      get(DST), get(DST), V128_LOAD(0), get(MASK), V128_LOAD(0), V128_ZERO, F32X4_GT, V128_AND, V128_STORE(0),
      bump(DST, i32(16)), bump(MASK, i32(16)), countDown(J),
    )),
    ifThen([...get(T), ...i32(0), ...NE], loop(
      get(DST), get(DST), I32_LOAD, i32(0), get(MASK), F32_LOAD, [0x43, 0, 0, 0, 0], F32_GT, SUB, AND, I32_STORE,
      bump(DST, i32(4)), bump(MASK, i32(4)), countDown(T),
    )),
  ]);
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

/** An f32x4 constant of four `v`. */
const f32x4 = (v: number) => simd(0x0c, ...Array.from({ length: 4 }, () => [...new Uint8Array(Float32Array.of(v).buffer)]).flat());
const [F32X4_MIN, F32X4_SUB, F32X4_DIV, F32X4_NEG, F32X4_NEAREST] = [simd(0xe8), simd(0xe5), simd(0xe7), simd(0xe1), simd(0x6a)];
const [I32X4_TRUNC_SAT, I32X4_ADD, I32X4_SHL] = [simd(0xf8), simd(0xae), simd(0xab)];
/** The function index of vexp, and of the LSTM cell (see fastModuleBytes). */
const VEXP_FN = 10;

/**
 * vexp(x: v128) → v128: e^x per lane, Cephes's expf (range reduction by ln 2 in two parts, a
 * degree-6 polynomial, the power of two built in the exponent bits): a few ULP, as WGSL's exp;
 * x clamped to [−87, 88] (no denormals, no infinity).
 */
function vexpBody(): number[] {
  const [X, N, R, P] = [0, 1, 2, 3];
  const poly = [1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1];
  const code = [
    get(X), f32x4(-87), F32X4_MAX, f32x4(88), F32X4_MIN, set(X),
    get(X), f32x4(Math.LOG2E), F32X4_MUL, F32X4_NEAREST, set(N),
    get(X), get(N), f32x4(0.693359375), F32X4_MUL, F32X4_SUB, get(N), f32x4(-2.12194440e-4), F32X4_MUL, F32X4_SUB, set(R),
    f32x4(poly[0]), ...poly.slice(1).flatMap((c) => [...get(R), ...F32X4_MUL, ...f32x4(c), ...F32X4_ADD]), set(P),
    // p·r² + r + 1, times 2^n
    get(P), get(R), get(R), F32X4_MUL, F32X4_MUL, get(R), F32X4_ADD, f32x4(1), F32X4_ADD,
    get(N), I32X4_TRUNC_SAT, simd(0x0c, ...Array.from({ length: 4 }, () => [127, 0, 0, 0]).flat()), I32X4_ADD, i32(23), I32X4_SHL,
    F32X4_MUL,
  ];
  const locals = [0x01, 3, 0x7b]; // N, R, P
  const bytes = [...locals, ...code.flat(), 0x0b];
  return [...uleb(bytes.length), ...bytes];
}

/**
 * lstm(x, hid, cp, cpRow, saved, hs, b, h, _), b ≥ 1, h a multiple of 4: one LSTM step's cell
 * update for b rows, four units at a time: gates = x + hid ([b][4h] each, order i, f, g, o),
 * i, f, o = σ, g = tanh (2σ(2v) − 1), c = f·c_prev + i·g (c_prev row r at cp + r·cpRow bytes),
 * h = o·tanh(c); saved [b][6h] = i, f, g, o, c_prev, c and hs [b][h] = h, as lstmSequence's
 * reference stores them.
 */
function lstmBody(): number[] {
  const [XP, HID, CP, CPROW, SV, HS, B, H] = [0, 1, 2, 3, 4, 5, 6, 7];
  const [J, XB, HB, CB, SB, OB] = [9, 10, 11, 12, 13, 14];
  const [T, GI, GF, GG, GO, C] = [15, 16, 17, 18, 19, 20];
  const H4 = [...get(H), ...i32(4), ...MUL]; // bytes of h floats
  const at = (base: number, k: number) => [...get(base), ...H4, ...i32(k), ...MUL, ...ADD];
  const gate = (k: number) => [...at(XB, k), ...V128_LOAD(0), ...at(HB, k), ...V128_LOAD(0), ...F32X4_ADD];
  const sig = [...F32X4_NEG, 0x10, VEXP_FN, ...f32x4(1), ...F32X4_ADD, ...set(T), ...f32x4(1), ...get(T), ...F32X4_DIV];
  // tanh(v) = 2σ(2v) − 1
  const tanh = [...f32x4(2), ...F32X4_MUL, ...sig, ...f32x4(2), ...F32X4_MUL, ...f32x4(1), ...F32X4_SUB];
  const store = (base: number, k: number, v: number) => [...at(base, k), ...get(v), ...V128_STORE(0)];
  const code = [loop(
    get(XP), set(XB), get(HID), set(HB), get(CP), set(CB), get(SV), set(SB), get(HS), set(OB),
    get(H), i32(2), SHR_U, set(J),
    loop(
      gate(0), sig, set(GI), gate(1), sig, set(GF), gate(2), tanh, set(GG), gate(3), sig, set(GO),
      get(GF), get(CB), V128_LOAD(0), F32X4_MUL, get(GI), get(GG), F32X4_MUL, F32X4_ADD, set(C),
      store(SB, 0, GI), store(SB, 1, GF), store(SB, 2, GG), store(SB, 3, GO),
      at(SB, 4), get(CB), V128_LOAD(0), V128_STORE(0), store(SB, 5, C),
      get(OB), get(GO), get(C), tanh, F32X4_MUL, V128_STORE(0),
      bump(XB, i32(16)), bump(HB, i32(16)), bump(CB, i32(16)), bump(SB, i32(16)), bump(OB, i32(16)), countDown(J),
    ),
    // the next row: x, hid 4h floats on, c_prev cpRow bytes, saved 6h, hs h
    bump(XP, [...H4, ...i32(4), ...MUL]), bump(HID, [...H4, ...i32(4), ...MUL]), bump(CP, get(CPROW)),
    bump(SV, [...H4, ...i32(6), ...MUL]), bump(HS, H4), countDown(B),
  )];
  const locals = [0x02, 6, 0x7f, 6, 0x7b]; // J, XB, HB, CB, SB, OB: i32 (param 8 unused); T, GI, GF, GG, GO, C: v128
  const bytes = [...locals, ...code.flat(), 0x0b];
  return [...uleb(bytes.length), ...bytes];
}

/**
 * lstmBack(saved, dhs, dhRec, dcRec, dx, dcNext, b, h, _), b ≥ 1, h a multiple of 4: one LSTM
 * step's backward cell for b rows, four units at a time, as lstmSequenceBackward's reference:
 * dh = dhs + dhRec, dc' = dcRec + dh·o·(1 − tanh²c), dx = [dc'·g·i(1−i), dc'·c_prev·f(1−f),
 * dc'·i(1−g²), dh·tanh(c)·o(1−o)] ([b][4h]), dcNext = dc'·f.
 */
function lstmBackBody(): number[] {
  const [SV, DHS, DHR, DCR, DX, DCN, B, H] = [0, 1, 2, 3, 4, 5, 6, 7];
  const [J, SB, HB, RB, CB, XB, NB] = [9, 10, 11, 12, 13, 14, 15];
  const [T, GI, GF, GG, GO, CP, TC, DH, DC] = [16, 17, 18, 19, 20, 21, 22, 23, 24];
  const H4 = [...get(H), ...i32(4), ...MUL];
  const at = (base: number, k: number) => [...get(base), ...H4, ...i32(k), ...MUL, ...ADD];
  const load = (base: number, k: number, v: number) => [...at(base, k), ...V128_LOAD(0), ...set(v)];
  const sig = [...F32X4_NEG, 0x10, VEXP_FN, ...f32x4(1), ...F32X4_ADD, ...set(T), ...f32x4(1), ...get(T), ...F32X4_DIV];
  const tanh = [...f32x4(2), ...F32X4_MUL, ...sig, ...f32x4(2), ...F32X4_MUL, ...f32x4(1), ...F32X4_SUB];
  const oneMinus = (v: number) => [...f32x4(1), ...get(v), ...F32X4_SUB];
  const mul = (...terms: number[][]) => [...terms[0], ...terms.slice(1).flatMap((t) => [...t, ...F32X4_MUL])];
  const code = [loop(
    get(SV), set(SB), get(DHS), set(HB), get(DHR), set(RB), get(DCR), set(CB), get(DX), set(XB), get(DCN), set(NB),
    get(H), i32(2), SHR_U, set(J),
    loop(
      load(SB, 0, GI), load(SB, 1, GF), load(SB, 2, GG), load(SB, 3, GO), load(SB, 4, CP),
      at(SB, 5), V128_LOAD(0), tanh, set(TC),
      get(HB), V128_LOAD(0), get(RB), V128_LOAD(0), F32X4_ADD, set(DH),
      // dc' = dcRec + dh·o·(1 − tc²)
      get(CB), V128_LOAD(0), mul(get(DH), get(GO), [...f32x4(1), ...get(TC), ...get(TC), ...F32X4_MUL, ...F32X4_SUB]), F32X4_ADD, set(DC),
      get(XB), mul(get(DC), get(GG), get(GI), oneMinus(GI)), V128_STORE(0),
      at(XB, 1), mul(get(DC), get(CP), get(GF), oneMinus(GF)), V128_STORE(0),
      at(XB, 2), mul(get(DC), get(GI), [...f32x4(1), ...get(GG), ...get(GG), ...F32X4_MUL, ...F32X4_SUB]), V128_STORE(0),
      at(XB, 3), mul(get(DH), get(TC), get(GO), oneMinus(GO)), V128_STORE(0),
      get(NB), get(DC), get(GF), F32X4_MUL, V128_STORE(0),
      bump(SB, i32(16)), bump(HB, i32(16)), bump(RB, i32(16)), bump(CB, i32(16)), bump(XB, i32(16)), bump(NB, i32(16)), countDown(J),
    ),
    bump(SV, [...H4, ...i32(6), ...MUL]), bump(DHS, H4), bump(DHR, H4), bump(DCR, H4), bump(DX, [...H4, ...i32(4), ...MUL]), bump(DCN, H4), countDown(B),
  )];
  const locals = [0x02, 7, 0x7f, 9, 0x7b]; // J … NB: i32 (param 8 unused); T … DC: v128
  const bytes = [...locals, ...code.flat(), 0x0b];
  return [...uleb(bytes.length), ...bytes];
}

/**
 * adam(p, g, m, v, n4, prm, _, _, _), n4 ≥ 1: the Adam step (adamUpdate's rule) on 4·n4
 * elements in place, f32x4: g' = g + wd·p, m' = β₁m + (1−β₁)g', v' = β₂v + (1−β₂)g'²,
 * p' = p − p·decay − m'·step / (√(v'·vScale) + ε); an element keeps p, m, v unless all three
 * are finite and the step is on (the guard's ok). prm: ten f32x4 splats β₁, 1−β₁, β₂, 1−β₂,
 * ε, wd (coupled), decay (decoupled), step, vScale, and the ok mask.
 */
function adamBody(): number[] {
  const [PP, GP, MP, VP, N, PRM] = [0, 1, 2, 3, 4, 5];
  const [P, G, M, V, G2, M2, V2, P2, K] = [9, 10, 11, 12, 13, 14, 15, 16, 17];
  const c = (k: number) => [...get(PRM), ...V128_LOAD(16 * k)];
  const [B1, OB1, B2, OB2, EPS, WD, DECAY, STEP, VSCALE, OK] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map(c);
  const fin = (x: number) => [...get(x), ...get(x), ...F32X4_SUB, ...f32x4(0), ...simd(0x41)];
  const V128_AND = simd(0x4e), BITSELECT = simd(0x52), SQRT = simd(0xe3);
  const code = [loop(
    get(PP), V128_LOAD(0), set(P), get(GP), V128_LOAD(0), set(G), get(MP), V128_LOAD(0), set(M), get(VP), V128_LOAD(0), set(V),
    get(G), WD, get(P), F32X4_MUL, F32X4_ADD, set(G2),
    B1, get(M), F32X4_MUL, OB1, get(G2), F32X4_MUL, F32X4_ADD, set(M2),
    B2, get(V), F32X4_MUL, OB2, get(G2), F32X4_MUL, get(G2), F32X4_MUL, F32X4_ADD, set(V2),
    get(P), get(P), DECAY, F32X4_MUL, F32X4_SUB, get(M2), STEP, F32X4_MUL, get(V2), VSCALE, F32X4_MUL, SQRT, EPS, F32X4_ADD, F32X4_DIV, F32X4_SUB, set(P2),
    fin(P2), fin(M2), V128_AND, fin(V2), V128_AND, OK, V128_AND, set(K),
    get(PP), get(P2), get(P), get(K), BITSELECT, V128_STORE(0),
    get(MP), get(M2), get(M), get(K), BITSELECT, V128_STORE(0),
    get(VP), get(V2), get(V), get(K), BITSELECT, V128_STORE(0),
    bump(PP, i32(16)), bump(GP, i32(16)), bump(MP, i32(16)), bump(VP, i32(16)), countDown(N),
  )];
  const locals = [0x01, 9, 0x7b]; // P … K (params 6–8 unused)
  const bytes = [...locals, ...code.flat(), 0x0b];
  return [...uleb(bytes.length), ...bytes];
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
  const type = section(1, [5, ...fnType(6), ...fnType(5), ...fnType(9), ...fnType(8), 0x60, 1, 0x7b, 1, 0x7b]);
  const limits = shared ? [0x03, 0x01, ...uleb(MAX_PAGES)] : [0x00, 0x01];
  const imports = section(2, [1, 1, 0x6d, 3, 0x6d, 0x65, 0x6d, 0x02, ...limits]);
  const funcs = section(3, [18, 3, 1, 1, 2, 1, 1, 3, 1, 1, 1, 4, 2, 2, 2, 1, 1, 0, 1]);
  const name = (s: string, f: number) => [s.length, ...[...s].map((ch) => ch.charCodeAt(0)), 0x00, f];
  const exports = section(7, [17, ...name("gemm", 0), ...name("gather", 1), ...name("scatter", 2), ...name("unpack", 3), ...name("pack4", 4), ...name("pack4T", 5), ...name("wmax", 6), ...name("keep", 7), ...name("segsum", 8), ...name("colsum", 9), ...name("lstm", 11), ...name("lstmBack", 12), ...name("adam", 13), ...name("runCopy", 14), ...name("runAdd", 15), ...name("planeScatter", 16), ...name("zero", 17)]);
  const code = section(10, [18, ...gemmBody(), ...gatherBody(), ...scatterBody(), ...unpackBody(), ...pack4Body(), ...pack4TBody(), ...wmaxBody(), ...keepBody(), ...segsumBody(), ...colsumBody(), ...vexpBody(), ...lstmBody(), ...lstmBackBody(), ...adamBody(), ...runsBody(false), ...runsBody(true), ...planeScatterBody(), ...zeroBody()]);
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
const [GEMM, GATHER, SCATTER, UNPACK, PACK4, PACK4T, WMAX, KEEP, SEGSUM, COLSUM, LSTM, LSTM_BACK, ADAM, RUN_COPY, RUN_ADD, PLANE_SCATTER, ZERO_FILL] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 14, 15, 16, 17];
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

/** An index table kept in the module's memory: its byte offset and length, and its runs where it is kept as runs. */
interface Table {
  at: number;
  length: number;
  /** The number of [e, i, len] runs (runCopy, runAdd) it is stored as; 0: stored as the table. */
  runs: number;
}

/**
 * An index table as runs [e, i, len]: entries e … e + len − 1 are i … i + len − 1 (or all
 * negative: i = −1), maximal; null where the runs average under four entries (the table's own
 * kernels, gather and scatter, are as fast there).
 */
export function indexRuns(idx: Int32Array): Int32Array | null {
  const runs: number[] = [];
  for (let e = 0; e < idx.length;) {
    const i = idx[e];
    let len = 1;
    if (i < 0) while (e + len < idx.length && idx[e + len] < 0) len++;
    else while (e + len < idx.length && idx[e + len] === i + len) len++;
    runs.push(e, i < 0 ? -1 : i, len);
    e += len;
    if (runs.length * 4 > 3 * idx.length) return null;
  }
  return runs.length * 4 <= 3 * idx.length ? Int32Array.from(runs) : null;
}

/** A float32 or int32 array (the operands the kernels read and write). */
type Operand = Float32Array | Int32Array;

/**
 * The fast kernels on their memory, with a bump allocator reset by each call, and its threads.
 * Arrays that lie in the memory already (`owns`: a plan's slots, made by `resident`) are read
 * and written where they are; any other operand is copied in, and a result copied out.
 */
export class FastKernels {
  private readonly fns: Fn[];
  private top = HEAP;
  /** Long-lived blocks: index tables and resident slots; the scratch space starts after them. */
  private readonly blocks = new MemoryBlocks(HEAP);
  private readonly tables = new Map<string, Table>();
  private tableElements = 0;
  /** Every buffer object this memory has had (a grow gives a new one; views on the old stay valid when shared). */
  private readonly buffers = new WeakSet<ArrayBufferLike>();
  /** Threads a kernel may use (the calling one included); `useThreads` sets it. */
  private threads = 1;
  private readonly ownPool: ThreadPool | null;
  /**
   * The instance on a shared memory that runs the work worth splitting, and all work on its
   * resident arrays, where this one is on a private memory: copying into a SharedArrayBuffer
   * costs 2.5× copying into an ArrayBuffer (0.40 against 0.16 ms for 4 MB here), so other work
   * on one thread stays off the shared memory.
   */
  twin: FastKernels | null = null;

  constructor(private readonly memory: WebAssembly.Memory, module: WebAssembly.Module, exports: WebAssembly.Exports, readonly shared: boolean) {
    const e = exports as unknown as Record<string, Fn>;
    this.fns = FN_NAMES.map((n) => e[n] ?? (() => {}));
    new Float32Array(memory.buffer, NO_FLOOR, 4).fill(-Infinity);
    this.ownPool = shared && threadNote() === null ? new ThreadPool(memory, module, (bytes) => this.alloc(bytes), (calls) => this.runHere(calls)) : null;
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

  /** The instance for the shared memory's arrays: this one, or its twin; null without one. */
  private get sharedInstance(): FastKernels | null {
    return this.shared ? this : this.twin;
  }

  /**
   * `bytes` zeroed in the shared memory that stay until `release`: a view's buffer and byte
   * offset (a plan's slots, backends/cpu.ts), or null where there is no shared memory. Arrays
   * made on it are operands the kernels use in place. Only between kernel calls.
   */
  resident(bytes: number): { buffer: ArrayBufferLike; at: number } | null {
    const s = this.sharedInstance;
    if (!s) return null;
    const at = s.blocks.reserve(bytes);
    s.cover(s.blocks.end);
    s.fns[ZERO_FILL](at, bytes);
    return { buffer: s.memory.buffer, at };
  }

  /** Frees what `resident` returned at `at`. */
  release(at: number): void {
    this.sharedInstance?.blocks.free(at);
  }

  /** Bytes held by resident blocks and index tables of the shared memory (tests check they are freed). */
  get residentBytes(): number {
    return this.sharedInstance?.blocks.bytes ?? 0;
  }

  /** Whether `a` lies in this memory (a kernel may use it where it is). */
  owns(a: ArrayBufferView): boolean {
    return a.buffer === this.memory.buffer || this.buffers.has(a.buffer);
  }

  /**
   * The instance to run work of `lanes` lanes on: the shared twin when they are more than one,
   * or when an operand is resident there; null: this one.
   */
  private on(lanes: number, ...arrays: ArrayBufferView[]): FastKernels | null {
    const twin = this.twin;
    return twin && (lanes > 1 || arrays.some((a) => twin.owns(a))) ? twin : null;
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
    this.top = this.blocks.end;
  }

  /** Grows the memory to at least `end` bytes. */
  private cover(end: number): void {
    const have = this.memory.buffer.byteLength;
    if (end <= have) return;
    this.buffers.add(this.memory.buffer);
    this.memory.grow(Math.ceil((end - have) / 65536));
  }

  /** `bytes` (rounded up to 16) of scratch memory; grows it as needed. Views made before may be detached. */
  private alloc(bytes: number): number {
    const at = this.top;
    this.top += (bytes + 15) & ~15;
    this.cover(this.top);
    return at;
  }

  /** `floats` float32 zeros; their byte offset. */
  private zeroed(floats: number): number {
    const at = this.alloc(floats * 4);
    this.fns[ZERO_FILL](at, floats * 4);
    return at;
  }

  private f32(at: number, len: number): Float32Array {
    return new Float32Array(this.memory.buffer, at, len);
  }

  /** The byte offset of an operand to read: where it lies, or a copy made in scratch. */
  private put(src: Operand): number {
    if (this.owns(src)) return src.byteOffset;
    const at = this.alloc(src.byteLength);
    (src instanceof Float32Array ? this.f32(at, src.length) : new Int32Array(this.memory.buffer, at, src.length)).set(src);
    return at;
  }

  /** Where a kernel writes a result bound for `out`: out itself where it lies here, else scratch (`done` copies it out). */
  private target(out: Operand): number {
    return this.owns(out) ? out.byteOffset : this.alloc(out.byteLength);
  }

  /** `target`, zeroed. */
  private zeroedTarget(out: Float32Array): number {
    if (!this.owns(out)) return this.zeroed(out.length);
    this.fns[ZERO_FILL](out.byteOffset, out.byteLength);
    return out.byteOffset;
  }

  /** Copies a result written at `at` out to `out`, unless it was written there. */
  private done(out: Operand, at: number): void {
    if (this.owns(out) && out.byteOffset === at) return;
    out.set(out instanceof Float32Array ? this.f32(at, out.length) : new Int32Array(this.memory.buffer, at, out.length));
  }

  /**
   * An index table, made by `make` on first use of `key` and kept in this memory (up to 16 M
   * entries in all, then the cache starts again): the shapes of a training loop repeat every step.
   * Only at the start of a call (it places a block).
   */
  private table(key: string, make: () => Int32Array, asRuns = false): Table {
    let t = this.tables.get(key);
    if (!t) {
      const idx = make(), runs = asRuns ? indexRuns(idx) : null, data = runs ?? idx;
      if (this.tableElements + data.length > 1 << 24) {
        for (const old of this.tables.values()) this.blocks.free(old.at);
        this.tables.clear();
        this.tableElements = 0;
      }
      t = { at: this.blocks.reserve(data.byteLength), length: idx.length, runs: runs ? runs.length / 3 : 0 };
      this.cover(this.blocks.end);
      new Int32Array(this.memory.buffer, t.at, data.length).set(data);
      this.tables.set(key, t);
      this.tableElements += data.length;
      this.top = Math.max(this.top, this.blocks.end);
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
    const twin = this.on(lanes, a.data, b.data, c);
    if (twin) return twin.matmul(a, aOffs, b, bOffs, c, cOffs, m, k, n, epilogue);
    const nBlocks = (n + 3) >> 2, row = nBlocks * 4;
    // the index tables of operands with neither stride 1, before any scratch is taken (a table places a block)
    const tableOf = (s: Strided, rows: number, blocks: number) => s.sRow === 1 || s.sP === 1 ? null : this.table(`pack ${rows} ${k} ${s.sRow} ${s.sP}`, () => {
      const t = new Int32Array(blocks * 4 * k);
      for (let blk = 0, d = 0; blk < blocks; blk++) {
        for (let p = 0; p < k; p++) for (let r = 0; r < 4; r++, d++) t[d] = 4 * blk + r < rows ? (4 * blk + r) * s.sRow + p * s.sP : -1;
      }
      return t;
    });
    const single = batches > 1 || lanes === 1;
    const aTables = single ? [tableOf(a, m, mBlocks)] : ranges(mBlocks, lanes).map(([lo, hi]) => tableOf(a, Math.min(m, 4 * hi) - 4 * lo, hi - lo));
    const bTable = tableOf(b, n, nBlocks);
    this.reset();
    // the part of each operand the products read, copied in, with slack for pack4's last lanes
    const span = (s: Strided, offs: readonly number[], rows: number) => {
      const lo = Math.min(...offs), hi = Math.max(...offs) + (rows - 1) * s.sRow + (k - 1) * s.sP + 1;
      const at = this.put(s.data.subarray(lo, hi));
      this.alloc(16);
      return { lo, at };
    };
    const [sa, sb] = [span(a, aOffs, m), span(b, bOffs, n)];
    // panels: by pack4 where a block's four rows are adjacent, by pack4T where p is, else by an index table
    const packer = (s: Strided, rows: number, blocks: number, table: Table | null) => {
      if (s.sRow === 1) return (dst: number, src: number) => [PACK4, dst, src, blocks, k, 4 * s.sP];
      if (s.sP === 1) return (dst: number, src: number) => [PACK4T, dst, src, rows, k, 4 * s.sRow];
      return (dst: number, src: number) => [GATHER, dst, src, table!.at, blocks * 4 * k, ZERO];
    };
    // the bias as rows of `row` floats: one for all rows (per column), or one per row
    const rows = epilogue?.rows ?? false;
    const bias = this.zeroed((rows ? m : 1) * row), bRow = rows ? row * 4 : 0;
    const bv = this.f32(bias, (rows ? m : 1) * row);
    if (epilogue && rows) for (let i = 0; i < m; i++) bv.fill(epilogue.bias[i], i * row, i * row + n);
    else if (epilogue) bv.set(epilogue.bias);
    // the products in order, usually one run of c: written in place where c lies here
    const contiguous = cOffs.every((o, i) => o === cOffs[0] + i * m * n);
    const whole = contiguous ? c.subarray(cOffs[0], cOffs[0] + batches * m * n) : null;
    const out = whole ? this.target(whole) : this.alloc(batches * m * n * 4);
    const floor = epilogue?.relu ? ZERO : NO_FLOOR;
    const scratch = () => [this.alloc(mBlocks * 16 * k), this.alloc(nBlocks * 16 * k), this.alloc(mBlocks * 4 * row * 4)];
    const packB = packer(b, n, nBlocks, bTable);
    // rows of four whole blocks and no epilogue: the gemm stores C's rows itself
    const direct = n % 4 === 0 && !epilogue;
    const work: number[][][] = [];
    if (single) {
      // lanes of whole products (a lane packs an operand again only where its offset changes)
      const packA = packer(a, m, mBlocks, aTables[0]);
      for (const [lo, hi] of ranges(batches, lanes)) {
        const [pa, pb, pc] = scratch(), calls: number[][] = [];
        for (let i = lo; i < hi; i++) {
          if (i === lo || aOffs[i] !== aOffs[i - 1]) calls.push(packA(pa, sa.at + 4 * (aOffs[i] - sa.lo)));
          if (i === lo || bOffs[i] !== bOffs[i - 1]) calls.push(packB(pb, sb.at + 4 * (bOffs[i] - sb.lo)));
          if (direct) calls.push([GEMM, pa, pb, out + i * m * n * 4, mBlocks, nBlocks, k, n * 4, m]);
          else calls.push([GEMM, pa, pb, pc, mBlocks, nBlocks, k, row * 4, 4 * mBlocks], [UNPACK, out + i * m * n * 4, pc, row * 4, m, n, n * 4, bias, bRow, floor]);
        }
        work.push(calls);
      }
    } else {
      // one product: lanes of rows of blocks, each packing its rows of A and all of B
      for (const [t, [lo, hi]] of ranges(mBlocks, lanes).entries()) {
        const [pa, pb, pc] = scratch(), r0 = 4 * lo, rs = Math.min(m, 4 * hi) - r0;
        const packA = packer(a, rs, hi - lo, aTables[t]);
        work.push([
          packA(pa, sa.at + 4 * (aOffs[0] - sa.lo + r0 * a.sRow)), packB(pb, sb.at + 4 * (bOffs[0] - sb.lo)),
          ...(direct ? [[GEMM, pa, pb, out + r0 * n * 4, hi - lo, nBlocks, k, n * 4, rs]]
            : [[GEMM, pa, pb, pc, hi - lo, nBlocks, k, row * 4, 4 * (hi - lo)], [UNPACK, out + r0 * n * 4, pc, row * 4, rs, n, n * 4, bias + r0 * bRow, bRow, floor]]),
        ]);
      }
    }
    this.run(work);
    if (whole) return this.done(whole, out);
    const res = this.f32(out, batches * m * n);
    cOffs.forEach((o, i) => c.set(res.subarray(i * m * n, (i + 1) * m * n), o));
  }

  /**
   * cols[img·per + e] = x[img·size + idx[e]] (0 where idx[e] < 0) for each of `images`: im2col
   * (or any per-image gather) with the index table `make` builds, cached under `key`.
   */
  gatherImages(x: Float32Array, out: Float32Array, images: number, key: string, make: () => Int32Array): void {
    const per = out.length / Math.max(images, 1), size = x.length / images, lanes = this.lanes(images * per, SPLIT_ELEMENTS, images);
    const twin = this.on(lanes, x, out);
    if (twin) return twin.gatherImages(x, out, images, key, make);
    if (per === 0 || images === 0) return;
    const t = this.table(key, make, true);
    this.reset();
    const xs = this.put(x), o = this.target(out);
    const call = (img: number) => t.runs ? [RUN_COPY, o + img * per * 4, xs + img * size * 4, t.at, t.runs, 0] : [GATHER, o + img * per * 4, xs + img * size * 4, t.at, per, ZERO];
    this.run(ranges(images, lanes).map(([lo, hi]) => Array.from({ length: hi - lo }, (_, j) => call(lo + j))));
    this.done(out, o);
  }

  /**
   * The adjoint: dx[img·size + idx[e]] += cols[img·per + e], e in order (float32 sums), dx
   * zeroed first: col2im.
   */
  scatterImages(cols: Float32Array, dx: Float32Array, images: number, key: string, make: () => Int32Array): void {
    const per = cols.length / Math.max(images, 1), size = dx.length / images, lanes = this.lanes(images * per, SPLIT_ELEMENTS, images);
    const twin = this.on(lanes, cols, dx);
    if (twin) return twin.scatterImages(cols, dx, images, key, make);
    const t = per > 0 ? this.table(key, make, true) : null;
    this.reset();
    const cs = this.put(cols), o = this.zeroedTarget(dx);
    const call = (img: number) => t!.runs ? [RUN_ADD, o + img * size * 4, cs + img * per * 4, t!.at, t!.runs, 0] : [SCATTER, o + img * size * 4, cs + img * per * 4, t!.at, per, DUMMY];
    // each image's sums in its own part of dx: lanes of images
    if (t) this.run(ranges(images, lanes).map(([lo, hi]) => Array.from({ length: hi - lo }, (_, j) => call(lo + j))));
    this.done(dx, o);
  }

  /**
   * Max pooling, `planes` planes of `size` elements: y and arg (plane-relative indices) of each
   * plane's outputs by the index table `make` builds ([outputs][taps], −1: outside), cached
   * under `key`. Exact: no arithmetic.
   */
  windowMax(x: Float32Array, y: Float32Array, arg: Int32Array, planes: number, key: string, taps: number, make: () => Int32Array): void {
    const per = y.length / Math.max(planes, 1), size = x.length / planes, lanes = this.lanes(planes * per * taps, SPLIT_ELEMENTS, planes);
    const twin = this.on(lanes, x, y, arg);
    if (twin) return twin.windowMax(x, y, arg, planes, key, taps, make);
    if (per === 0 || planes === 0) return;
    // the table as wmax reads it: [group of four outputs][tap][4], −1 past the last output
    const it = this.table(key, () => {
      const t = make(), groups = (per + 3) >> 2, g = new Int32Array(groups * taps * 4).fill(-1);
      for (let o = 0; o < per; o++) for (let k = 0; k < taps; k++) g[((o >> 2) * taps + k) * 4 + (o & 3)] = t[o * taps + k];
      return g;
    }).at;
    this.reset();
    const xs = this.put(x), yo = this.target(y), ao = this.target(arg);
    this.run(ranges(planes, lanes).filter(([lo, hi]) => hi > lo).map(([lo, hi]) => [[WMAX, yo + lo * per * 4, ao + lo * per * 4, xs + lo * size * 4, it, per, taps, hi - lo, size * 4]]));
    this.done(y, yo);
    this.done(arg, ao);
  }

  /**
   * Max pooling's backward: dx[plane, arg[o]] += dy[o] (o in order, float32 sums; arg < 0
   * skipped), dx zeroed first, then 0 where `mask` (the ReLU output before the pooling) is not > 0.
   */
  poolScatter(dy: Float32Array, arg: Int32Array, dx: Float32Array, planes: number, mask?: Float32Array): void {
    const per = dy.length / planes, size = dx.length / planes, lanes = this.lanes(dx.length, SPLIT_ELEMENTS, planes);
    const twin = this.on(lanes, dy, arg, dx, ...(mask ? [mask] : []));
    if (twin) return twin.poolScatter(dy, arg, dx, planes, mask);
    this.reset();
    const ds = this.put(dy), as = this.put(arg), o = this.zeroedTarget(dx), ms = mask ? this.put(mask) : 0;
    this.run(ranges(planes, lanes).map(([lo, hi]) => {
      const calls = hi > lo ? [[PLANE_SCATTER, o + lo * size * 4, ds + lo * per * 4, as + lo * per * 4, per, hi - lo, size * 4]] : [];
      if (mask && hi > lo) calls.push([KEEP, o + lo * size * 4, ms + lo * size * 4, (hi - lo) * size]);
      return per > 0 ? calls : [];
    }));
    this.done(dx, o);
  }

  /**
   * A sum over axes (float32, f32x4 partial sums) of x [outer, red, keep, inner] with `inner`
   * reduced too (red and inner may be 1): per outer block, segment sums of `inner`, then
   * column sums over `red`; y [outer][keep]. The fast mode's reduction (ops/sum.ts decides
   * when a sum's axes have this form).
   */
  sum(x: Float32Array, y: Float32Array, outer: number, red: number, keep: number, inner: number): void {
    const lanes = this.lanes(x.length, SPLIT_ELEMENTS, outer);
    const twin = this.on(lanes, x, y);
    if (twin) return twin.sum(x, y, outer, red, keep, inner);
    this.reset();
    const xs = this.put(x), o = this.zeroedTarget(y);
    // with an inner run, its sums first ([outer·red·keep]), then those summed over red
    const seg = inner > 1 ? this.alloc(outer * red * keep * 4) : xs;
    this.run(ranges(outer, lanes).map(([lo, hi]) => {
      const calls: number[][] = [];
      if (hi === lo) return calls;
      if (inner > 1) calls.push([SEGSUM, seg + lo * red * keep * 4, xs + lo * red * keep * inner * 4, (hi - lo) * red * keep, inner]);
      for (let b = lo; b < hi; b++) calls.push([COLSUM, o + b * keep * 4, seg + b * red * keep * 4, red, keep]);
      return calls;
    }));
    this.done(y, o);
  }

  /**
   * A whole LSTM layer direction, as lstmSequence's reference computes it (ops/recurrent_seq.ts),
   * in one session on this memory: W_hh packed once, then per step (in time order, or reversed)
   * the hidden product h_prev·W_hhᵀ and the cell update (lstm), all in WebAssembly; the
   * outputs copied out at the end. H a multiple of 4 (the caller checks). A batch row's
   * recurrence needs no other row, so threads take lanes of rows for the whole sequence: one
   * hand-off for all T steps.
   */
  lstmForward(x: Float32Array, whh: Float32Array, h0: Float32Array, c0: Float32Array, out: { hs: Float32Array; cN: Float32Array; saved: Float32Array; hprev: Float32Array }, T: number, B: number, H: number, reverse: boolean): void {
    const G = 4 * H, mBlocks = (B + 3) >> 2;
    const lanes = this.lanes(T * B * G * H, SPLIT_MACS, mBlocks);
    const twin = this.on(lanes, x, whh, h0, c0, out.hs, out.saved);
    if (twin) return twin.lstmForward(x, whh, h0, c0, out, T, B, H, reverse);
    this.reset();
    const xs = this.put(x), ws = this.put(whh), h0s = this.put(h0), c0s = this.put(c0);
    const hsOut = this.target(out.hs), savedOut = this.target(out.saved), zeros = this.zeroed(G);
    const pb = this.alloc(G * 4 * H);
    this.runHere([[PACK4T, pb, ws, G, H, H * 4]]);
    const time = (step: number) => (reverse ? T - 1 - step : step);
    this.run(ranges(mBlocks, lanes).map(([lo, hi]) => {
      const r0 = 4 * lo, rows = Math.min(B, 4 * hi) - r0, calls: number[][] = [];
      const [pa, pc, hid] = [this.alloc((hi - lo) * 16 * H), this.alloc((hi - lo) * 4 * G * 4), this.alloc(rows * G * 4)];
      for (let step = 0; step < T; step++) {
        const t = time(step), tp = time(step - 1);
        const [cp, cpRow] = step === 0 ? [c0s + r0 * H * 4, H * 4] : [savedOut + ((tp * B + r0) * 6 * H + 5 * H) * 4, 6 * H * 4];
        calls.push(
          [PACK4T, pa, step === 0 ? h0s + r0 * H * 4 : hsOut + (tp * B + r0) * H * 4, rows, H, H * 4],
          [GEMM, pa, pb, pc, hi - lo, G / 4, H, G * 4, 4 * (hi - lo)],
          [UNPACK, hid, pc, G * 4, rows, G, G * 4, zeros, 0, NO_FLOOR],
          [LSTM, xs + (t * B + r0) * G * 4, hid, cp, cpRow, savedOut + (t * B + r0) * 6 * H * 4, hsOut + (t * B + r0) * H * 4, rows, H],
        );
      }
      return calls;
    }));
    this.done(out.hs, hsOut);
    this.done(out.saved, savedOut);
    for (let step = 0; step < T; step++) {
      const t = time(step), tp = time(step - 1);
      out.hprev.set(step === 0 ? h0 : out.hs.subarray(tp * B * H, (tp + 1) * B * H), t * B * H);
    }
    const last = time(T - 1);
    for (let b = 0; b < B; b++) out.cN.set(out.saved.subarray((last * B + b) * 6 * H + 5 * H, (last * B + b) * 6 * H + 6 * H), b * H);
  }

  /**
   * lstmSequenceBackward in one session (its reference in ops/recurrent_seq.ts): W_hh packed
   * once, then per step in reverse time order the cell's backward (lstmBack) and
   * dh_prev = dgates·W_hh, all in WebAssembly. H a multiple of 4 (the caller checks). Lanes
   * of batch rows for the whole sequence, as lstmForward.
   */
  lstmBackward(whh: Float32Array, saved: Float32Array, dhs: Float32Array, dcN: Float32Array, out: { dx: Float32Array; dh0: Float32Array; dc0: Float32Array }, T: number, B: number, H: number, reverse: boolean): void {
    const G = 4 * H, mBlocks = (B + 3) >> 2;
    const lanes = this.lanes(T * B * G * H, SPLIT_MACS, mBlocks);
    const twin = this.on(lanes, whh, saved, dhs, dcN, out.dx);
    if (twin) return twin.lstmBackward(whh, saved, dhs, dcN, out, T, B, H, reverse);
    this.reset();
    const ws = this.put(whh), ss = this.put(saved), ds = this.put(dhs), cN = this.put(dcN);
    const dx = this.target(out.dx), zeros = this.zeroed(B * H);
    // two buffers each for dh and dc, swapped every step: after T steps the last written is
    const bufs = [this.alloc(B * H * 4), this.alloc(B * H * 4), this.alloc(B * H * 4), this.alloc(B * H * 4)];
    const pb = this.alloc(H * 4 * G);
    // B(p = gate row g, n = unit j) = W_hh[g·H + j]: four units adjacent
    this.runHere([[PACK4, pb, ws, H / 4, G, H * 4]]);
    this.run(ranges(mBlocks, lanes).map(([lo, hi]) => {
      const r0 = 4 * lo, rows = Math.min(B, 4 * hi) - r0, calls: number[][] = [];
      const [pa, pc] = [this.alloc((hi - lo) * 16 * G), this.alloc((hi - lo) * 4 * H * 4)];
      const row = (buf: number) => buf + r0 * H * 4;
      for (let step = 0; step < T; step++) {
        const t = reverse ? step : T - 1 - step;
        const [dhRec, dhNext, dcRec, dcNext] = step % 2 === 0 ? [bufs[1], bufs[0], bufs[3], bufs[2]] : [bufs[0], bufs[1], bufs[2], bufs[3]];
        calls.push(
          [LSTM_BACK, ss + (t * B + r0) * 6 * H * 4, ds + (t * B + r0) * H * 4, step === 0 ? row(zeros) : row(dhRec), step === 0 ? cN + r0 * H * 4 : row(dcRec), dx + (t * B + r0) * G * 4, row(dcNext), rows, H],
          [PACK4T, pa, dx + (t * B + r0) * G * 4, rows, G, G * 4],
          [GEMM, pa, pb, pc, hi - lo, H / 4, G, H * 4, 4 * (hi - lo)],
          [UNPACK, row(dhNext), pc, H * 4, rows, H, H * 4, zeros, 0, NO_FLOOR],
        );
      }
      return calls;
    }));
    const last = (T - 1) % 2 === 0 ? 0 : 1;
    this.done(out.dx, dx);
    out.dh0.set(this.f32(bufs[last], B * H));
    out.dc0.set(this.f32(bufs[2 + last], B * H));
  }

  /**
   * adamUpdate on the first 4·⌊n/4⌋ elements (the caller does the rest): p, m, v copied in,
   * updated in place, copied out to pOut, mOut, vOut. Threads take lanes of elements.
   */
  adam(p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, out: [Float32Array, Float32Array, Float32Array], k: { b1: number; b2: number; eps: number; wd: number; decay: number; step: number; vScale: number; ok: boolean }): void {
    // an element costs a square root and a division (~30 cycles a vector): worth splitting 8× sooner than a copy
    const n4 = p.length >> 2, lanes = this.lanes(8 * p.length, SPLIT_ELEMENTS, n4);
    const twin = this.on(lanes, p, g, m, v, ...out);
    if (twin) return twin.adam(p, g, m, v, out, k);
    this.reset();
    if (n4 === 0) return;
    const n = 4 * n4;
    // p, m and v updated in place where their outputs are bound (written there already, if they lie here)
    const [ps, ms, vs] = [p, m, v].map((a, i) => {
      const at = this.target(out[i].subarray(0, n));
      this.f32(at, n).set(a.subarray(0, n));
      return at;
    });
    const gs = this.put(g.subarray(0, n));
    const prm = this.alloc(160);
    const consts = this.f32(prm, 40);
    [k.b1, 1 - k.b1, k.b2, 1 - k.b2, k.eps, k.wd, k.decay, k.step, k.vScale].forEach((c, i) => consts.fill(c, 4 * i, 4 * i + 4));
    new Int32Array(this.memory.buffer, prm + 144, 4).fill(k.ok ? -1 : 0);
    this.run(ranges(n4, lanes).filter(([lo, hi]) => hi > lo).map(([lo, hi]) => [[ADAM, ps + 16 * lo, gs + 16 * lo, ms + 16 * lo, vs + 16 * lo, hi - lo, prm]]));
    [ps, ms, vs].forEach((at, i) => this.done(out[i].subarray(0, n), at));
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
