// lib/scatter_links: scatterAdd's link word (scatter_add.wgsl writes it, scatter_add_sum.wgsl
// reads it): the next index k' with the same row (COUNT: none), HEAD set on a row's first index.
const HEAD = 0x80000000u;
