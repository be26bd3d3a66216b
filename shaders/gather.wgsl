// gather: embedding lookup, y[i, :] = table[idx[i], :]. An index outside [0, ROWS) faults
// (lib/fault; the row's first thread reports it) and its row reads NaN (0 in an i32 table).
// Mirrors gatherDef.cpu (src/ops/gather.ts).
// Bindings: 0 table [ROWS, D] __T__, 1 idx [n] i32, 2 y [n, D] __T__, 3 status (the run's).
// Overrides: N = n·D (threads), ROWS, D; SITE (set by the backend).
//   Tokens: __T__ (f32 for embeddings, i32 for a table of labels), __BAD__ (what a bad row reads).
// Design: one thread per output element; 1-D, workgroup 64.
override N: u32;
override ROWS: i32;
override D: u32;
@group(0) @binding(0) var<storage, read> table: array<__T__>;
@group(0) @binding(1) var<storage, read> idx: array<i32>;
@group(0) @binding(2) var<storage, read_write> y: array<__T__>;
@group(0) @binding(3) var<storage, read_write> status: array<atomic<u32>, 8>;
//#include lib/thread
//#include lib/fault
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
//#include lib/gather_row
  y[i] = table[u32(row) * D + i % D];
}
