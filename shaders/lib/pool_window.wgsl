// lib/pool_window: for a pooling shader (lib/pool_overrides): output element i → its plane,
// window (oy, ox), its first row `top` and column `left` (negative in the padding), and the
// unpadded top-left pixel corner = y·W + x (for windows inside the image, without dilation).
struct Window { plane: u32, oy: i32, ox: i32, corner: i32, top: i32, left: i32 }
fn pool_window(i: u32) -> Window {
  let plane = i / (OH * OW);
  let oy = i32((i / OW) % OH);
  let ox = i32(i % OW);
  return Window(plane, oy, ox, oy * SH * i32(W) + ox * SW, oy * SH - PH, ox * SW - PW);
}

// How many of a window line's k elements start, start + d, … lie in [lo, hi).
fn line_count(start: i32, d: i32, k: i32, lo: i32, hi: i32) -> i32 {
  var n = 0;
  for (var j = 0; j < k; j++) {
    let v = start + j * d;
    if (v >= lo && v < hi) { n++; }
  }
  return n;
}

// The divisor of an average window at (top, left): its elements inside the image and its
// padding (count_pad), else inside the image.
fn window_divisor(top: i32, left: i32, count_pad: bool) -> f32 {
  if (count_pad) {
    return f32(line_count(top, DH, KH, -PH, i32(H) + PB) * line_count(left, DW, KW, -PW, i32(W) + PR));
  }
  return f32(line_count(top, DH, KH, 0, i32(H)) * line_count(left, DW, KW, 0, i32(W)));
}
