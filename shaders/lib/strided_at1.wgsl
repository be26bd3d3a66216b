// lib/strided_at1: (inside main, after lib/strided_coords) o1, where input 1 is read: i itself
// when ID1, else IB1 + rem·ST1F + Σ_k c_k·ST1xk (lib/strided).
  var o1 = i;
  if (!ID1) {
    o1 = IB1 + rem * ST1F;
//#each K     o1 += c__K__ * ST1x__K__;
  }
