// lib/pool_window: for a pooling shader (lib/pool_overrides): output
// element i → its plane, window (oy, ox), the window's unpadded top-left pixel corner = y·W + x
// (outside the image when the window starts in the padding), and its rows [y0, y1) and columns
// [x0, x1) clipped to the image (H).
struct Window { plane: u32, oy: i32, ox: i32, corner: i32, y0: i32, y1: i32, x0: i32, x1: i32 }
fn pool_window(i: u32) -> Window {
  let plane = i / (OH * OW);
  let oy = i32((i / OW) % OH);
  let ox = i32(i % OW);
  let top = oy * SH - PH;
  let left = ox * SW - PW;
  return Window(plane, oy, ox, oy * SH * i32(W) + ox * SW, max(top, 0), min(top + KH, i32(H)), max(left, 0), min(left + KW, i32(W)));
}
