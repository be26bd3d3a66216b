// lib/matmul_overrides: what every matmul shader is told. C (M×N) = A (M×K) · B (K×N), with
// A(i, p) at A_BASE + i·SAI + p·SAP and B(p, j) at B_BASE + p·SBP + j·SBJ (a transposed operand
// is a swap of strides); SPLIT K-chunks of KCHUNK (split-K); batch axes BD0…BD3 with operand
// strides ABS*, BBS*; the epilogue EPI: 0 none, 1 act(· + bias[j]), 2 act(· + bias[i]), 3 · masked by y > 0 (a
// convolution's bias per output channel). Binding 3 is the bias (the backend binds A there
// when there is none: it is then never read). Tokens __AT__, __BT__: A's and B's element
// type, f32, or vec4<f32> where the tiled kernel loads the operand four at a time.
override M: u32;
override N: u32;
override K: u32;
override SAI: u32;
override SAP: u32;
override SBP: u32;
override SBJ: u32;
override A_BASE: u32 = 0u;
override B_BASE: u32 = 0u;
override SPLIT: u32 = 1u;
override KCHUNK: u32;
override BD0: u32 = 1u;
override BD1: u32 = 1u;
override BD2: u32 = 1u;
override BD3: u32 = 1u;
override ABS0: u32 = 0u;
override ABS1: u32 = 0u;
override ABS2: u32 = 0u;
override ABS3: u32 = 0u;
override BBS0: u32 = 0u;
override BBS1: u32 = 0u;
override BBS2: u32 = 0u;
override BBS3: u32 = 0u;
override EPI: u32 = 0u;
@group(0) @binding(0) var<storage, read> A: array<__AT__>;
@group(0) @binding(1) var<storage, read> B: array<__BT__>;
@group(0) @binding(2) var<storage, read_write> C: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
