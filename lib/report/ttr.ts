/**
 * Time-to-remediate distribution in constant memory: exact count, sum and max, a coarse histogram
 * for the chart, and a fine logarithmic histogram (buckets 5 % wide) for percentiles, so a
 * million remediations cost the same few kilobytes as ten.
 */

export const TTR_BUCKETS: readonly { label: string; upToMs: number }[] = [
  { label: '< 10s', upToMs: 10_000 },
  { label: '10–30s', upToMs: 30_000 },
  { label: '30s–1m', upToMs: 60_000 },
  { label: '1–2m', upToMs: 120_000 },
  { label: '2–5m', upToMs: 300_000 },
  { label: '5–15m', upToMs: 900_000 },
  { label: '15–60m', upToMs: 3_600_000 },
  { label: '1–4h', upToMs: 14_400_000 },
  { label: '4–24h', upToMs: 86_400_000 },
  { label: '> 1d', upToMs: Number.POSITIVE_INFINITY },
];

const RATIO = 1.05;
const FINE_MIN_MS = 100;

export interface TtrSummary {
  count: number;
  meanSeconds: number | null;
  /** upper bound of the 5 %-wide bucket holding the percentile */
  p50Seconds: number | null;
  p90Seconds: number | null;
  p95Seconds: number | null;
  maxSeconds: number | null;
  buckets: { label: string; count: number }[];
}

export class TtrHistogram {
  private count = 0;
  private sumMs = 0;
  private maxMs = 0;
  private readonly coarse = new Array<number>(TTR_BUCKETS.length).fill(0);
  private readonly fine = new Map<number, number>();

  add(ms: number): void {
    const value = Math.max(0, ms);
    this.count += 1;
    this.sumMs += value;
    this.maxMs = Math.max(this.maxMs, value);
    const index = TTR_BUCKETS.findIndex((bucket) => value < bucket.upToMs);
    this.coarse[index] = (this.coarse[index] ?? 0) + 1;
    const fine = value <= FINE_MIN_MS ? 0 : Math.ceil(Math.log(value / FINE_MIN_MS) / Math.log(RATIO));
    this.fine.set(fine, (this.fine.get(fine) ?? 0) + 1);
  }

  private percentile(p: number): number | null {
    if (this.count === 0) return null;
    const rank = Math.ceil(p * this.count);
    let seen = 0;
    for (const [bucket, n] of [...this.fine].sort(([a], [b]) => a - b)) {
      seen += n;
      if (seen >= rank) return Math.min(this.maxMs, FINE_MIN_MS * RATIO ** bucket) / 1000;
    }
    return this.maxMs / 1000;
  }

  summary(): TtrSummary {
    const round = (seconds: number | null) => (seconds === null ? null : Math.round(seconds * 10) / 10);
    return {
      count: this.count,
      meanSeconds: this.count ? round(this.sumMs / this.count / 1000) : null,
      p50Seconds: round(this.percentile(0.5)),
      p90Seconds: round(this.percentile(0.9)),
      p95Seconds: round(this.percentile(0.95)),
      maxSeconds: this.count ? round(this.maxMs / 1000) : null,
      buckets: TTR_BUCKETS.map((bucket, index) => ({ label: bucket.label, count: this.coarse[index] ?? 0 })),
    };
  }
}
