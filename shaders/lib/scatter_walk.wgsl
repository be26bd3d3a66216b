// lib/scatter_walk: walking scatterAdd's links (lib/scatter_links) from a row's first index.
// Uses the includer's bindings src [n, D] (the rows), idx [n] i32 and links [n] u32, and its
// overrides ROWS, D and COUNT.

// The table row index k names, when k is that row's first index (its head) and the row is
// inside the table; −1 otherwise (only a head's thread writes).
fn head_row(k: u32) -> i32 {
  let r = idx[k];
  if ((links[k] & HEAD) == 0u || r < 0 || r >= ROWS) { return -1; }
  return r;
}

// src[k, j] + src[k', j] + … over k and every index linked after it: the row's sum in index
// order (as the CPU adds them).
fn linked_sum(k: u32, j: u32) -> f32 {
  var s = src[k * D + j];
  var next = links[k] & ~HEAD;
  for (var guard = 0u; next < COUNT && guard < COUNT; guard++) {
    s += src[next * D + j];
    next = links[next] & ~HEAD;
  }
  return s;
}
