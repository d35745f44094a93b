/**
 * Bounded concurrency with backpressure: `submit` resolves once the task has *started*, so a
 * producer (e.g. a paged ARM listing) never runs more than `limit` tasks ahead and memory stays
 * bounded however large the estate is.
 */
export interface Pool {
  /** Waits for a free slot, starts the task, resolves (without waiting for it to finish). */
  submit(task: () => Promise<void>): Promise<void>;
  /** Waits until every submitted task has finished; rejects with the first task error, if any. */
  drain(): Promise<void>;
  readonly active: number;
}

export function createPool(limit: number): Pool {
  if (!Number.isInteger(limit) || limit < 1)
    throw new RangeError(`pool limit must be a positive integer, got ${limit}`);
  let active = 0;
  let firstError: unknown = null;
  let failed = false;
  const slotWaiters: (() => void)[] = [];
  const idleWaiters: (() => void)[] = [];

  // A finishing task hands its slot straight to the next waiter, so `active` never exceeds `limit`.
  const release = () => {
    const next = slotWaiters.shift();
    if (next) return next();
    active -= 1;
    if (active === 0) for (const idle of idleWaiters.splice(0)) idle();
  };

  return {
    get active() {
      return active;
    },
    async submit(task) {
      if (active >= limit) await new Promise<void>((resolve) => slotWaiters.push(resolve));
      else active += 1;
      void (async () => {
        try {
          await task();
        } catch (error) {
          if (!failed) {
            failed = true;
            firstError = error;
          }
        } finally {
          release();
        }
      })();
    },
    async drain() {
      if (active > 0 || slotWaiters.length > 0)
        await new Promise<void>((resolve) => idleWaiters.push(resolve));
      if (failed) throw firstError;
    },
  };
}

/** Maps with at most `limit` calls in flight; results keep input order. */
export async function mapBounded<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  const pool = createPool(limit);
  for (const [index, item] of items.entries()) {
    await pool.submit(async () => {
      results[index] = await fn(item, index);
    });
  }
  await pool.drain();
  return results;
}
