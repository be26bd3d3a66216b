// lib/pool_pixel: for a pooling backward shader (lib/pool_overrides, and NONOVERLAP): input
// pixel i → its plane, (py, px), pos = py·W + px, and the range of output windows
// [oy0, oy1] × [ox0, ox1] that contain it (empty when oy0 > oy1). Window oy covers rows
// oy·SH − PH … oy·SH − PH + KH − 1, so oy ∈ [⌈(py + PH − KH + 1)/SH⌉, ⌊(py + PH)/SH⌋]; windows
// that do not overlap (NONOVERLAP: KH ≤ SH and KW ≤ SW) leave the pixel one candidate or none.
struct Pixel { plane: u32, pos: i32, oy0: i32, oy1: i32, ox0: i32, ox1: i32 }
fn pool_pixel(i: u32) -> Pixel {
  let plane = i / (H * W);
  let py = i32((i / W) % H);
  let px = i32(i % W);
  let pos = py * i32(W) + px;
  if (NONOVERLAP) {
    let oy = (py + PH) / SH;
    let ox = (px + PW) / SW;
    let hit = oy < i32(OH) && ox < i32(OW) && py + PH - oy * SH < KH && px + PW - ox * SW < KW;
    return Pixel(plane, pos, oy, select(oy - 1, oy, hit), ox, ox);
  }
  return Pixel(plane, pos, max(0, (py + PH - KH + SH) / SH), min(i32(OH) - 1, (py + PH) / SH),
               max(0, (px + PW - KW + SW) / SW), min(i32(OW) - 1, (px + PW) / SW));
}
