// scatterAdd, dispatch 1 of 2 ("chains"): the adjoint of gather, out[r, j] = Σ_{k : idx[k] = r}
// src[k, j] into a zero [ROWS, D] table, summed in index order (k ascending), as the CPU does.
// This dispatch zeroes the table and links each index to the next equal one; dispatch 2
// (scatter_add_sum.wgsl) walks the links. An index outside [0, ROWS) faults (thread 0 reports
// the first, as the CPU does) and adds nothing.
// Mirrors scatterAddDef.cpu (src/ops/gather.ts).
// Bindings: 0 idx [n] i32, 1 out [ROWS, D] f32, 2 links [n] u32 (scratch), 3 status (the run's).
// Overrides: N = max(n, ROWS·D) (threads), ROWS, D, COUNT = n; SITE (set by the backend);
//   ZERO = 0 leaves the table as it is (N = n): the sparse updates (sparse_sgd_update.wgsl,
//   sparse_adam_update.wgsl) link their indices with this dispatch, binding the parameter.
// Design: thread i < ROWS·D zeroes out[i]; thread k < n scans the indices once: links[k] =
//   the next k' > k with idx[k'] = idx[k] (COUNT if none), with HEAD set when no k' < k has
//   it. O(n²) on the indices alone (no D factor) + O(ROWS·D), no atomics (float atomics do not
//   exist in WGSL, and an atomic order would make the sum order vary): where the gather form
//   it replaces scanned every index for every table element, O(ROWS·D·n).
override N: u32;
override ROWS: i32;
override D: u32;
override COUNT: u32;
override ZERO: u32 = 1u;
@group(0) @binding(0) var<storage, read> idx: array<i32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read_write> links: array<u32>;
@group(0) @binding(3) var<storage, read_write> status: array<atomic<u32>, 8>;
//#include lib/thread
//#include lib/fault
//#include lib/scatter_links
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = thread_index(gid, nwg);
  if (i >= N) { return; }
  if (ZERO == 1u && i < u32(ROWS) * D) { out[i] = 0.0; }
  if (i >= COUNT) { return; }
  let r = idx[i];
  var next = COUNT;
  var head = true;
  for (var k = 0u; k < COUNT; k++) {
    if (idx[k] != r) { continue; }
    if (k < i) { head = false; }
    if (k > i) { next = k; break; }
  }
  links[i] = select(next, next | HEAD, head);
  if (i == 0u) {
    for (var k = 0u; k < COUNT; k++) {
      let b = idx[k];
      if (b < 0 || b >= ROWS) {
        raise_fault(bitcast<u32>(b), k, 0u);
        break;
      }
    }
  }
}
