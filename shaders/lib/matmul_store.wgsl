// lib/matmul_store: how a matmul kernel stores output element `at` of C. Plainly (PLAIN = 1),
// or (POOL = 1: the planner's fusion of a max-pool backward that reads the product,
// src/graph/fuse.ts) as the pooled gradient of window `at`: lib/pool_tile writes the window's
// pixels into C, which is then the pooling's input gradient [N, C, H, W], from the argmax
// (binding 4, i32) and, with MASK, the ReLU output pool_x (binding 5). Counts PLAIN + POOL = 1;
// POOL needs R = 0 (binding 4 is D's otherwise).
//#each POOL @group(0) @binding(4) var<storage, read> arg: array<i32>;
//#each POOL @group(0) @binding(5) var<storage, read> pool_x: array<f32>;
//#each POOL //#include lib/pool_overrides
//#each POOL override MASK: bool = false;
//#each POOL //#include lib/pool_tile
//#each POOL fn store_c(at: u32, v: f32) { write_window(at, v); }
//#each PLAIN fn store_c(at: u32, v: f32) { C[at] = v; }
