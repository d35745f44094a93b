import { describe, expect, it } from 'vitest';
import { createPool, mapBounded } from '../../../lib/util/pool.js';

const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('pool', () => {
  it('never runs more than the limit at once and keeps order in mapBounded', async () => {
    let running = 0;
    let peak = 0;
    const results = await mapBounded([5, 1, 4, 2, 3, 1, 2], 3, async (ms, index) => {
      running += 1;
      peak = Math.max(peak, running);
      await tick(ms);
      running -= 1;
      return index;
    });
    expect(peak).toBe(3);
    expect(results).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it('applies backpressure: submit resolves only when a slot is free', async () => {
    const pool = createPool(1);
    const order: string[] = [];
    await pool.submit(async () => {
      await tick(10);
      order.push('first done');
    });
    await pool.submit(async () => {
      order.push('second started');
    });
    await pool.drain();
    expect(order).toEqual(['first done', 'second started']);
  });

  it('drain rejects with the first task error after all tasks settle', async () => {
    const pool = createPool(2);
    let finished = false;
    await pool.submit(async () => {
      throw new Error('boom');
    });
    await pool.submit(async () => {
      await tick(5);
      finished = true;
    });
    await expect(pool.drain()).rejects.toThrow('boom');
    expect(finished).toBe(true);
  });
});
