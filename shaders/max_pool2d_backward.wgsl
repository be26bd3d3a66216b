// maxPool2dBackward: dx[argmax of each window] += dy[window] (overlapping windows may share
// an argmax), with the argmax saved by maxPool2d (y·W + x within the plane). With MASK (the
// planner's fusion of a following reluBackward, graph/fuse.ts), dx is 0 where the pooled input
// x (a ReLU's output) is not > 0: one kernel instead of two.
// Mirrors maxPool2dBackwardDef.cpu (src/ops/pool.ts).
// Bindings: 0 dy [N, C, OH, OW] f32, 1 arg [N, C, OH, OW] i32, 2 dx [N, C, H, W] f32, 3 x
//   [N, C, H, W] f32 (dy again when MASK is off: it is not read); NCHW.
// Overrides: T (threads); H, W, OH, OW; KH, KW; SH, SW; PH, PW, PB, PR; DH, DW; NONOVERLAP
//   (window spans ≤ strides); TILES (windows tile the plane exactly: kernel = stride, no padding, nothing
//   left over); MASK.
// Design: TILES (LeNet's 2×2 on 28×28 and 10×10): one thread per window (T = N·C·OH·OW) writes
// all of its pixels, dy at the argmax and 0 elsewhere; every dx element is written once, a
// quarter of the threads and no division per pixel (about 2× faster on SwiftShader).
// Otherwise gather form: one thread per input pixel (T = N·C·H·W) sums dy over the windows
// that contain it and chose it (lib/pool_pixel: the argmax test also rules out the windows a
// dilated window skips over), so no atomics. 1-D, workgroup 64.
//#include lib/pool_overrides
override NONOVERLAP: bool;
override TILES: bool;
override MASK: bool = false;
@group(0) @binding(0) var<storage, read> dy: array<f32>;
@group(0) @binding(1) var<storage, read> arg: array<i32>;
@group(0) @binding(2) var<storage, read_write> dx: array<f32>;
@group(0) @binding(3) var<storage, read> x: array<f32>;
//#include lib/thread
//#include lib/pool_pixel
//#include lib/pool_tile
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = thread_index(gid, nwg);
  if (i >= T) { return; }
  if (TILES) {
    write_window(i, dy[i]);
    return;
  }
  let p = pool_pixel(i);
  var s = 0.0;
  for (var oy = p.oy0; oy <= p.oy1; oy++) {
    for (var ox = p.ox0; ox <= p.ox1; ox++) {
      let o = p.plane * OH * OW + u32(oy * i32(OW) + ox);
      if (arg[o] == p.pos) { s += dy[o]; }
    }
  }
  dx[i] = select(s, 0.0, MASK && !(x[i] > 0.0));
}
