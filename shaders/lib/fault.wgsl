// lib/fault: report a fault to the run's status (src/ops/fault.ts has the layout). The shader
// that includes this declares `status: array<atomic<u32>, 8>` (read_write storage). SITE is
// the plan step, set by the backend. The first fault claims word 0 with a compare-and-swap
// (retried: the weak form may fail spuriously) and writes where and what; later ones do not.
override SITE: u32 = 0u;
fn raise_fault(value: u32, position: u32, detail: u32) {
  loop {
    let r = atomicCompareExchangeWeak(&status[0], 0u, 1u);
    if (r.exchanged) {
      atomicStore(&status[1], SITE);
      atomicStore(&status[2], value);
      atomicStore(&status[3], position);
      atomicStore(&status[4], detail);
      return;
    }
    if (r.old_value != 0u) { return; }
  }
}
