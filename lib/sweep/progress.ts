import type { SweepProgress } from './types.js';

/**
 * Sweep progress for a terminal: one line rewritten in place on a TTY (at most ~10 times a
 * second), plain lines every few seconds otherwise (CI logs, pipes). Aggregates subscriptions.
 */
export interface ProgressSink {
  write(chunk: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface ProgressTotals {
  subscriptions: number;
  subscriptionsDone: number;
  listed: number;
  decided: number;
  remediated: number;
  failed: number;
  /** every subscription finished listing: `listed` is the final total */
  listingDone: boolean;
}

export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  return minutes < 60
    ? `${minutes}m${String(seconds % 60).padStart(2, '0')}s`
    : `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`;
}

/** ETA from the decision rate so far; unknown until listing has finished (the total is unknown before). */
export function estimateRemainingMs(totals: ProgressTotals, elapsedMs: number): number | null {
  if (!totals.listingDone || totals.decided === 0 || elapsedMs <= 0) return null;
  const rate = totals.decided / elapsedMs;
  return Math.max(0, totals.listed - totals.decided) / rate;
}

export function formatProgress(totals: ProgressTotals, elapsedMs: number): string {
  const eta = estimateRemainingMs(totals, elapsedMs);
  const of = totals.listingDone ? `/${totals.listed}` : ` (${totals.listed} listed so far)`;
  return (
    `sweep: ${totals.decided}${of} evaluated, ${totals.remediated} remediated, ${totals.failed} failed · ` +
    `${totals.subscriptionsDone}/${totals.subscriptions} subscriptions · ${formatDuration(elapsedMs)}` +
    (eta === null ? '' : ` · ETA ${formatDuration(eta)}`)
  );
}

export class ProgressReporter {
  private readonly latest = new Map<string, SweepProgress>();
  private readonly started: number;
  private lastWrite = 0;
  private wroteLine = false;

  constructor(
    private readonly sink: ProgressSink,
    private readonly subscriptions: number,
    private readonly now: () => number = () => Date.now(),
  ) {
    this.started = now();
  }

  totals(): ProgressTotals {
    const all = [...this.latest.values()];
    const sum = (pick: (p: SweepProgress) => number) => all.reduce((total, p) => total + pick(p), 0);
    const done = all.filter((p) => p.listingDone && p.decided >= p.listed).length;
    return {
      subscriptions: this.subscriptions,
      subscriptionsDone: done,
      listed: sum((p) => p.listed),
      decided: sum((p) => p.decided),
      remediated: sum((p) => p.remediated),
      failed: sum((p) => p.failed),
      listingDone: all.length === this.subscriptions && all.every((p) => p.listingDone),
    };
  }

  update(progress: SweepProgress): void {
    this.latest.set(progress.subscriptionId, progress);
    const now = this.now();
    const interval = this.sink.isTTY ? 100 : 5000;
    if (now - this.lastWrite < interval) return;
    this.lastWrite = now;
    this.render(now);
  }

  private render(now: number): void {
    const line = formatProgress(this.totals(), now - this.started);
    if (this.sink.isTTY) {
      const width = this.sink.columns ?? 120;
      this.sink.write(`\r\x1b[2K${line.length >= width ? `${line.slice(0, width - 2)}…` : line}`);
      this.wroteLine = true;
    } else {
      this.sink.write(`${line}\n`);
    }
  }

  /** Final state; on a TTY ends the rewritten line. */
  finish(): void {
    this.render(this.now());
    if (this.sink.isTTY && this.wroteLine) this.sink.write('\n');
  }
}
