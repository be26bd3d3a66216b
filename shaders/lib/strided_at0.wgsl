// lib/strided_at0: (inside main, after lib/strided_coords) o0, where input 0 is read: i itself
// when ID0, else IB0 + rem·ST0F + Σ_k c_k·ST0xk (lib/strided).
  var o0 = i;
  if (!ID0) {
    o0 = IB0 + rem * ST0F;
//#each K     o0 += c__K__ * ST0x__K__;
  }
