// lib/thread: the index of a 1-D kernel's thread. The backend folds a dispatch of more than
// maxComputeWorkgroupsPerDimension workgroups of 64 into a 2-D grid (x · 64 threads a row of
// workgroups); this recovers the flat index. Every 1-D kernel uses @workgroup_size(64) and
// returns at once when thread_index(…) ≥ its thread count.
fn thread_index(gid: vec3u, nwg: vec3u) -> u32 { return gid.x + gid.y * nwg.x * 64u; }
