// lib/strided: the overrides of the strided shaders. The output's axes are numbered from the
// last: SZk is the size of axis k from the end (k = 0 the last axis); the shader splits i into
// the coordinates c_k of the R − 1 last axes with one `//#each K` line per axis (the rank is a
// variant, so no division by 1 is left for a compiler that does not fold it), and what is left,
// `rem`, is the first axis' coordinate. Input j is read at IBj + rem·STjF + Σ_k c_k·STjxk (its
// strides per axis, from the end; 0 along a broadcast axis), or at i itself when IDj (it is laid
// out like the output).
override SZ0: u32 = 1u;
override SZ1: u32 = 1u;
override SZ2: u32 = 1u;
override SZ3: u32 = 1u;
override SZ4: u32 = 1u;
override IB0: u32 = 0u;
override IB1: u32 = 0u;
override IB2: u32 = 0u;
override ID0: bool = false;
override ID1: bool = false;
override ID2: bool = false;
override ST0F: u32 = 0u;
override ST1F: u32 = 0u;
override ST2F: u32 = 0u;
override ST0x0: u32 = 0u;
override ST0x1: u32 = 0u;
override ST0x2: u32 = 0u;
override ST0x3: u32 = 0u;
override ST0x4: u32 = 0u;
override ST1x0: u32 = 0u;
override ST1x1: u32 = 0u;
override ST1x2: u32 = 0u;
override ST1x3: u32 = 0u;
override ST1x4: u32 = 0u;
override ST2x0: u32 = 0u;
override ST2x1: u32 = 0u;
override ST2x2: u32 = 0u;
override ST2x3: u32 = 0u;
override ST2x4: u32 = 0u;
