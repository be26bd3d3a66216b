// avgPool2d: y = the mean of each window of x (floor mode); the divisor is KH·KW when padding
// counts (PyTorch's countIncludePad, the default) or no padding can occur, else the number of
// the window's pixels inside the image.
// Mirrors avgPool2dDef.cpu (src/ops/pool.ts).
// Bindings: 0 x [N, C, H, W], 1 y [N, C, OH, OW]; f32, NCHW.
// Overrides: T = N·C·OH·OW (threads); H, W, OH, OW; KH, KW; SH, SW; PH, PW; INSIDE (no
//   padding); COUNT_PAD (divide by KH·KW).
// Design: as max_pool2d.wgsl: one thread per output element, constant offsets inside the
// image, the clipped window otherwise. 1-D, workgroup 64.
//#include lib/pool_overrides
override INSIDE: bool;
override COUNT_PAD: bool;
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
//#include lib/thread
//#include lib/pool_window
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = thread_index(gid, nwg);
  if (i >= T) { return; }
  let w = pool_window(i);
  let base = w.plane * H * W;
  var s = 0.0;
  if (INSIDE) {
    for (var dy = 0; dy < KH; dy++) {
      for (var dx = 0; dx < KW; dx++) { s += x[base + u32(w.corner + dy * i32(W) + dx)]; }
    }
  } else {
    for (var yy = w.y0; yy < w.y1; yy++) {
      for (var xx = w.x0; xx < w.x1; xx++) { s += x[base + u32(yy * i32(W) + xx)]; }
    }
  }
  y[i] = s / select(f32((w.y1 - w.y0) * (w.x1 - w.x0)), f32(KH * KW), COUNT_PAD || INSIDE);
}
