/**
 * @file Long-lived blocks of the fast module's memory (cpu_fast.ts): the index tables its
 * kernels reuse every step and, on the shared memory, the slots of a plan that runs again and
 * again (backends/cpu.ts), so that those operands are read and written where they lie instead
 * of being copied in and out around every kernel. Blocks are first fit, from `start`, in
 * address order; everything past the last block is the kernels' scratch space, so a block is
 * only made or freed between kernel calls.
 */

/** First-fit blocks of 16-byte multiples from `start` on. */
export class MemoryBlocks {
  /** Live blocks as [start, end) byte offsets, in address order. */
  private readonly blocks: [number, number][] = [];

  constructor(private readonly start: number) {}

  /** Where the last block ends: the scratch space starts there. */
  get end(): number {
    return this.blocks.length ? this.blocks[this.blocks.length - 1][1] : this.start;
  }

  /** Live bytes in blocks (tests and the leak check read it). */
  get bytes(): number {
    return this.blocks.reduce((a, [lo, hi]) => a + hi - lo, 0);
  }

  /** A block of at least `bytes` (and 16 more: kernels may read a vector past an operand); its offset. */
  reserve(bytes: number): number {
    const size = ((bytes + 15) & ~15) + 16;
    let at = this.start, i = 0;
    for (; i < this.blocks.length; i++) {
      if (this.blocks[i][0] - at >= size) break;
      at = this.blocks[i][1];
    }
    this.blocks.splice(i, 0, [at, at + size]);
    return at;
  }

  /** Frees the block at `at` (made by reserve). */
  free(at: number): void {
    const i = this.blocks.findIndex(([lo]) => lo === at);
    if (i >= 0) this.blocks.splice(i, 1);
  }
}
