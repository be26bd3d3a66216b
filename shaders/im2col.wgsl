// im2col: the column matrices of a convolution, one image after another. With P = OH·OW and
// CKK = C·KH·KW: cols[n, r, p] = x[n, c, oy·SH − PH + i·DH, ox·SW − PW + j·DW] (0 in the
// padding) for r = (c·KH + i)·KW + j and p = oy·OW + ox; a convolution is then a matmul.
// Mirrors im2colDef.cpu (src/ops/conv2d.ts).
// Bindings: 0 x [N, C, H, W], 1 cols [N, CKK, P]; f32, row-major (NCHW).
// Overrides: T (threads: N·C·KH·KW·OH, or N·C·KH·KW·OH·OW without SEGMENTS); C, H, W, KH, KW,
//   OH, OW; SH, SW (stride); DH, DW (dilation); PH, PW (padding); SEGMENTS.
// Design: for a GPU (SEGMENTS off), one thread per element of cols: consecutive threads write
// consecutive addresses (coalesced) and, at stride 1, read consecutive pixels. On a software
// adapter (SEGMENTS), one thread per cols row segment (n, r, oy): the ox that read inside the
// image form one run [lo, hi), computed once, so the copy loop has no bounds test and the
// padding on either side is a plain fill (fewer, longer loops suit a CPU). 1-D, workgroup 64.
override T: u32;
override C: u32;
override H: i32;
override W: i32;
override KH: u32;
override KW: u32;
override OH: u32;
override OW: i32;
override SH: u32;
override SW: i32;
override DH: u32;
override DW: u32;
override PH: i32;
override PW: i32;
override SEGMENTS: bool = true;
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> cols: array<f32>;
//#include lib/thread
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = thread_index(gid, nwg);
  if (i >= T) { return; }
  if (!SEGMENTS) {
    // i = ((((n·C + c)·KH + ki)·KW + kj)·OH + oy)·OW + ox, the index into cols
    let ox = i32(i % u32(OW));
    let row = i / u32(OW);
    let oy = row % OH;
    let kj = (row / OH) % KW;
    let ki = (row / (OH * KW)) % KH;
    let nc = row / (OH * KW * KH);
    let y = i32(oy * SH + ki * DH) - PH;
    let xx = ox * SW - PW + i32(kj * DW);
    var v = 0.0;
    if (y >= 0 && y < H && xx >= 0 && xx < W) { v = x[(nc * u32(H) + u32(y)) * u32(W) + u32(xx)]; }
    cols[i] = v;
    return;
  }
  // i = (((n·C + c)·KH + ki)·KW + kj)·OH + oy
  let oy = i % OH;
  let kj = (i / OH) % KW;
  let ki = (i / (OH * KW)) % KH;
  let nc = i / (OH * KW * KH);
  let base = i * u32(OW);
  let y = i32(oy * SH + ki * DH) - PH;
  // column ox reads x at ox·SW − shift: inside the image for ox ∈ [lo, hi)
  let shift = PW - i32(kj * DW);
  var lo = 0;
  var hi = 0;
  if (y >= 0 && y < H) {
    lo = clamp(select(0, (shift + SW - 1) / SW, shift > 0), 0, OW);
    hi = clamp(select(0, (W - 1 + shift) / SW + 1, W - 1 + shift >= 0), lo, OW);
  }
  let src = i32((nc * u32(H) + u32(max(y, 0))) * u32(W)) - shift;
  for (var ox = 0; ox < lo; ox++) { cols[base + u32(ox)] = 0.0; }
  for (var ox = lo; ox < hi; ox++) { cols[base + u32(ox)] = x[u32(src + ox * SW)]; }
  for (var ox = hi; ox < OW; ox++) { cols[base + u32(ox)] = 0.0; }
}
