// lib/matmul_tile_b_im2col: `b_at` for lib/matmul_tile_b's B tile where B is a convolution's column
// matrices, read from its image x [N, C, H, W] (bound as B, batch stride C·H·W) and never
// stored: im2colMatmul (src/ops/im2col_matmul.ts). Column r = (c·KH + i)·KW + j, position
// q = oy·OW + ox of an image hold x[c, oy·SH − PH + i·DH, ox·SW − PW + j·DW] (0 in the
// padding), as shaders/im2col.wgsl stores them; B(p, j) is (r, q) = (p, j), or with IC_T
// (a weight gradient's colsᵀ) (j, p). Overrides IC_C … IC_PW: the window geometry.
// Loads follow q, the unit stride of both cols and x (B_ALONG_K with IC_T): consecutive
// threads read consecutive pixels.
override IC_H: i32;
override IC_W: i32;
override IC_KH: u32;
override IC_KW: u32;
override IC_OW: u32;
override IC_SH: i32;
override IC_SW: i32;
override IC_DH: i32;
override IC_DW: i32;
override IC_PH: i32;
override IC_PW: i32;
override IC_T: bool = false;
fn im2col_at(off: u32, r: u32, q: u32) -> f32 {
  let c = r / (IC_KH * IC_KW);
  let i = i32((r / IC_KW) % IC_KH);
  let j = i32(r % IC_KW);
  let y = i32(q / IC_OW) * IC_SH - IC_PH + i * IC_DH;
  let x = i32(q % IC_OW) * IC_SW - IC_PW + j * IC_DW;
  if (y < 0 || y >= IC_H || x < 0 || x >= IC_W) { return 0.0; }
  return B[off + (c * u32(IC_H) + u32(y)) * u32(IC_W) + u32(x)];
}
// B(p, j): the column matrices' (p, j), or with IC_T their transpose's
fn b_at(off: u32, p: u32, j: u32) -> f32 {
  if (IC_T) { return im2col_at(off, j, p); }
  return im2col_at(off, p, j);
}
