// col2im: the adjoint of im2col, dx[n, c, y, x] = Σ over the (ki, kj, oy, ox) whose window
// reads (y, x) of dcols[n, (c·KH + ki)·KW + kj, oy·OW + ox].
// Mirrors col2imDef.cpu (src/ops/conv2d.ts).
// Bindings: 0 dcols [N, C·KH·KW, OH·OW], 1 dx [N, C, H, W]; f32, row-major (NCHW).
// Overrides: T = N·C·H·W (threads); C, H, W, KH, KW, OH, OW; SH, SW; DH, DW; PH, PW.
// Design: gather form, one thread per dx element sums the columns that read it, so no
// atomics; a window position is skipped unless it lands on a stride step. 1-D, workgroup 64.
override T: u32;
override C: u32;
override H: u32;
override W: u32;
override KH: u32;
override KW: u32;
override OH: i32;
override OW: i32;
override SH: i32;
override SW: i32;
override DH: u32;
override DW: u32;
override PH: i32;
override PW: i32;
@group(0) @binding(0) var<storage, read> dcols: array<f32>;
@group(0) @binding(1) var<storage, read_write> dx: array<f32>;
//#include lib/thread
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = thread_index(gid, nwg);
  if (i >= T) { return; }
  // i = ((n·C + c)·H + y)·W + x
  let px = i % W;
  let py = (i / W) % H;
  let c = (i / (W * H)) % C;
  let n = i / (W * H * C);
  let P = u32(OH * OW);
  let CKK = C * KH * KW;
  var s = 0.0;
  for (var ki = 0u; ki < KH; ki++) {
    let ty = i32(py) + PH - i32(ki * DH);
    if (ty < 0 || ty % SH != 0 || ty / SH >= OH) { continue; }
    for (var kj = 0u; kj < KW; kj++) {
      let tx = i32(px) + PW - i32(kj * DW);
      if (tx < 0 || tx % SW != 0 || tx / SW >= OW) { continue; }
      let r = (c * KH + ki) * KW + kj;
      s += dcols[(n * CKK + r) * P + u32(ty / SH) * u32(OW) + u32(tx / SW)];
    }
  }
  dx[i] = s;
}
