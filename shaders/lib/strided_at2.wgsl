// lib/strided_at2: (inside main, after lib/strided_coords) o2, where input 2 is read: i itself
// when ID2, else IB2 + rem·ST2F + Σ_k c_k·ST2xk (lib/strided).
  var o2 = i;
  if (!ID2) {
    o2 = IB2 + rem * ST2F;
//#each K     o2 += c__K__ * ST2x__K__;
  }
