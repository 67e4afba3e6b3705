// A one-line progress bar for long work: redrawn in place on a TTY, printed every ~5% otherwise
// (CI logs), with rate and ETA. Writes to stderr so JSON on stdout stays clean.

export class Progress {
  private readonly start = Date.now();
  private lastPrinted = -1;

  constructor(
    private readonly label: string,
    private readonly total: number,
    private readonly stream: NodeJS.WriteStream = process.stderr,
  ) {}

  update(done: number, extra = ''): void {
    const frac = this.total > 0 ? Math.min(1, done / this.total) : 1;
    const elapsed = (Date.now() - this.start) / 1000;
    const eta = done > 0 ? (elapsed / done) * (this.total - done) : NaN;
    const width = 24;
    const filled = Math.round(frac * width);
    const line = `${this.label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${this.total} ${formatSeconds(elapsed)}${Number.isFinite(eta) ? ` eta ${formatSeconds(eta)}` : ''}${extra ? ` ${extra}` : ''}`;
    if (this.stream.isTTY) {
      this.stream.write(`\r${line}\x1b[K`);
      if (done >= this.total) this.stream.write('\n');
      return;
    }
    const bucket = Math.floor(frac * 20);
    if (bucket !== this.lastPrinted || done >= this.total) {
      this.lastPrinted = bucket;
      this.stream.write(`${line}\n`);
    }
  }
}

export function formatSeconds(s: number): string {
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  return `${m}m${String(Math.round(s - m * 60)).padStart(2, '0')}s`;
}
