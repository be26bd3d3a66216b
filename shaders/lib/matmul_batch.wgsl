// lib/matmul_batch: for a matmul shader, which batch matrix and K-chunk workgroup z computes
// (z = batch·SPLIT + s) and where its operands and its C (or partial product) start. The batch
// shape is up to four axes BD0…BD3 (the product's batch axes right-aligned, the rest 1) with
// each operand's element stride per axis (ABS*, BBS*; 0 = broadcast along it).
struct MatmulBatch { a_off: u32, b_off: u32, c_off: u32, k_begin: u32, k_end: u32 }
fn matmul_batch(wz: u32) -> MatmulBatch {
  let z = wz / SPLIT;
  let k_begin = (wz % SPLIT) * KCHUNK;
  let b3 = z % BD3;
  let b2 = (z / BD3) % BD2;
  let b1 = (z / (BD3 * BD2)) % BD1;
  let b0 = z / (BD3 * BD2 * BD1);
  let a_off = A_BASE + b0 * ABS0 + b1 * ABS1 + b2 * ABS2 + b3 * ABS3;
  let b_off = B_BASE + b0 * BBS0 + b1 * BBS1 + b2 * BBS2 + b3 * BBS3;
  return MatmulBatch(a_off, b_off, wz * M * N, k_begin, min(k_begin + KCHUNK, K));
}
