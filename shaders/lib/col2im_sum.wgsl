// lib/col2im_sum: col2im's gather for element i of dx [N, C, H, W], the sum over the window
// positions (ki, kj) whose column reads pixel i, of dcols [N, C·KH·KW, OH·OW] (declared by the
// includer): a position is skipped unless it lands on a stride step. Its overrides carry the
// prefix __Q__ (empty in col2im.wgsl; G in col2im_max_pool2d_backward.wgsl, whose pooling has
// its own H, W, …).
override __Q__C: u32;
override __Q__H: u32;
override __Q__W: u32;
override __Q__KH: u32;
override __Q__KW: u32;
override __Q__OH: i32;
override __Q__OW: i32;
override __Q__SH: i32;
override __Q__SW: i32;
override __Q__DH: u32;
override __Q__DW: u32;
override __Q__PH: i32;
override __Q__PW: i32;
fn col2im_sum(i: u32) -> f32 {
  // i = ((n·C + c)·H + y)·W + x
  let px = i % __Q__W;
  let py = (i / __Q__W) % __Q__H;
  let c = (i / (__Q__W * __Q__H)) % __Q__C;
  let n = i / (__Q__W * __Q__H * __Q__C);
  let P = u32(__Q__OH * __Q__OW);
  let CKK = __Q__C * __Q__KH * __Q__KW;
  var s = 0.0;
  for (var ki = 0u; ki < __Q__KH; ki++) {
    let ty = i32(py) + __Q__PH - i32(ki * __Q__DH);
    if (ty < 0 || ty % __Q__SH != 0 || ty / __Q__SH >= __Q__OH) { continue; }
    for (var kj = 0u; kj < __Q__KW; kj++) {
      let tx = i32(px) + __Q__PW - i32(kj * __Q__DW);
      if (tx < 0 || tx % __Q__SW != 0 || tx / __Q__SW >= __Q__OW) { continue; }
      let r = (c * __Q__KH + ki) * __Q__KW + kj;
      s += dcols[(n * CKK + r) * P + u32(ty / __Q__SH) * u32(__Q__OW) + u32(tx / __Q__SW)];
    }
  }
  return s;
}
