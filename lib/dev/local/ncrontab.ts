import { Cron } from 'croner';

/**
 * NCRONTAB, the 6-field cron dialect of Azure Functions timer triggers:
 * `{second} {minute} {hour} {day} {month} {day-of-week}`, evaluated in UTC. croner computes the
 * occurrences and runs the timers; this adapter only holds croner to what the Functions host
 * (the NCrontab library) accepts, with messages that name the field:
 * - each field takes `*`, values, ranges `a-b`, lists `a,b`, steps `* /n`, `a-b/n`, `a/n` (= `a-max/n`);
 * - months and days of week also take English names (`Jan`, `Mon`, `monday`); day of week is 0-6,
 *   Sunday = 0 (croner's 7, `L`, `W`, `#`, `?`, `+` and nicknames are not NCRONTAB);
 * - day-of-month and day-of-week must BOTH match (NCrontab intersects them: croner's `domAndDow`).
 */

export interface NcrontabSchedule {
  readonly expression: string;
  /** The first occurrence strictly after `after` (whole seconds, UTC), or null if it never fires. */
  next(after: Date): Date | null;
  /** The latest occurrence at or before `at`, or null if there is none. */
  latest(at: Date): Date | null;
  /** Calls `run` on every occurrence; one that comes while `run` is still busy is skipped. */
  schedule(run: () => Promise<void>): Cron;
}

export class NcrontabError extends Error {
  constructor(expression: string, reason: string) {
    super(`Invalid NCRONTAB expression "${expression}": ${reason}`);
    this.name = 'NcrontabError';
  }
}

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  names?: readonly string[]; // index + min = value
}

const MONTH_NAMES = [
  'january',
  'february',
  'march',
  'april',
  'may',
  'june',
  'july',
  'august',
  'september',
  'october',
  'november',
  'december',
];
const DAY_NAMES = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];

const FIELDS: readonly FieldSpec[] = [
  { name: 'second', min: 0, max: 59 },
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTH_NAMES },
  { name: 'day-of-week', min: 0, max: 6, names: DAY_NAMES },
];

/** UTC (no WEBSITE_TIME_ZONE locally); NCrontab's AND of day and day-of-week. */
const CRONER_OPTIONS = { mode: '6-part', domAndDow: true, utcOffset: 0 } as const;

function parseValue(text: string, spec: FieldSpec, expression: string): number {
  const lower = text.toLowerCase();
  // Names: the 3-letter abbreviation or the full English name ("Mon", "monday", "JAN").
  const byName = spec.names?.findIndex((name) => lower === name.slice(0, 3) || lower === name) ?? -1;
  if (byName >= 0) return byName + spec.min;
  if (!/^[0-9]+$/.test(text)) throw new NcrontabError(expression, `"${text}" is not a valid ${spec.name}`);
  const value = Number(text);
  if (value < spec.min || value > spec.max) {
    throw new NcrontabError(expression, `${spec.name} ${text} is outside ${spec.min}-${spec.max}`);
  }
  return value;
}

/** One list item checked and rewritten for croner: names as numbers, `a/n` as `a-max/n`. */
function normalisePart(part: string, spec: FieldSpec, expression: string): string {
  const [range, step, extra] = part.split('/');
  if (range === undefined || range === '' || extra !== undefined) {
    throw new NcrontabError(expression, `"${part}" in the ${spec.name} field is malformed`);
  }
  if (step !== undefined && (!/^[0-9]+$/.test(step) || Number(step) < 1)) {
    throw new NcrontabError(expression, `step "${step}" in the ${spec.name} field must be a positive number`);
  }
  const suffix = step === undefined ? '' : `/${step}`;
  if (range === '*') return `*${suffix}`;
  const bounds = range.split('-');
  if (bounds.length > 2) {
    throw new NcrontabError(expression, `range "${range}" in the ${spec.name} field is malformed`);
  }
  const low = parseValue(bounds[0] ?? '', spec, expression);
  if (bounds.length === 1) return step === undefined ? String(low) : `${low}-${spec.max}${suffix}`;
  const high = parseValue(bounds[1] ?? '', spec, expression);
  if (low > high) {
    throw new NcrontabError(expression, `range "${range}" in the ${spec.name} field is reversed`);
  }
  return `${low}-${high}${suffix}`;
}

export function parseNcrontab(expression: string): NcrontabSchedule {
  const parts = expression.trim().split(/\s+/);
  if (parts.length !== FIELDS.length) {
    throw new NcrontabError(
      expression,
      `expected 6 fields "{second} {minute} {hour} {day} {month} {day-of-week}", got ${parts.length}`,
    );
  }
  const pattern = FIELDS.map((spec, index) =>
    (parts[index] ?? '')
      .split(',')
      .map((part) => normalisePart(part, spec, expression))
      .join(','),
  ).join(' ');
  // A paused job without a function only evaluates the pattern; it never sets a timer.
  const evaluator = new Cron(pattern, { ...CRONER_OPTIONS, paused: true });
  return {
    expression,
    next: (after) => evaluator.nextRun(after),
    // previousRuns looks strictly before its start; 1 ms later includes an occurrence at `at` itself.
    latest: (at) => evaluator.previousRuns(1, new Date(at.getTime() + 1))[0] ?? null,
    schedule: (run) => new Cron(pattern, { ...CRONER_OPTIONS, protect: true }, run),
  };
}
