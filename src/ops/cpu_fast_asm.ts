/**
 * @file The fast module's assembler words beyond matmul_wasm.ts's: the opcodes its kernels
 * use, a function body from code and locals, structured if, pointer bumps and count-down
 * loops; and the fixed words at the start of its memory that the kernels read and write.
 */
import { CONTROL, MAX_WORKERS } from "./cpu_threads.ts";
import { ADD, NE, SUB, brIf, get, i32, memarg, set, simd, uleb } from "./matmul_wasm.ts";

export const [SHL, SHR_U, AND, OR, LT_S, GE_S, SELECT] = [[0x74], [0x76], [0x71], [0x72], [0x48], [0x4e], [0x1b]];
export const I32_STORE = [0x36, ...memarg(2, 0)];
export const [F32_GT, F32_NE, F32_EQ] = [[0x5e], [0x5c], [0x5b]];
export const I32_LOAD = [0x28, ...memarg(2, 0)];
export const F32_LOAD = [0x2a, ...memarg(2, 0)];
export const F32_STORE = [0x38, ...memarg(2, 0)];
export const F32_ADD = [0x92];
export const F32X4_MAX = simd(0xe9);
export const [F32X4_GT, V128_AND] = [simd(0x44), simd(0x4e)];
export const F32_FROM_BITS = [0xbe];
export const STORE32_LANE = (offset: number, lane: number) => simd(0x5a, ...memarg(2, offset), lane);
export const STORE64_LANE = (offset: number, lane: number) => simd(0x5b, ...memarg(3, offset), lane);
export const tee = (l: number) => [0x22, ...uleb(l)];

/** A function body from its code and its extra i32 locals. */
export function body(i32Locals: number, code: number[][]): number[] {
  const locals = i32Locals > 0 ? [0x01, ...uleb(i32Locals), 0x7f] : [0x00];
  const bytes = [...locals, ...code.flat(), 0x0b];
  return [...uleb(bytes.length), ...bytes];
}

/** `if cond then … [else …] end`. */
export const ifThen = (cond: number[], then: number[], otherwise?: number[]) => [...cond, 0x04, 0x40, ...then, ...(otherwise ? [0x05, ...otherwise] : []), 0x0b];
/** Advances local `l` by `step` bytes. */
export const bump = (l: number, step: number[]) => [...get(l), ...step, ...ADD, ...set(l)];
/** Decrements the counter `l` and loops while it is not zero. */
export const countDown = (l: number) => [...get(l), ...i32(1), ...SUB, ...tee(l), ...i32(0), ...NE, ...brIf(0)];

/**
 * Byte offsets of the fixed words at the start of the memory: four 0.0 to read (gather's
 * zero, ReLU's floor), a slot to write (scatter's dummy), four −∞ (no floor); then the
 * workers' control blocks (cpu_threads.ts), then the heap.
 */
export const ZERO = 0, DUMMY = 16, NO_FLOOR = 32, HEAP = CONTROL + 16 * MAX_WORKERS + 16;
export const [I32X4_ADD, I32X4_SHL] = [simd(0xae), simd(0xab)];
/** An f32x4 constant of four `v`. */
export const f32x4 = (v: number) => simd(0x0c, ...Array.from({ length: 4 }, () => [...new Uint8Array(Float32Array.of(v).buffer)]).flat());
