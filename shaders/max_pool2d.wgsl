// maxPool2d: y = the max of each window of x (padding counts as −∞, floor mode), and arg its
// argmax as y·W + x within the plane: the first maximum, a NaN winning over any number.
// Mirrors maxPool2dDef.cpu (src/ops/pool.ts).
// Bindings: 0 x [N, C, H, W], 1 y [N, C, OH, OW] f32, 2 arg [N, C, OH, OW] i32; NCHW.
// Overrides: T = N·C·OH·OW (threads); H, W, OH, OW; KH, KW (kernel); SH, SW (stride);
//   PH, PW (padding); INSIDE (no padding: every window lies in the image).
// Design: one thread per output element. A window inside the image is read at constant
// offsets from its corner with no bounds test (a loop of constant trip count, unrolled by the
// compiler: LeNet's 2×2 about 4× faster on SwiftShader than the clipped loop); otherwise the
// window is clipped to the image. 1-D, workgroup 64.
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
    for (var yy = w.y0; yy < w.y1; yy++) {
      for (var xx = w.x0; xx < w.x1; xx++) {
        let pos = yy * i32(W) + xx;
        let v = x[base + u32(pos)];
        if (at < 0 || v > best || (is_nan(v) && !is_nan(best))) { best = v; at = pos; }
      }
    }
  }
  y[i] = best;
  arg[i] = at;
}
