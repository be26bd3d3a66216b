/**
 * @file A one-line progress bar for long loops: redrawn in place on a terminal, printed every
 * 10 % otherwise (CI logs stay short). Writes to stderr so stdout keeps the results. It shows
 * an ETA from the rate so far (counted from where the bar started: a resumed epoch starts
 * part-way), and the elapsed time once done.
 */
export interface ProgressOptions {
  width?: number;
  /** Where the count starts (a resumed epoch's first batch): the rate counts from here. */
  from?: number;
  /** Draw only on a terminal (short loops such as evaluation: nothing in CI logs). */
  ttyOnly?: boolean;
}

/** Seconds as "42 s", "3:07" or "1:02:03". */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  const two = (n: number) => String(n).padStart(2, "0");
  return s < 3600 ? `${Math.floor(s / 60)}:${two(s % 60)}` : `${Math.floor(s / 3600)}:${two(Math.floor(s / 60) % 60)}:${two(s % 60)}`;
}

export class ProgressBar {
  private lastPrinted = -1;
  private readonly start = performance.now();
  private readonly tty = !!process.stderr.isTTY;
  private readonly width: number;
  private readonly from: number;
  private readonly silent: boolean;

  constructor(readonly label: string, readonly total: number, opts: ProgressOptions = {}) {
    this.width = opts.width ?? 24;
    this.from = opts.from ?? 0;
    this.silent = !!opts.ttyOnly && !this.tty;
  }

  /** Elapsed seconds since the bar was made. */
  get seconds(): number {
    return (performance.now() - this.start) / 1000;
  }

  /** "ETA 1:23" from the rate since the start, "in 42 s" when done, "" before the first step. */
  eta(done: number): string {
    if (done >= this.total) return `in ${formatDuration(this.seconds)}`;
    if (done <= this.from) return "";
    return `ETA ${formatDuration(((this.total - done) * this.seconds) / (done - this.from))}`;
  }

  update(done: number, info: string): void {
    if (this.silent) return;
    const frac = this.total ? done / this.total : 1;
    const decile = Math.floor(frac * 10);
    if (!this.tty && decile === this.lastPrinted && done !== this.total) return;
    this.lastPrinted = decile;
    const filled = Math.round(frac * this.width);
    const bar = "█".repeat(filled) + "░".repeat(this.width - filled);
    const eta = this.eta(done);
    const line = `${this.label} ${bar} ${String(Math.round(frac * 100)).padStart(3)}% ${done}/${this.total} ${info}${info && eta ? " " : ""}${eta}`;
    process.stderr.write(this.tty ? `\r${line}\x1b[K` : `${line}\n`);
  }

  done(): void {
    if (this.tty && !this.silent) process.stderr.write("\n");
  }
}
