// lib/pool_tile: max-pool backward for windows that tile the plane exactly (kernel = stride, no
// padding, nothing left over): window i writes every pixel it covers, d at its argmax (arg[i],
// y·W + x within the plane) and 0 elsewhere; with MASK, d is 0 where the pooled input x (a
// ReLU's output) is not > 0. Uses the includer's lib/pool_overrides, MASK and its bindings arg
// (i32), the pooled input __PX__ and the output __DX__ (tokens: the includer's names).
fn write_window(i: u32, d0: f32) {
  let plane = i / (OH * OW);
  let corner = i32((i / OW) % OH) * SH * i32(W) + i32(i % OW) * SW;
  let base = plane * H * W + u32(corner);
  let at = arg[i];
  // the window's max is x at its argmax: masked out with it when it is not > 0
  let d = select(d0, 0.0, MASK && !(__PX__[base - u32(corner) + u32(at)] > 0.0));
  for (var ky = 0; ky < KH; ky++) {
    for (var kx = 0; kx < KW; kx++) {
      let off = ky * i32(W) + kx;
      __DX__[base + u32(off)] = select(0.0, d, at == corner + off);
    }
  }
}
