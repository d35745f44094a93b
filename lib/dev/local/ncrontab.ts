/**
 * NCRONTAB, the 6-field cron dialect of Azure Functions timer triggers:
 * `{second} {minute} {hour} {day} {month} {day-of-week}`, evaluated in UTC.
 *
 * Semantics follow NCrontab (the library the Functions host uses):
 * - each field takes `*`, values, ranges `a-b`, lists `a,b`, steps `* /n`, `a-b/n`, `a/n`;
 * - months and days of week also take English names (`Jan`, `Mon`); day of week is 0-6, Sunday = 0;
 * - day-of-month and day-of-week must BOTH match (NCrontab intersects them, unlike Vixie cron's union).
 * Pure: no clock, no timers; callers pass the instant to search from.
 */

export interface NcrontabSchedule {
  readonly expression: string;
  /** The first occurrence strictly after `after` (whole seconds, UTC), or null if none within 5 years. */
  next(after: Date): Date | null;
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

/** Searching further than this means the expression can never fire (e.g. `0 0 0 30 2 *`). */
const SEARCH_YEARS = 5;

function parseValue(text: string, spec: FieldSpec, expression: string): number {
  const lower = text.toLowerCase();
  // Names: the 3-letter abbreviation or the full English name ("Mon", "monday", "JAN").
  const byName = spec.names?.findIndex((name) => lower === name.slice(0, 3) || lower === name) ?? -1;
  if (byName >= 0) return byName + spec.min;
  const value = Number(text);
  if (!/^[0-9]+$/.test(text)) throw new NcrontabError(expression, `"${text}" is not a valid ${spec.name}`);
  if (value < spec.min || value > spec.max) {
    throw new NcrontabError(expression, `${spec.name} ${text} is outside ${spec.min}-${spec.max}`);
  }
  return value;
}

function parseField(text: string, spec: FieldSpec, expression: string): ReadonlySet<number> {
  const values = new Set<number>();
  for (const part of text.split(',')) {
    const [rangeText, stepText, extra] = part.split('/');
    if (rangeText === undefined || rangeText === '' || extra !== undefined) {
      throw new NcrontabError(expression, `"${part}" in the ${spec.name} field is malformed`);
    }
    let step = 1;
    if (stepText !== undefined) {
      step = Number(stepText);
      if (!/^[0-9]+$/.test(stepText) || step < 1) {
        throw new NcrontabError(
          expression,
          `step "${stepText}" in the ${spec.name} field must be a positive number`,
        );
      }
    }
    let low: number;
    let high: number;
    if (rangeText === '*') {
      low = spec.min;
      high = spec.max;
    } else if (rangeText.includes('-')) {
      const [from, to, more] = rangeText.split('-');
      if (from === undefined || to === undefined || more !== undefined) {
        throw new NcrontabError(expression, `range "${rangeText}" in the ${spec.name} field is malformed`);
      }
      low = parseValue(from, spec, expression);
      high = parseValue(to, spec, expression);
      if (low > high)
        throw new NcrontabError(expression, `range "${rangeText}" in the ${spec.name} field is reversed`);
    } else {
      low = parseValue(rangeText, spec, expression);
      // `a/n` means "from a to the end, every n" (NCrontab); a bare value is just itself.
      high = stepText === undefined ? low : spec.max;
    }
    for (let value = low; value <= high; value += step) values.add(value);
  }
  return values;
}

function firstAtLeast(values: readonly number[], from: number): number | undefined {
  return values.find((value) => value >= from);
}

export function parseNcrontab(expression: string): NcrontabSchedule {
  const parts = expression.trim().split(/\s+/);
  if (parts.length !== 6) {
    throw new NcrontabError(
      expression,
      `expected 6 fields "{second} {minute} {hour} {day} {month} {day-of-week}", got ${parts.length}`,
    );
  }
  const [seconds, minutes, hours, days, months, daysOfWeek] = FIELDS.map((spec, index) =>
    [...parseField(parts[index] ?? '', spec, expression)].sort((a, b) => a - b),
  ) as [number[], number[], number[], number[], number[], number[]];
  const sets = {
    second: new Set(seconds),
    minute: new Set(minutes),
    hour: new Set(hours),
    day: new Set(days),
    month: new Set(months),
    dayOfWeek: new Set(daysOfWeek),
  };

  function next(after: Date): Date | null {
    // Occurrences are whole seconds strictly after `after`.
    let t = Math.floor(after.getTime() / 1000) * 1000 + 1000;
    const limit = Date.UTC(new Date(t).getUTCFullYear() + SEARCH_YEARS, 0, 1);
    // Check fields from the largest down; when one doesn't match, jump to the next instant where it
    // could (smaller fields reset to zero) and start over. Date.UTC normalises overflow (day 32 → next month).
    while (t < limit) {
      const at = new Date(t);
      const year = at.getUTCFullYear();
      const month0 = at.getUTCMonth();
      const day = at.getUTCDate();
      const hour = at.getUTCHours();
      const minute = at.getUTCMinutes();
      const second = at.getUTCSeconds();
      if (!sets.month.has(month0 + 1)) {
        const m = firstAtLeast(months, month0 + 1);
        t = m === undefined ? Date.UTC(year + 1, (months[0] ?? 1) - 1, 1) : Date.UTC(year, m - 1, 1);
      } else if (!sets.day.has(day) || !sets.dayOfWeek.has(at.getUTCDay())) {
        t = Date.UTC(year, month0, day + 1);
      } else if (!sets.hour.has(hour)) {
        const h = firstAtLeast(hours, hour);
        t = h === undefined ? Date.UTC(year, month0, day + 1) : Date.UTC(year, month0, day, h);
      } else if (!sets.minute.has(minute)) {
        const m = firstAtLeast(minutes, minute);
        t = m === undefined ? Date.UTC(year, month0, day, hour + 1) : Date.UTC(year, month0, day, hour, m);
      } else if (!sets.second.has(second)) {
        const s = firstAtLeast(seconds, second);
        t =
          s === undefined
            ? Date.UTC(year, month0, day, hour, minute + 1)
            : Date.UTC(year, month0, day, hour, minute, s);
      } else {
        return at;
      }
    }
    return null;
  }

  return { expression, next };
}
