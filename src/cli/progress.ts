/**
 * @file A one-line progress bar for long loops: redrawn in place on a terminal, printed every
 * 10 % otherwise (CI logs stay short). Writes to stderr so stdout keeps the results.
 */
export class ProgressBar {
  private lastPrinted = -1;
  private readonly start = performance.now();
  private readonly tty = !!process.stderr.isTTY;

  constructor(readonly label: string, readonly total: number, readonly width = 24) {}

  /** Elapsed seconds since the bar was made. */
  get seconds(): number {
    return (performance.now() - this.start) / 1000;
  }

  update(done: number, info: string): void {
    const frac = this.total ? done / this.total : 1;
    const decile = Math.floor(frac * 10);
    if (!this.tty && decile === this.lastPrinted && done !== this.total) return;
    this.lastPrinted = decile;
    const filled = Math.round(frac * this.width);
    const bar = "█".repeat(filled) + "░".repeat(this.width - filled);
    const line = `${this.label} ${bar} ${String(Math.round(frac * 100)).padStart(3)}% ${done}/${this.total} ${info}`;
    process.stderr.write(this.tty ? `\r${line}\x1b[K` : `${line}\n`);
  }

  done(): void {
    if (this.tty) process.stderr.write("\n");
  }
}
