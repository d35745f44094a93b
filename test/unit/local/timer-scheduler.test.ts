import type { Timer } from '@azure/functions';
import { describe, expect, it } from 'vitest';
import { parseNcrontab } from '../../../lib/dev/local/ncrontab.js';
import { TimerScheduler } from '../../../lib/dev/local/timer-scheduler.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('TimerScheduler (croner)', () => {
  it('never overlaps runs, skips occurrences missed while busy, and stop() waits for the run', async () => {
    const runs: Array<{ timer: Timer; started: number; ended?: number }> = [];
    let active = 0;
    let maxActive = 0;
    const scheduler = new TimerScheduler(parseNcrontab('* * * * * *'), async (timer) => {
      const run: { timer: Timer; started: number; ended?: number } = { timer, started: Date.now() };
      runs.push(run);
      active++;
      maxActive = Math.max(maxActive, active);
      await sleep(1500); // longer than the 1 s period: the next occurrence comes while busy
      active--;
      run.ended = Date.now();
    });
    scheduler.start();
    expect(scheduler.nextOccurrence?.getUTCMilliseconds()).toBe(0);
    while (runs.length < 2) await sleep(50);
    await scheduler.stop();

    expect(maxActive).toBe(1);
    expect(scheduler.nextOccurrence).toBeNull();
    const [first, second] = runs;
    expect(first?.ended).toBeDefined();
    expect(second?.ended).toBeDefined(); // stop() resolved only after the running invocation
    expect(first?.timer.isPastDue).toBe(false);
    const firstDue = Date.parse(first?.timer.scheduleStatus.next ?? '') - 1000;
    // The occurrence during the first run was skipped, not replayed: the second run is for a later one.
    expect(second?.timer.scheduleStatus.last).toBe(new Date(firstDue).toISOString());
    expect(second?.started ?? 0).toBeGreaterThanOrEqual(first?.ended ?? Number.POSITIVE_INFINITY);
    expect(Date.parse(second?.timer.scheduleStatus.next ?? '')).toBeGreaterThanOrEqual(firstDue + 3000);
    const count = runs.length;
    await sleep(1200);
    expect(runs.length).toBe(count); // stopped: nothing fires any more
  });
});
