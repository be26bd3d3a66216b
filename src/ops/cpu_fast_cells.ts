/**
 * @file The fast module's cell and optimizer kernels (assembled into cpu_fast_kernels.ts's
 * module): vexp (an f32x4 expf), one LSTM or GRU step's cell update and its backward, and Adam's
 * update, each four elements at a time, as their ops' references compute them.
 */
import { F32X4_MAX, SHR_U, V128_AND, bump, countDown, f32x4, I32X4_ADD, I32X4_SHL } from "./cpu_fast_asm.ts";
import { ADD, F32X4_ADD, F32X4_MUL, MUL, V128_LOAD, V128_STORE, get, i32, loop, set, simd, uleb } from "./matmul_wasm.ts";

const [F32X4_MIN, F32X4_SUB, F32X4_DIV, F32X4_NEG, F32X4_NEAREST] = [simd(0xe8), simd(0xe5), simd(0xe7), simd(0xe1), simd(0x6a)];
const I32X4_TRUNC_SAT = simd(0xf8);
/** The function index of vexp, and of the LSTM cell (see fastModuleBytes). */
const VEXP_FN = 10;

/** The byte offset of gate k's row in a [rows][G·h] block at local `base` (h floats at local `h`). */
const gateAt = (h: number, base: number, k: number) => [...get(h), ...i32(4), ...MUL, ...i32(k), ...MUL, ...get(base), ...ADD];
/** σ of the f32x4 on the stack (1 / (1 + e^−v)), with local `t` (v128) as its scratch. */
const vsig = (t: number) => [...F32X4_NEG, 0x10, VEXP_FN, ...f32x4(1), ...F32X4_ADD, ...set(t), ...f32x4(1), ...get(t), ...F32X4_DIV];
/** tanh of the f32x4 on the stack, as 2σ(2v) − 1. */
const vtanh = (t: number) => [...f32x4(2), ...F32X4_MUL, ...vsig(t), ...f32x4(2), ...F32X4_MUL, ...f32x4(1), ...F32X4_SUB];
/** 1 − local v. */
const oneMinus = (v: number) => [...f32x4(1), ...get(v), ...F32X4_SUB];
/** The product of the terms' f32x4s, left to right. */
const vmul = (...terms: number[][]) => [...terms[0], ...terms.slice(1).flatMap((t) => [...t, ...F32X4_MUL])];

/**
 * vexp(x: v128) → v128: e^x per lane, Cephes's expf (range reduction by ln 2 in two parts, a
 * degree-6 polynomial, the power of two built in the exponent bits): a few ULP, as WGSL's exp;
 * x clamped to [−87, 88] (no denormals, no infinity).
 */
