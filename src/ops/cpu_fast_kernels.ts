/**
 * @file The fast mode's WebAssembly module (cpu_fast.ts runs it): its kernels for products,
 * movement, pooling and sums, assembled here with matmul_wasm.ts's and cpu_fast_asm.ts's
 * words (the cell and optimizer kernels are in cpu_fast_cells.ts), and the module's bytes.
 * - `gemm`: a float32 f32x4 kernel over operands packed in panels of four rows.
 * - `gather(dst, src, idx, n, zero)`: dst[i] = src[idx[i]], or 0 where idx[i] < 0. With an
 *   index table made once per shape (cached) it is the matmul's packing of any strided operand
 *   into panels, and im2col; `runCopy`/`runAdd` do the same by runs of the table.
 * - `scatter(dst, src, idx, n, dummy)`: dst[idx[i]] += src[i] where idx[i] ≥ 0, i in order:
 *   col2im (float32 sums, in the reference's order).
 * - `unpack(dst, pc, row, m, n, bias, bRow, bCol, relu)`: the product's padded rows into
 *   [m][n], adding a bias (per row or per column) and applying ReLU (matmulBiasAct's epilogue).
 */
import { adamBody, gruBackBody, gruBody, lstmBackBody, lstmBody, vexpBody } from "./cpu_fast_cells.ts";
import { AND, DUMMY, F32X4_GT, F32X4_MAX, F32_ADD, F32_GT, F32_LOAD, F32_STORE, GE_S, I32_LOAD, I32_STORE, LT_S, NO_FLOOR, SELECT, SHL, SHR_U, STORE32_LANE, STORE64_LANE, V128_AND, ZERO, body, bump, countDown, f32x4, ifThen, I32X4_ADD, I32X4_SHL } from "./cpu_fast_asm.ts";
import { ADD, F32X4_ADD, F32X4_MUL, LOAD32_SPLAT, MUL, NE, SUB, V128_LOAD, V128_STORE, V128_ZERO, brIf, get, i32, loop, memarg, section, set, simd, uleb } from "./matmul_wasm.ts";

/**
 * gemm(pa, pb, pc, mBlocks, nBlocks, k, rowBytes, rows), k ≥ 1: C (`rows` rows, rowBytes apart,
 * of nBlocks·4 float32 at pc) = A · B from operands packed in panels [block][p][4]. Rows past
 * `rows` are neither stored nor, for a last block of one or two rows, computed; so where n is
 * a multiple of 4 and there is no epilogue the product goes straight into its output (no
 * unpack). Two adjacent blocks of C's columns at a time: a 4×8 block as eight f32x4 sums, one
 * splat of A's element and two vector multiply-adds per row and p (six loads for 32
 * multiply-adds, and eight independent sums, where a 4×4 block has five loads for 16 and its
 * four sums wait on the add's latency: 8.6 → 10.9 GMAC/s on one thread at 256³ here); the last
 * block column alone when nBlocks is odd. Float32 sums, p in order, no fused multiply-add:
 * every block shape gives the same bits. (Tried and dropped: reading an unpacked B in place,
 * no faster for LeNet-5's products and 4× slower at 1024; unrolling p by two, 20 % slower.)
 */
function gemmBody(): number[] {
  const [PA, PB, PC, MB, NB, K, ROW, ROWS] = [0, 1, 2, 3, 4, 5, 6, 7];
  const [IB, JB, P, APTR, BPTR, CPTR, LEFT, PANEL] = [8, 9, 10, 11, 12, 13, 14, 15];
  const [ACC, B0, B1, AV] = [(r: number, h: number) => 16 + 2 * r + h, 24, 25, 26];
  // the block at column block JB, `wide`: two blocks (B's second panel PANEL bytes on); its
  // first `height` rows (2 for a last block of one or two rows: m = 6 computes 6 rows, not 8)
  const block = (wide: boolean, height: number) => {
    const halves = wide ? [0, 1] : [0], rows = Array.from({ length: height }, (_, r) => r);
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
  const columns = (height: number) => [
    ...ifThen([...get(NB), ...i32(2), ...GE_S], loop(block(true, height), bump(JB, i32(2)), get(JB), i32(2), ADD, get(NB), [0x4c], brIf(0))),
    ...ifThen([...get(JB), ...get(NB), ...LT_S], block(false, height)),
  ];
  const code = [
    get(K), i32(16), MUL, set(PANEL), i32(0), set(IB),
    loop(
      i32(0), set(JB), get(ROWS), get(IB), i32(4), MUL, SUB, set(LEFT),
      // pairs of column blocks, then the last one alone
      ifThen([...get(LEFT), ...i32(2), ...[0x4c]], columns(2), columns(4)),
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
export const MAX_PAGES = 65536;

/**
 * The module's bytes: imports memory "m"."mem" (shared, up to MAX_PAGES, with `shared`);
 * exports the functions FN_NAMES lists (cpu_threads.ts), vexp (10) aside.
 */
export function fastModuleBytes(shared = false): Uint8Array<ArrayBuffer> {
  const fnType = (params: number) => [0x60, params, ...new Array(params).fill(0x7f), 0];
  const type = section(1, [5, ...fnType(6), ...fnType(5), ...fnType(9), ...fnType(8), 0x60, 1, 0x7b, 1, 0x7b]);
  const limits = shared ? [0x03, 0x01, ...uleb(MAX_PAGES)] : [0x00, 0x01];
  const imports = section(2, [1, 1, 0x6d, 3, 0x6d, 0x65, 0x6d, 0x02, ...limits]);
  const funcs = section(3, [20, 3, 1, 1, 2, 1, 1, 3, 1, 1, 1, 4, 2, 2, 2, 1, 1, 0, 1, 2, 2]);
  const name = (s: string, f: number) => [s.length, ...[...s].map((ch) => ch.charCodeAt(0)), 0x00, f];
  const exports = section(7, [19, ...name("gemm", 0), ...name("gather", 1), ...name("scatter", 2), ...name("unpack", 3), ...name("pack4", 4), ...name("pack4T", 5), ...name("wmax", 6), ...name("keep", 7), ...name("segsum", 8), ...name("colsum", 9), ...name("lstm", 11), ...name("lstmBack", 12), ...name("adam", 13), ...name("runCopy", 14), ...name("runAdd", 15), ...name("planeScatter", 16), ...name("zero", 17), ...name("gru", 18), ...name("gruBack", 19)]);
  const code = section(10, [20, ...gemmBody(), ...gatherBody(), ...scatterBody(), ...unpackBody(), ...pack4Body(), ...pack4TBody(), ...wmaxBody(), ...keepBody(), ...segsumBody(), ...colsumBody(), ...vexpBody(), ...lstmBody(), ...lstmBackBody(), ...adamBody(), ...runsBody(false), ...runsBody(true), ...planeScatterBody(), ...zeroBody(), ...gruBody(), ...gruBackBody()]);
  return new Uint8Array([0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0, ...type, ...imports, ...funcs, ...exports, ...code]);
}

/** The module's functions by index (a call is [index, ...arguments]); cpu_threads.ts FN_NAMES names them. */
export const [GEMM, GATHER, SCATTER, UNPACK, PACK4, PACK4T, WMAX, KEEP, SEGSUM, COLSUM, LSTM, LSTM_BACK, ADAM, RUN_COPY, RUN_ADD, PLANE_SCATTER, ZERO_FILL, GRU, GRU_BACK] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 14, 15, 16, 17, 18, 19];
