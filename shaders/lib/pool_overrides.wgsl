// lib/pool_overrides: what every pooling shader is told: T (threads), the plane H×W, the output
// OH×OW, the window KH×KW, the stride SH, SW, the padding top PH, left PW, bottom PB, right PR,
// and the dilation DH, DW (window (oy, ox) reads rows oy·SH − PH + ky·DH and columns
// ox·SW − PW + kx·DW).
override T: u32;
override H: u32;
override W: u32;
override OH: u32;
override OW: u32;
override KH: i32;
override KW: i32;
override SH: i32;
override SW: i32;
override PH: i32;
override PW: i32;
override PB: i32;
override PR: i32;
override DH: i32;
override DW: i32;
