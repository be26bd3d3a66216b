// avgPool2d: y = the mean of each window of x (dilation; floor or ceil mode, in OH and OW); the
// divisor is the number of the window's elements inside the image and its padding (PyTorch's
// countIncludePad, the default: KH·KW but where ceil mode's last windows run past the padding),
// else the number inside the image.
// Mirrors avgPool2dDef.cpu (src/ops/pool.ts).
// Bindings: 0 x [N, C, H, W], 1 y [N, C, OH, OW]; f32, NCHW.
// Overrides: T = N·C·OH·OW (threads); H, W, OH, OW; KH, KW; SH, SW; PH, PW, PB, PR; DH, DW;
//   INSIDE (no padding, no dilation); COUNT_PAD (count the padding).
// Design: as max_pool2d.wgsl: one thread per output element, constant offsets inside the
// image, the window's elements in order otherwise (lib/pool_window counts the divisor).
// 1-D, workgroup 64.
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
    for (var ky = 0; ky < KH; ky++) {
      let yy = w.top + ky * DH;
      if (yy < 0 || yy >= i32(H)) { continue; }
      for (var kx = 0; kx < KW; kx++) {
        let xx = w.left + kx * DW;
        if (xx >= 0 && xx < i32(W)) { s += x[base + u32(yy * i32(W) + xx)]; }
      }
    }
  }
  y[i] = s / select(window_divisor(w.top, w.left, COUNT_PAD), f32(KH * KW), INSIDE);
}
