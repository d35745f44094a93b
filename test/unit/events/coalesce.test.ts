import { describe, expect, it } from 'vitest';
import { ResourceCoalescer } from '../../../lib/events/coalesce.js';

function gate() {
  let open: () => void = () => {};
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

describe('ResourceCoalescer', () => {
  it('a burst on one resource while a round is in flight costs one more round, shared by all', async () => {
    const coalescer = new ResourceCoalescer();
    const first = gate();
    let rounds = 0;
    const round = async () => {
      rounds++;
      if (rounds === 1) await first.opened;
      return rounds;
    };
    const running = coalescer.run('nsg', round);
    const burst = Array.from({ length: 2000 }, () => coalescer.run('nsg', round));
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(rounds).toBe(1); // the burst waits: an edit after the first read needs a later read
    first.open();
    expect(await running).toBe(1);
    expect(new Set(await Promise.all(burst))).toEqual(new Set([2]));
    expect(rounds).toBe(2);
    expect(coalescer.stats).toEqual({ rounds: 2, coalesced: 1999 });
    expect(coalescer.active).toBe(0);
  });

  it('arrivals after the follower started get a round of their own; other resources are independent', async () => {
    const coalescer = new ResourceCoalescer();
    const gates = [gate(), gate()];
    const order: string[] = [];
    const round = (name: string, index?: number) => async () => {
      order.push(name);
      if (index !== undefined) await gates[index]?.opened;
      return name;
    };
    const a = coalescer.run('r', round('a', 0));
    const b = coalescer.run('r', round('b', 1));
    const other = coalescer.run('s', round('other'));
    expect(await other).toBe('other');
    gates[0]?.open();
    expect(await a).toBe('a');
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(order).toEqual(['a', 'other', 'b']);
    const c = coalescer.run('r', round('c')); // b is running: c cannot share its read
    gates[1]?.open();
    expect(await b).toBe('b');
    expect(await c).toBe('c');
  });

  it('a failed round fails every caller that joined it, and the next round still runs', async () => {
    const coalescer = new ResourceCoalescer();
    const first = gate();
    const running = coalescer.run('r', async () => {
      await first.opened;
      return 1;
    });
    const joined = [1, 2, 3].map(() =>
      coalescer.run('r', async () => {
        throw new Error('ARM 503');
      }),
    );
    first.open();
    await running;
    for (const call of joined) await expect(call).rejects.toThrow('ARM 503');
    expect(await coalescer.run('r', async () => 'again')).toBe('again');
    expect(coalescer.active).toBe(0);
  });
});
