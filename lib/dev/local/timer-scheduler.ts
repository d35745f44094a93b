import type { Timer } from '@azure/functions';
import type { NcrontabSchedule } from './ncrontab.js';

/** setTimeout's ceiling (~24.8 days); a monthly schedule needs several hops. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;
/** Later than this after its due time, an occurrence is reported as past due. */
const PAST_DUE_MS = 1000;
/** What the runtime reports as `last` before a schedule has ever fired. */
const NEVER = '0001-01-01T00:00:00.000Z';

export function timerInfo(last: Date | null, next: Date | null, isPastDue: boolean, now = new Date()): Timer {
  return {
    isPastDue,
    schedule: { adjustForDST: false }, // schedules are UTC locally (no WEBSITE_TIME_ZONE)
    scheduleStatus: {
      last: last?.toISOString() ?? NEVER,
      next: next?.toISOString() ?? NEVER,
      lastUpdated: now.toISOString(),
    },
  };
}

/**
 * Fires a timer function on its NCRONTAB schedule (UTC). Like the runtime, a run never overlaps
 * the previous one: the next occurrence is computed after an invocation completes, and missed
 * occurrences are skipped rather than replayed.
 */
export class TimerScheduler {
  readonly #schedule: NcrontabSchedule;
  readonly #fire: (timer: Timer) => Promise<unknown>;
  #handle: NodeJS.Timeout | null = null;
  #running: Promise<unknown> | null = null;
  #stopped = false;
  #last: Date | null = null;

  constructor(schedule: NcrontabSchedule, fire: (timer: Timer) => Promise<unknown>) {
    this.#schedule = schedule;
    this.#fire = fire;
  }

  /** The occurrence the scheduler is waiting for, or null when stopped or it never fires. */
  nextOccurrence: Date | null = null;

  start(): void {
    this.#stopped = false;
    this.#arm(new Date());
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#handle) clearTimeout(this.#handle);
    this.#handle = null;
    this.nextOccurrence = null;
    await this.#running;
  }

  #arm(from: Date): void {
    if (this.#stopped) return;
    const due = this.#schedule.next(from);
    this.nextOccurrence = due;
    if (!due) return;
    const wait = () => {
      const remaining = due.getTime() - Date.now();
      if (remaining > 0) {
        this.#handle = setTimeout(wait, Math.min(remaining, MAX_TIMEOUT_MS));
        return;
      }
      this.#handle = null;
      const following = this.#schedule.next(due);
      const info = timerInfo(this.#last, following, Date.now() - due.getTime() > PAST_DUE_MS);
      this.#last = due;
      this.#running = this.#fire(info).finally(() => {
        this.#running = null;
        this.#arm(new Date(Math.max(Date.now(), due.getTime())));
      });
    };
    wait();
  }
}
