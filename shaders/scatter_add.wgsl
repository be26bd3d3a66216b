// scatterAdd: the adjoint of gather, out[r, j] = Σ_{k : idx[k] = r} src[k, j] into a zero
// [ROWS, D] table. An index outside [0, ROWS) faults (thread 0 reports the first) and adds
// nothing.
// Mirrors scatterAddDef.cpu (src/ops/gather.ts).
// Bindings: 0 src [n, D] f32, 1 idx [n] i32, 2 out [ROWS, D] f32, 3 status (the run's).
// Overrides: N = ROWS·D (threads), ROWS, D, COUNT = n (indices); SITE (set by the backend).
// Design: gather form, no atomics: thread (r, j) scans every index and sums the matching
// src[k, j]; O(ROWS·D·n) work, fine for a batch's indices.
override N: u32;
override ROWS: i32;
override D: u32;
override COUNT: u32;
@group(0) @binding(0) var<storage, read> src: array<f32>;
@group(0) @binding(1) var<storage, read> idx: array<i32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<storage, read_write> status: array<atomic<u32>, 8>;
//#include lib/thread
//#include lib/fault
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = thread_index(gid, nwg);
  if (i >= N) { return; }
  let row = i32(i / D);
  let j = i % D;
  var s = 0.0;
  for (var k = 0u; k < COUNT; k++) {
    let r = idx[k];
    if (r == row) { s += src[k * D + j]; }
    if (i == 0u && (r < 0 || r >= ROWS)) { raise_fault(bitcast<u32>(r), k, 0u); }
  }
  out[i] = s;
}
