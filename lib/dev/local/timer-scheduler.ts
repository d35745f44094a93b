import type { Timer } from '@azure/functions';
import type { Cron } from 'croner';
import type { NcrontabSchedule } from './ncrontab.js';

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
 * Fires a timer function on its NCRONTAB schedule (UTC), with croner keeping the time. Like the
 * runtime, a run never overlaps the previous one and missed occurrences are skipped rather than
 * replayed; this class adds the Timer argument the handler gets and lets stop() wait for a run.
 */
export class TimerScheduler {
  readonly #schedule: NcrontabSchedule;
  readonly #fire: (timer: Timer) => Promise<unknown>;
  #job: Cron | null = null;
  #running: Promise<unknown> | null = null;
  #last: Date | null = null;

  constructor(schedule: NcrontabSchedule, fire: (timer: Timer) => Promise<unknown>) {
    this.#schedule = schedule;
    this.#fire = fire;
  }

  /** The occurrence the scheduler is waiting for, or null when stopped or it never fires. */
  get nextOccurrence(): Date | null {
    return this.#job?.nextRun() ?? null;
  }

  start(): void {
    this.#job ??= this.#schedule.schedule(() => this.#run());
  }

  async stop(): Promise<void> {
    this.#job?.stop();
    this.#job = null;
    await this.#running;
  }

  #run(): Promise<void> {
    const now = new Date();
    // croner calls at (or just after) the occurrence; report that occurrence, not the call time.
    const due = this.#schedule.latest(now) ?? now;
    const info = timerInfo(this.#last, this.#schedule.next(due), now.getTime() - due.getTime() > PAST_DUE_MS);
    this.#last = due;
    const running = this.#fire(info).then(
      () => undefined,
      () => undefined, // the invoker reports failures; croner must not see an unhandled rejection
    );
    this.#running = running;
    return running.finally(() => {
      if (this.#running === running) this.#running = null;
    });
  }
}
