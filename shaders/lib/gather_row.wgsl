// lib/gather_row: (inside main) the start of a one-thread-per-element gather (gather,
// gatherBytes): thread i writes element i % D of output row i / D, whose table row is
// idx[i / D]; past N it returns; a row outside [0, ROWS) faults (the row's first thread
// reports it, lib/fault) and its elements get __BAD__. Leaves `i` and `row` (in range) set.
  let i = thread_index(gid, nwg);
  if (i >= N) { return; }
  let row = idx[i / D];
  if (row < 0 || row >= ROWS) {
    if (i % D == 0u) { raise_fault(bitcast<u32>(row), i / D, 0u); }
    var nan_bits = 0x7fc00000u; // a var: a NaN constant does not compile
    y[i] = __BAD__;
    return;
  }
