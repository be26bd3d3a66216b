// lib/matmul_tile_a: matmul_tiled.wgsl's A tile, one element a load: As[k][row] for rows
// row0 … row0 + BM − 1 and k0 … k0 + BK − 1 of A (0 past the edges), ALOADS loads a thread.
fn load_a(mb: MatmulBatch, row0: u32, k0: u32, tid: u32, threads: u32) {
  for (var l = 0u; l < ALOADS; l++) {
    let e = tid + l * threads;
    if (e < BM * BK) {
      // consecutive threads take consecutive addresses of A: along K when K is its unit
      // stride, along M when M is (a transposed operand)
      let r = select(e / BK, e % BM, A_ALONG_M);
      let ka = select(e % BK, e / BM, A_ALONG_M);
      var va = 0.0;
      if (row0 + r < M && k0 + ka < mb.k_end) { va = A[mb.a_off + (row0 + r) * SAI + (k0 + ka) * SAP]; }
      As[ka * AS_ROW + r] = va;
    }
  }
}
