// lib/pcg: the counter-based PCG hash of src/random.ts (Jarzynski & Olano 2020): u32
// multiply, xor and shift only, so the CPU and every GPU draw the same bits for (seed, index).
fn pcg(v: u32) -> u32 {
  let state = v * 747796405u + 2891336453u;
  let word = ((state >> ((state >> 28u) + 4u)) ^ state) * 277803737u;
  return (word >> 22u) ^ word;
}
fn random_bits(seed: u32, index: u32) -> u32 { return pcg(pcg(seed) + index); }
