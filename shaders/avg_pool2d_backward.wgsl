// avgPool2dBackward: each window spreads dy / divisor over its in-image pixels (the divisor
// of avgPool2d: its elements inside the image and padding with COUNT_PAD, else inside the image).
// Mirrors avgPool2dBackwardDef.cpu (src/ops/pool.ts).
// Bindings: 0 dy [N, C, OH, OW], 1 dx [N, C, H, W]; f32, NCHW.
// Overrides: T = N·C·H·W (threads); H, W, OH, OW; KH, KW; SH, SW; PH, PW, PB, PR; DH, DW;
//   NONOVERLAP; COUNT_PAD.
// Design: gather form, one thread per input pixel sums the shares of the windows that contain
// it (lib/pool_pixel; with dilation only those that read it), so no atomics. 1-D, workgroup 64.
//#include lib/pool_overrides
override NONOVERLAP: bool;
override COUNT_PAD: bool;
@group(0) @binding(0) var<storage, read> dy: array<f32>;
@group(0) @binding(1) var<storage, read_write> dx: array<f32>;
//#include lib/thread
//#include lib/pool_pixel
//#include lib/pool_window
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = thread_index(gid, nwg);
  if (i >= T) { return; }
  let p = pool_pixel(i);
  var s = 0.0;
  for (var oy = p.oy0; oy <= p.oy1; oy++) {
    for (var ox = p.ox0; ox <= p.ox1; ox++) {
      if (!pool_reads(p, oy, ox)) { continue; }
      s += dy[p.plane * OH * OW + u32(oy * i32(OW) + ox)] / window_divisor(oy * SH - PH, ox * SW - PW, COUNT_PAD);
    }
  }
  dx[i] = s;
}
