/**
 * The audit period: whole UTC days, `from` and `to` inclusive (as auditors write them), held as a
 * half-open millisecond range. Also the report ids and the calendar months a period touches
 * (evidence chains are per subscription per UTC month, layout.ts).
 */

export interface Period {
  /** YYYY-MM-DD, first day */
  from: string;
  /** YYYY-MM-DD, last day (inclusive) */
  to: string;
  startMs: number;
  /** exclusive */
  endMs: number;
}

const DAY_MS = 86_400_000;
/** Longest period one report covers: three years (a Type II period is 6–12 months). */
export const MAX_PERIOD_DAYS = 3 * 366;

export class PeriodError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PeriodError';
  }
}

function parseDay(name: string, value: string): number {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value.trim());
  const ms = match ? Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])) : Number.NaN;
  if (Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== value.trim())
    throw new PeriodError(`--${name} must be a date YYYY-MM-DD, got ${JSON.stringify(value)}`);
  return ms;
}

export function parsePeriod(from: string, to: string): Period {
  const startMs = parseDay('from', from);
  const endMs = parseDay('to', to) + DAY_MS;
  if (endMs <= startMs) throw new PeriodError('--to must not be before --from');
  if ((endMs - startMs) / DAY_MS > MAX_PERIOD_DAYS)
    throw new PeriodError(`a period spans at most ${MAX_PERIOD_DAYS} days`);
  return { from: day(startMs), to: day(endMs - DAY_MS), startMs, endMs };
}

function day(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** The calendar month before `now` (the monthly timer's report). */
export function previousMonth(now: Date): Period {
  const start = Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1);
  const end = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1);
  return parsePeriod(day(start), day(end - DAY_MS));
}

/** 'YYYY-MM' of every month the period touches, oldest first. */
export function monthsOf(period: Period): string[] {
  const months: string[] = [];
  const first = new Date(period.startMs);
  for (let y = first.getUTCFullYear(), m = first.getUTCMonth(); ; m++) {
    const start = Date.UTC(y, m, 1);
    if (start >= period.endMs) break;
    months.push(new Date(start).toISOString().slice(0, 7));
  }
  return months;
}

export function monthStartMs(month: string): number {
  return Date.parse(`${month}-01T00:00:00Z`);
}

export function inPeriod(period: Period, time: string): boolean {
  const ms = Date.parse(time);
  return ms >= period.startMs && ms < period.endMs;
}

/** Stable id of a period report: `period-<from>-<to>`. */
export function periodReportId(period: Period): string {
  return `period-${period.from}-${period.to}`;
}

/** Week index (0-based) of a time within the period: the drift-per-week chart's buckets. */
export function weekOf(period: Period, ms: number): number {
  return Math.floor((ms - period.startMs) / (7 * DAY_MS));
}

export function weeksIn(period: Period): number {
  return Math.ceil((period.endMs - period.startMs) / (7 * DAY_MS));
}

export function weekStart(period: Period, week: number): string {
  return day(period.startMs + week * 7 * DAY_MS);
}