export function vexpBody(): number[] {
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
export function lstmBody(): number[] {
  const [XP, HID, CP, CPROW, SV, HS, B, H] = [0, 1, 2, 3, 4, 5, 6, 7];
  const [J, XB, HB, CB, SB, OB] = [9, 10, 11, 12, 13, 14];
  const [T, GI, GF, GG, GO, C] = [15, 16, 17, 18, 19, 20];
  const H4 = [...get(H), ...i32(4), ...MUL]; // bytes of h floats
  const at = (base: number, k: number) => gateAt(H, base, k);
  const gate = (k: number) => [...at(XB, k), ...V128_LOAD(0), ...at(HB, k), ...V128_LOAD(0), ...F32X4_ADD];
  const [sig, tanh] = [vsig(T), vtanh(T)];
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
export function lstmBackBody(): number[] {
  const [SV, DHS, DHR, DCR, DX, DCN, B, H] = [0, 1, 2, 3, 4, 5, 6, 7];
  const [J, SB, HB, RB, CB, XB, NB] = [9, 10, 11, 12, 13, 14, 15];
  const [T, GI, GF, GG, GO, CP, TC, DH, DC] = [16, 17, 18, 19, 20, 21, 22, 23, 24];
  const H4 = [...get(H), ...i32(4), ...MUL];
  const at = (base: number, k: number) => gateAt(H, base, k);
  const load = (base: number, k: number, v: number) => [...at(base, k), ...V128_LOAD(0), ...set(v)];
  const [sig, tanh] = [vsig(T), vtanh(T)];
  const code = [loop(
    get(SV), set(SB), get(DHS), set(HB), get(DHR), set(RB), get(DCR), set(CB), get(DX), set(XB), get(DCN), set(NB),
    get(H), i32(2), SHR_U, set(J),
    loop(
      load(SB, 0, GI), load(SB, 1, GF), load(SB, 2, GG), load(SB, 3, GO), load(SB, 4, CP),
      at(SB, 5), V128_LOAD(0), tanh, set(TC),
      get(HB), V128_LOAD(0), get(RB), V128_LOAD(0), F32X4_ADD, set(DH),
      // dc' = dcRec + dh·o·(1 − tc²)
      get(CB), V128_LOAD(0), vmul(get(DH), get(GO), [...f32x4(1), ...get(TC), ...get(TC), ...F32X4_MUL, ...F32X4_SUB]), F32X4_ADD, set(DC),
      get(XB), vmul(get(DC), get(GG), get(GI), oneMinus(GI)), V128_STORE(0),
      at(XB, 1), vmul(get(DC), get(CP), get(GF), oneMinus(GF)), V128_STORE(0),
      at(XB, 2), vmul(get(DC), get(GI), [...f32x4(1), ...get(GG), ...get(GG), ...F32X4_MUL, ...F32X4_SUB]), V128_STORE(0),
      at(XB, 3), vmul(get(DH), get(TC), get(GO), oneMinus(GO)), V128_STORE(0),
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
export function adamBody(): number[] {
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
 * gru(x, gh, hp, saved, hs, b, h, _, _), b ≥ 1, h a multiple of 4: one GRU step's cell update
 * for b rows, four units at a time, from x [b][3h] (the input projections) and gh [b][3h]
 * (h_prev·W_hhᵀ + b_hh), gate order r, z, n: r = σ(x_r + gh_r), z = σ(x_z + gh_z),
 * n = tanh(x_n + r·gh_n), h = (1 − z)·n + z·h_prev (hp [b][h]); saved [b][4h] = r, z, n, gh_n
 * and hs [b][h] = h, as gruSequence's reference stores them.
 */
export function gruBody(): number[] {
  const [XP, GH, HP, SV, HS, B, H] = [0, 1, 2, 3, 4, 5, 6];
  const [J, XB, GB, PB, SB, OB] = [9, 10, 11, 12, 13, 14];
  const [T, R, Z, N, GN] = [15, 16, 17, 18, 19];
  const H4 = [...get(H), ...i32(4), ...MUL];
  const at = (base: number, k: number) => gateAt(H, base, k);
  const load = (base: number, k: number) => [...at(base, k), ...V128_LOAD(0)];
  const [sig, tanh] = [vsig(T), vtanh(T)];
  const store = (base: number, k: number, v: number) => [...at(base, k), ...get(v), ...V128_STORE(0)];
  const code = [loop(
    get(XP), set(XB), get(GH), set(GB), get(HP), set(PB), get(SV), set(SB), get(HS), set(OB),
    get(H), i32(2), SHR_U, set(J),
    loop(
      load(XB, 0), load(GB, 0), F32X4_ADD, sig, set(R),
      load(XB, 1), load(GB, 1), F32X4_ADD, sig, set(Z),
      load(GB, 2), set(GN),
      load(XB, 2), get(R), get(GN), F32X4_MUL, F32X4_ADD, tanh, set(N),
      store(SB, 0, R), store(SB, 1, Z), store(SB, 2, N), store(SB, 3, GN),
      // h = (1 − z)·n + z·h_prev
      get(OB), f32x4(1), get(Z), F32X4_SUB, get(N), F32X4_MUL, get(Z), get(PB), V128_LOAD(0), F32X4_MUL, F32X4_ADD, V128_STORE(0),
      bump(XB, i32(16)), bump(GB, i32(16)), bump(PB, i32(16)), bump(SB, i32(16)), bump(OB, i32(16)), countDown(J),
    ),
    // the next row: x, gh 3h floats on, h_prev and hs h, saved 4h
    bump(XP, [...H4, ...i32(3), ...MUL]), bump(GH, [...H4, ...i32(3), ...MUL]), bump(HP, H4),
    bump(SV, [...H4, ...i32(4), ...MUL]), bump(HS, H4), countDown(B),
  )];
  const locals = [0x02, 6, 0x7f, 5, 0x7b]; // J … OB: i32 (params 7, 8 unused); T, R, Z, N, GN: v128
  const bytes = [...locals, ...code.flat(), 0x0b];
  return [...uleb(bytes.length), ...bytes];
}

/**
 * gruBack(saved, dhs, dhRec, hprev, dx, dgh, dhz, b, h), b ≥ 1, h a multiple of 4: one GRU
 * step's backward cell for b rows, four units at a time, as gruSequenceBackward's reference:
 * dh = dhs + dhRec, dn = dh(1−z)(1−n²), dz = dh(h_prev − n)z(1−z), dr = dn·gh_n·r(1−r);
 * dx = [dr, dz, dn] and dgh = [dr, dz, dn·r] ([b][3h]), dhz = dh·z ([b][h]: the direct path
 * of h_prev into h, which the product dgh·W_hh is then added to).
 */
export function gruBackBody(): number[] {
  const [SV, DHS, DHR, HPV, DX, DGH, DHZ, B, H] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const [J, SB, HB, RB, PB, XB, GB, ZB] = [9, 10, 11, 12, 13, 14, 15, 16];
  const [R, Z, N, GN, DH, DN, DZ, DR] = [17, 18, 19, 20, 21, 22, 23, 24];
  const H4 = [...get(H), ...i32(4), ...MUL];
  const at = (base: number, k: number) => gateAt(H, base, k);
  const load = (base: number, k: number, v: number) => [...at(base, k), ...V128_LOAD(0), ...set(v)];
  const store = (base: number, k: number, v: number[]) => [...at(base, k), ...v, ...V128_STORE(0)];
  const code = [loop(
    get(SV), set(SB), get(DHS), set(HB), get(DHR), set(RB), get(HPV), set(PB), get(DX), set(XB), get(DGH), set(GB), get(DHZ), set(ZB),
    get(H), i32(2), SHR_U, set(J),
    loop(
      load(SB, 0, R), load(SB, 1, Z), load(SB, 2, N), load(SB, 3, GN),
      get(HB), V128_LOAD(0), get(RB), V128_LOAD(0), F32X4_ADD, set(DH),
      vmul(get(DH), oneMinus(Z), [...f32x4(1), ...get(N), ...get(N), ...F32X4_MUL, ...F32X4_SUB]), set(DN),
      vmul(get(DH), [...get(PB), ...V128_LOAD(0), ...get(N), ...F32X4_SUB], get(Z), oneMinus(Z)), set(DZ),
      vmul(get(DN), get(GN), get(R), oneMinus(R)), set(DR),
      store(XB, 0, get(DR)), store(XB, 1, get(DZ)), store(XB, 2, get(DN)),
      store(GB, 0, get(DR)), store(GB, 1, get(DZ)), store(GB, 2, vmul(get(DN), get(R))),
      get(ZB), get(DH), get(Z), F32X4_MUL, V128_STORE(0),
      bump(SB, i32(16)), bump(HB, i32(16)), bump(RB, i32(16)), bump(PB, i32(16)), bump(XB, i32(16)), bump(GB, i32(16)), bump(ZB, i32(16)), countDown(J),
    ),
    bump(SV, [...H4, ...i32(4), ...MUL]), bump(DHS, H4), bump(DHR, H4), bump(HPV, H4),
    bump(DX, [...H4, ...i32(3), ...MUL]), bump(DGH, [...H4, ...i32(3), ...MUL]), bump(DHZ, H4), countDown(B),
  )];
  const locals = [0x02, 8, 0x7f, 8, 0x7b]; // J … ZB: i32; R … DR: v128
  const bytes = [...locals, ...code.flat(), 0x0b];
  return [...uleb(bytes.length), ...bytes];
}
