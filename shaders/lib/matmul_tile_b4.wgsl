// lib/matmul_tile_b4: matmul_tiled.wgsl's B tile four elements a load (B bound as vec4<f32>),
// for a B whose unit-stride length (N, or K along K), other stride and offsets are multiples
// of 4 (src/ops/matmul_kernel.ts `vec4Loads`). BLOADS counts vec4 loads a thread.
fn load_b(mb: MatmulBatch, col0: u32, k0: u32, tid: u32, threads: u32) {
  for (var l = 0u; l < BLOADS; l++) {
    let e = tid + l * threads;
    if (e < BK * BN / 4u) {
      // along N: k kb, columns c … c + 3; along K: k kb … kb + 3, column c
      let kb = select(e / (BN / 4u), (e % (BK / 4u)) * 4u, B_ALONG_K);
      let c = select((e % (BN / 4u)) * 4u, e / (BK / 4u), B_ALONG_K);
      var vb = vec4<f32>(0.0);
      if (k0 + kb < mb.k_end && col0 + c < N) { vb = B[(mb.b_off + (k0 + kb) * SBP + (col0 + c) * SBJ) / 4u]; }
      for (var q = 0u; q < 4u; q++) {
        if (B_ALONG_K) { Bs[(kb + q) * BS_ROW + c] = vb[q]; } else { Bs[kb * BS_ROW + c + q] = vb[q]; }
      }
    }
  }
}
