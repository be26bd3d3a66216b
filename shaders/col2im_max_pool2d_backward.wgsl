// col2imMaxPool2dBackward: col2im and the max-pool backward that reads its result in one
// kernel (the planner's fusion, src/graph/fuse.ts: a convolution's input gradient flowing back
// through the pooling before it, LeNet-5's conv2 → pool1): window i of the pooling takes
// d = col2im's sum for pooled pixel i and writes its pixels as max_pool2d_backward.wgsl does
// for windows that tile the plane (the only case fused), masked by the ReLU with MASK.
// Mirrors col2imMaxPool2dBackwardDef.cpu (src/ops/pool.ts).
// Bindings: 0 dcols [N, C·GKH·GKW, GOH·GOW], 1 arg [N, C, OH, OW] i32, 2 dx [N, C, H, W],
//   3 x [N, C, H, W] (dcols again when MASK is off: it is not read); f32 but arg, NCHW.
// Overrides: the pooling's (lib/pool_overrides: T = N·C·OH·OW windows, H, W, OH, OW, KH, KW,
//   SH, SW, PH, PW) and MASK; col2im's with the prefix G (lib/col2im_sum: GC, GH = OH, GW = OW,
//   GKH, GKW, GOH, GOW, GSH, GSW, GDH, GDW, GPH, GPW).
// Design: one thread per window, as the two kernels' tiled and gather forms: no atomics, and
// the pooled gradient never goes through memory. 1-D, workgroup 64.
//#include lib/pool_overrides
override MASK: bool = false;
@group(0) @binding(0) var<storage, read> dcols: array<f32>;
@group(0) @binding(1) var<storage, read> arg: array<i32>;
@group(0) @binding(2) var<storage, read_write> dx: array<f32>;
@group(0) @binding(3) var<storage, read> x: array<f32>;
//#include lib/thread
//#include lib/col2im_sum
//#include lib/pool_tile
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = thread_index(gid, nwg);
  if (i >= T) { return; }
  write_window(i, col2im_sum(i));
}
