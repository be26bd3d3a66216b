/**
 * @file Counter-based random numbers. A value is a pure function of (seed, index), so the CPU
 * reference and a WGSL kernel draw the same numbers in any order and any thread layout: the
 * dropout mask of element i is `uniform(seed, i) >= p` on every backend.
 * The hash is PCG's output permutation (Jarzynski & Olano, "Hash Functions for GPU
 * Rendering", 2020): u32 multiply, xor and shift only, all exact in WGSL.
 */

/** One round of the PCG hash on a u32. */
export function pcgHash(v: number): number {
  const state = (Math.imul(v >>> 0, 747796405) + 2891336453) >>> 0;
  const word = Math.imul(((state >>> ((state >>> 28) + 4)) ^ state) >>> 0, 277803737) >>> 0;
  return ((word >>> 22) ^ word) >>> 0;
}

/** u32 random bits for element `index` of stream `seed`. */
export function randomBits(seed: number, index: number): number {
  return pcgHash((pcgHash(seed >>> 0) + (index >>> 0)) >>> 0);
}

/** A seeded permutation of 0…n−1 (Fisher–Yates on stream `seed`): the same order for the same seed. */
export function permutation(n: number, seed: number): Int32Array {
  const order = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = randomBits(seed, i) % (i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}

/** Uniform in [0, 1) with 24 random bits: exactly representable in f32. */
export function uniform(seed: number, index: number): number {
  return (randomBits(seed, index) >>> 8) * 5.960464477539063e-8; // 2^-24
}

let globalSeed = 0x5eed;
let drawn = 0;

/** Resets the seed stream that creation functions and dropout use when given no seed. */
export function manualSeed(seed: number): void {
  globalSeed = seed >>> 0;
  drawn = 0;
}

/** The next seed of the global stream: deterministic after `manualSeed`. */
export function nextSeed(): number {
  return randomBits(globalSeed, drawn++);
}

/**
 * Whether element `index` survives dropout with drop probability p: uniform ≥ p, decided on
 * the 24 random bits against the integer ⌈p·2²⁴⌉ so f32 (WGSL) and f64 (JS) agree exactly.
 */
export function keepThreshold(p: number): number {
  return Math.ceil(p * 16777216);
}

// The same hash in WGSL: shaders/lib/pcg.wgsl.

/** Fills `out` with standard normals (Box–Muller on two uniforms per pair). */
export function fillNormal(out: Float32Array | Float64Array, seed: number, mean = 0, std = 1): void {
  for (let i = 0; i < out.length; i += 2) {
    const u1 = ((randomBits(seed, i) >>> 8) + 1) * 5.960464477539063e-8; // (0, 1]: log is finite
    const u2 = uniform(seed, i + 1);
    const r = Math.sqrt(-2 * Math.log(u1));
    out[i] = mean + std * r * Math.cos(2 * Math.PI * u2);
    if (i + 1 < out.length) out[i + 1] = mean + std * r * Math.sin(2 * Math.PI * u2);
  }
}
