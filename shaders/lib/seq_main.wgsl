// lib/seq_main: the entry point of the recurrent sequence kernels: the tiled step (workgroup
// tiles and barriers, for GPUs) or, with DIRECT (an override: uniform, so the barriers stay in
// uniform control flow), the barrier-free step a software adapter gets.
override DIRECT: bool = false;
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) tid: u32, @builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  if (DIRECT) { direct_step(gid, nwg); } else { tiled_step(wg, tid); }
}
