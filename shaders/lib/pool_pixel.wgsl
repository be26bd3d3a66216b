// lib/pool_pixel: for a pooling backward shader (lib/pool_overrides, and NONOVERLAP): input
// pixel i → its plane, (py, px), pos = py·W + px, and the range of output windows
// [oy0, oy1] × [ox0, ox1] whose span contains it (empty when oy0 > oy1). Window oy spans rows
// oy·SH − PH … oy·SH − PH + span − 1 (span = DH·(KH − 1) + 1), so oy ∈
// [⌈(py + PH − span + 1)/SH⌉, ⌊(py + PH)/SH⌋]; with dilation a window in that range reads the
// pixel only where (py + PH − oy·SH) is a multiple of DH (pool_reads). Windows that do not
// overlap (NONOVERLAP: span ≤ stride) leave the pixel one candidate or none.
struct Pixel { plane: u32, py: i32, px: i32, pos: i32, oy0: i32, oy1: i32, ox0: i32, ox1: i32 }
fn pool_pixel(i: u32) -> Pixel {
  let plane = i / (H * W);
  let py = i32((i / W) % H);
  let px = i32(i % W);
  let pos = py * i32(W) + px;
  let sh = DH * (KH - 1) + 1;
  let sw = DW * (KW - 1) + 1;
  if (NONOVERLAP) {
    let oy = (py + PH) / SH;
    let ox = (px + PW) / SW;
    let hit = oy < i32(OH) && ox < i32(OW) && py + PH - oy * SH < sh && px + PW - ox * SW < sw;
    return Pixel(plane, py, px, pos, oy, select(oy - 1, oy, hit), ox, ox);
  }
  return Pixel(plane, py, px, pos, max(0, (py + PH - sh + SH) / SH), min(i32(OH) - 1, (py + PH) / SH),
               max(0, (px + PW - sw + SW) / SW), min(i32(OW) - 1, (px + PW) / SW));
}

// Whether window (oy, ox), one of the pixel's candidates, reads it (with dilation, not all do).
fn pool_reads(p: Pixel, oy: i32, ox: i32) -> bool {
  return (p.py + PH - oy * SH) % DH == 0 && (p.px + PW - ox * SW) % DW == 0;
}
