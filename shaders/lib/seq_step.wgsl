// lib/seq_step: what the recurrent sequence kernels share (src/ops/recurrent_seq.ts). The
// includer declares `override T, B, H`, `override REVERSE: bool`, `const G` (gates: 4 LSTM,
// 3 GRU) and `P: vec4u` (the per-dispatch uniform: P.x = the step). Step s runs time index
// time_of(s): s forward, T − 1 − s with REVERSE.
fn time_of(s: u32) -> u32 { return select(s, T - 1u - s, REVERSE); }
// The backward kernels ping-pong the recurrent gradient between the op's dh0 (and dc0)
// outputs and a scratch buffer so that the last step (s = T − 1) lands in the outputs: step s
// writes the outputs when T − 1 − s is even and reads what step s − 1 wrote, the other one.
fn writes_out(s: u32) -> bool { return ((T - 1u - s) & 1u) == 0u; }
