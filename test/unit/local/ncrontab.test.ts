import { describe, expect, it } from 'vitest';
import { AppSettingError, resolveAppSettings } from '../../../lib/dev/local/app-settings.js';
import { NcrontabError, parseNcrontab } from '../../../lib/dev/local/ncrontab.js';

const at = (iso: string) => new Date(iso);
const nextOf = (expression: string, after: string) =>
  parseNcrontab(expression).next(at(after))?.toISOString();

describe('parseNcrontab().next', () => {
  it.each([
    // the default monthly sweep: 03:00:00 UTC on the 1st of every month
    ['0 0 3 1 * *', '2025-01-15T10:00:00Z', '2025-02-01T03:00:00.000Z'],
    ['0 0 3 1 * *', '2025-12-01T03:00:00Z', '2026-01-01T03:00:00.000Z'], // exactly on an occurrence → the next one
    ['0 0 3 1 * *', '2025-12-01T02:59:59.500Z', '2025-12-01T03:00:00.000Z'],
    ['*/5 * * * * *', '2025-03-01T00:00:03Z', '2025-03-01T00:00:05.000Z'],
    ['*/5 * * * * *', '2025-03-01T00:00:58Z', '2025-03-01T00:01:00.000Z'],
    ['0 */15 * * * *', '2025-03-01T10:46:00Z', '2025-03-01T11:00:00.000Z'],
    ['0 30 9 * * 1-5', '2025-03-07T10:00:00Z', '2025-03-10T09:30:00.000Z'], // Fri after 09:30 → Mon
    ['0 30 9 * * Mon-Fri', '2025-03-07T10:00:00Z', '2025-03-10T09:30:00.000Z'],
    ['0 0 0 * * 0', '2025-03-05T12:00:00Z', '2025-03-09T00:00:00.000Z'], // Sunday = 0
    ['0 0 12 * * sat,sun', '2025-03-05T12:00:00Z', '2025-03-08T12:00:00.000Z'],
    ['0 0 0 29 2 *', '2025-01-01T00:00:00Z', '2028-02-29T00:00:00.000Z'], // leap day
    ['0 0 0 31 * *', '2025-04-01T00:00:00Z', '2025-05-31T00:00:00.000Z'], // skips 30-day months
    ['0 0 8-10/2 * * *', '2025-03-01T08:30:00Z', '2025-03-01T10:00:00.000Z'],
    ['5,10,50 0 0 * * *', '2025-03-01T00:00:11Z', '2025-03-01T00:00:50.000Z'],
    ['30/15 0 0 * * *', '2025-03-01T00:00:31Z', '2025-03-01T00:00:45.000Z'], // a/n = from a, every n
    ['0 0 0 1 Jan *', '2025-03-01T00:00:00Z', '2026-01-01T00:00:00.000Z'],
    ['0 0 0 31 12 *', '2025-12-31T00:00:00Z', '2026-12-31T00:00:00.000Z'], // year rollover
    ['59 59 23 * * *', '2025-02-28T23:59:59Z', '2025-03-01T23:59:59.000Z'],
  ])('%s after %s → %s', (expression, after, expected) => {
    expect(nextOf(expression, after)).toBe(expected);
  });

  it('intersects day-of-month and day-of-week, as NCrontab does (Friday the 13th)', () => {
    expect(nextOf('0 0 0 13 * 5', '2025-01-01T00:00:00Z')).toBe('2025-06-13T00:00:00.000Z');
  });

  it('returns null when the expression never fires', () => {
    expect(nextOf('0 0 0 30 2 *', '2025-01-01T00:00:00Z')).toBeUndefined();
  });

  it('accepts full English names', () => {
    expect(nextOf('0 0 0 * * monday', '2025-03-05T12:00:00Z')).toBe('2025-03-10T00:00:00.000Z');
    expect(nextOf('0 0 0 1 january-february *', '2025-01-15T00:00:00Z')).toBe('2025-02-01T00:00:00.000Z');
  });

  it('finds the latest occurrence at or before an instant (the one a late run is for)', () => {
    const schedule = parseNcrontab('0 0 3 1 * *');
    expect(schedule.latest(at('2025-02-01T03:00:00Z'))?.toISOString()).toBe('2025-02-01T03:00:00.000Z');
    expect(schedule.latest(at('2025-02-20T00:00:00Z'))?.toISOString()).toBe('2025-02-01T03:00:00.000Z');
  });

  it('accepts surrounding and repeated whitespace', () => {
    expect(nextOf('  0  0 3 1 * *  ', '2025-01-15T10:00:00Z')).toBe('2025-02-01T03:00:00.000Z');
  });

  it.each([
    ['0 3 1 * *', /6 fields/], // 5-field cron is not NCRONTAB for Functions
    ['0 0 3 1 * * *', /6 fields/],
    ['60 * * * * *', /second 60 is outside 0-59/],
    ['* * 24 * * *', /hour 24 is outside/],
    ['* * * 0 * *', /day 0 is outside 1-31/],
    ['* * * * 13 *', /month 13/],
    ['* * * * * 7', /day-of-week 7 is outside 0-6/],
    ['*/0 * * * * *', /positive/],
    ['5-1 * * * * *', /reversed/],
    ['a * * * * *', /not a valid second/],
    ['1,,2 * * * * *', /malformed/],
    ['00:05:00', /6 fields/], // TimeSpan schedules are App Service-only; not supported locally
    // croner extensions that NCRONTAB does not have: the Functions host would refuse them
    ['0 0 0 L * *', /not a valid day/],
    ['0 0 0 * * 1#2', /not a valid day-of-week/],
    ['? * * * * *', /not a valid second/],
    ['@daily', /6 fields/],
  ])('rejects %s', (expression, message) => {
    expect(() => parseNcrontab(expression)).toThrowError(NcrontabError);
    expect(() => parseNcrontab(expression)).toThrowError(message);
  });
});

describe('resolveAppSettings', () => {
  it('replaces %NAME% references', () => {
    expect(resolveAppSettings('%DW_SWEEP_SCHEDULE%', { DW_SWEEP_SCHEDULE: '0 0 3 1 * *' }, 'x')).toBe(
      '0 0 3 1 * *',
    );
    expect(resolveAppSettings('jobs-%ENV%', { ENV: 'dev' }, 'x')).toBe('jobs-dev');
    expect(resolveAppSettings('plain', {}, 'x')).toBe('plain');
  });

  it('names the missing setting', () => {
    expect(() => resolveAppSettings('%DW_SWEEP_QUEUE%', {}, 'Function "sweepWorker" queueName')).toThrowError(
      AppSettingError,
    );
    expect(() => resolveAppSettings('%DW_SWEEP_QUEUE%', { DW_SWEEP_QUEUE: ' ' }, 'f')).toThrowError(
      /DW_SWEEP_QUEUE.*not set/,
    );
  });
});
