// pack: one member of a flat buffer of tensors (ops/pack.ts): out[OFFSET + i] = x[i] for
// i < N, and 0 for N ≤ i < SPAN (the gap up to the next member's aligned start), so a pack
// writes every element of its output with one dispatch per member.
// Mirrors packDef.cpu (src/ops/pack.ts).
// Bindings: 0 x [N] (__T__), 1 out [total] (__T__).
// Overrides: N (the member's elements), SPAN (N rounded up to the alignment), OFFSET.
// Tokens: __T__ (element type).
// Design: one thread per element of the span; 1-D, workgroup 64.
override N: u32;
override SPAN: u32;
override OFFSET: u32;
@group(0) @binding(0) var<storage, read> x: array<__T__>;
@group(0) @binding(1) var<storage, read_write> out: array<__T__>;
//#include lib/thread
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = thread_index(gid, nwg);
  if (i >= SPAN) { return; }
  out[OFFSET + i] = select(__T__(0), x[min(i, N - 1u)], i < N);
}
