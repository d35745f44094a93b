import { formatDuration, type ProgressSink } from '../sweep/progress.js';
import type { PeriodProgress } from './generate.js';

/**
 * Period report progress on stderr: one line rewritten in place on a terminal (≤ 10 per second),
 * a plain line every 5 s otherwise, like the sweep's.
 */
export class PeriodProgressReporter {
  private readonly started = Date.now();
  private last = 0;
  private shown = false;

  constructor(private readonly sink: ProgressSink) {}

  update(progress: PeriodProgress): void {
    const now = Date.now();
    const interval = this.sink.isTTY ? 100 : 5000;
    if (now - this.last < interval && progress.chainsDone < progress.chains) return;
    this.last = now;
    const elapsed = now - this.started;
    const rate = elapsed > 0 ? Math.round((progress.recordsRead / elapsed) * 1000) : 0;
    const line = `report: chain ${progress.chainsDone}/${progress.chains}, ${progress.recordsRead} records read (${progress.recordsInPeriod} in period), ${rate}/s, ${formatDuration(elapsed)}`;
    if (this.sink.isTTY) {
      const width = this.sink.columns ?? 120;
      this.sink.write(`\r${line.slice(0, width - 1).padEnd(Math.min(width - 1, line.length + 2))}`);
      this.shown = true;
    } else this.sink.write(`${line}\n`);
  }

  finish(): void {
    if (this.shown) this.sink.write('\n');
  }
}
