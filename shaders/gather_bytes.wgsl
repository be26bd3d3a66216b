// gatherBytes: rows of a byte table, decoded to f32: y[i, d] = byte(table[idx[i]], d)·SCALE + SHIFT,
// where each table row holds D bytes packed four to a u32 word, little-endian (how a training
// set of u8 pixels lives on the device: a quarter of its f32 size, uploaded once). An index
// outside [0, ROWS) faults (lib/fault; the row's first thread reports it) and its row is NaN.
// Mirrors gatherBytesDef.cpu (src/ops/gather.ts).
// Bindings: 0 table [ROWS, W] u32 words (W = ⌈D/4⌉), 1 idx [n] i32, 2 y [n, D] f32, 3 status.
// Overrides: N = n·D (threads), ROWS, D, W, SCALE, SHIFT; SITE (set by the backend).
//   Token: __BAD__, what a bad row reads (NaN).
// Design: one thread per output element (one byte out of one word); 1-D, workgroup 64.
override N: u32;
override ROWS: i32;
override D: u32;
override W: u32;
override SCALE: f32;
override SHIFT: f32;
@group(0) @binding(0) var<storage, read> table: array<u32>;
@group(0) @binding(1) var<storage, read> idx: array<i32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<storage, read_write> status: array<atomic<u32>, 8>;
//#include lib/thread
//#include lib/fault
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
//#include lib/gather_row
  let d = i % D;
  let word = table[u32(row) * W + d / 4u];
  y[i] = f32((word >> (8u * (d % 4u))) & 0xffu) * SCALE + SHIFT;
}
