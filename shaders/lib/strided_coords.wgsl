// lib/strided_coords: (inside main, after i) the coordinates c_k of the last R − 1 output
// axes (lib/strided), one `//#each K` line per axis; `rem` is left with the first axis'.
  var rem = i;
//#each K   let c__K__ = rem % SZ__K__; rem = rem / SZ__K__;
