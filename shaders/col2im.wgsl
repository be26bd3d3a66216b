// col2im: the adjoint of im2col, dx[n, c, y, x] = Σ over the (ki, kj, oy, ox) whose window
// reads (y, x) of dcols[n, (c·KH + ki)·KW + kj, oy·OW + ox].
// Mirrors col2imDef.cpu (src/ops/conv2d.ts).
// Bindings: 0 dcols [N, C·KH·KW, OH·OW], 1 dx [N, C, H, W]; f32, row-major (NCHW).
// Overrides: T = N·C·H·W (threads); C, H, W, KH, KW, OH, OW; SH, SW; DH, DW; PH, PW (lib/col2im_sum,
//   token __Q__ empty).
// Design: gather form, one thread per dx element sums the columns that read it, so no
// atomics; a window position is skipped unless it lands on a stride step. 1-D, workgroup 64.
override T: u32;
@group(0) @binding(0) var<storage, read> dcols: array<f32>;
@group(0) @binding(1) var<storage, read_write> dx: array<f32>;
//#include lib/thread
//#include lib/col2im_sum
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = thread_index(gid, nwg);
  if (i >= T) { return; }
  dx[i] = col2im_sum(i);
}
