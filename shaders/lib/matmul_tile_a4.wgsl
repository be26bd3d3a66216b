// lib/matmul_tile_a4: matmul_tiled.wgsl's A tile four elements a load (A bound as vec4<f32>),
// for an A whose unit-stride length (K, or M along M), other stride and offsets are multiples
// of 4 (src/ops/matmul_kernel.ts `vec4Loads`): a vec4 then never straddles an edge, a row or a
// K-chunk. ALOADS counts vec4 loads a thread.
fn load_a(mb: MatmulBatch, row0: u32, k0: u32, tid: u32, threads: u32) {
  for (var l = 0u; l < ALOADS; l++) {
    let e = tid + l * threads;
    if (e < BM * BK / 4u) {
      // along K: row r, k ka … ka + 3; along M: rows r … r + 3, k ka
      let r = select(e / (BK / 4u), (e % (BM / 4u)) * 4u, A_ALONG_M);
      let ka = select((e % (BK / 4u)) * 4u, e / (BM / 4u), A_ALONG_M);
      var va = vec4<f32>(0.0);
      if (row0 + r < M && k0 + ka < mb.k_end) { va = A[(mb.a_off + (row0 + r) * SAI + (k0 + ka) * SAP) / 4u]; }
      for (var q = 0u; q < 4u; q++) {
        if (A_ALONG_M) { As[ka * AS_ROW + r + q] = va[q]; } else { As[(ka + q) * AS_ROW + r] = va[q]; }
      }
    }
  }
}
