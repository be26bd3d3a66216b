// maxPool2d: y = the max of each window of x (padding counts as −∞; dilation; the output size
// from the padding, floor or ceil mode, in OH and OW), and arg its argmax as y·W + x within the
// plane: the first maximum, a NaN winning over any number.
// Mirrors maxPool2dDef.cpu (src/ops/pool.ts).
// Bindings: 0 x [N, C, H, W], 1 y [N, C, OH, OW] f32, 2 arg [N, C, OH, OW] i32; NCHW.
// Overrides: T = N·C·OH·OW (threads); H, W, OH, OW; KH, KW (kernel); SH, SW (stride);
//   PH, PW, PB, PR (padding); DH, DW (dilation); INSIDE (no padding, no dilation: every window
//   lies in the image, its elements contiguous).
// Design: one thread per output element. A window inside the image is read at constant
// offsets from its corner with no bounds test (a loop of constant trip count, unrolled by the
// compiler: LeNet's 2×2 about 4× faster on SwiftShader than the clipped loop); otherwise the
// window's elements are visited in order, those outside the image skipped. 1-D, workgroup 64.
//#include lib/pool_overrides
override INSIDE: bool;
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<storage, read_write> arg: array<i32>;
//#include lib/thread
//#include lib/nan
//#include lib/pool_window
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = thread_index(gid, nwg);
  if (i >= T) { return; }
  let w = pool_window(i);
  let base = w.plane * H * W;
  var best = 0.0;
  var at = -1;
  if (INSIDE) {
    for (var dy = 0; dy < KH; dy++) {
      for (var dx = 0; dx < KW; dx++) {
        let pos = w.corner + dy * i32(W) + dx;
        let v = x[base + u32(pos)];
        if (at < 0 || v > best || (is_nan(v) && !is_nan(best))) { best = v; at = pos; }
      }
    }
  } else {
    for (var ky = 0; ky < KH; ky++) {
      let yy = w.top + ky * DH;
      if (yy < 0 || yy >= i32(H)) { continue; }
      for (var kx = 0; kx < KW; kx++) {
        let xx = w.left + kx * DW;
        if (xx < 0 || xx >= i32(W)) { continue; }
        let pos = yy * i32(W) + xx;
        let v = x[base + u32(pos)];
        if (at < 0 || v > best || (is_nan(v) && !is_nan(best))) { best = v; at = pos; }
      }
    }
  }
  y[i] = best;
  arg[i] = at;
}
