// lib/matmul_tile_b: matmul_tiled.wgsl's B tile, one element a load: Bs[k][col] for k0 … k0 +
// BK − 1 and columns col0 … col0 + BN − 1 of B (0 past the edges), BLOADS loads a thread. The
// includer defines `b_at(off, p, j)`, B's element (p, j) of the batch at `off`: read from B
// (matmul_tiled.wgsl) or computed from an image (lib/matmul_tile_b_im2col).
fn load_b(mb: MatmulBatch, col0: u32, k0: u32, tid: u32, threads: u32) {
  for (var l = 0u; l < BLOADS; l++) {
    let e = tid + l * threads;
    if (e < BK * BN) {
      let kb = select(e / BN, e % BK, B_ALONG_K);
      let c = select(e % BN, e / BK, B_ALONG_K);
      var vb = 0.0;
      if (k0 + kb < mb.k_end && col0 + c < N) { vb = b_at(mb.b_off, k0 + kb, col0 + c); }
      Bs[kb * BS_ROW + c] = vb;
    }
  }
}
