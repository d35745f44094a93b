import { describe, expect, it } from 'vitest';
import { ResourceCoalescer } from '../../../lib/events/coalesce.js';
import { type EventEngine, handleResourceChange, RecentEvents } from '../../../lib/events/handle.js';
import type { DecisionContext } from '../../../lib/remediation/types.js';

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
    const running = coalescer.run('nsg', null, round);
    const burst = Array.from({ length: 2000 }, () => coalescer.run('nsg', null, round));
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
    const a = coalescer.run('r', null, round('a', 0));
    const b = coalescer.run('r', null, round('b', 1));
    const other = coalescer.run('s', null, round('other'));
    expect(await other).toBe('other');
    gates[0]?.open();
    expect(await a).toBe('a');
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(order).toEqual(['a', 'other', 'b']);
    const c = coalescer.run('r', null, round('c')); // b is running: c cannot share its read
    gates[1]?.open();
    expect(await b).toBe('b');
    expect(await c).toBe('c');
  });

  it('a failed round fails every caller that joined it, and the next round still runs', async () => {
    const coalescer = new ResourceCoalescer();
    const first = gate();
    const running = coalescer.run('r', null, async () => {
      await first.opened;
      return 1;
    });
    const joined = [1, 2, 3].map(() =>
      coalescer.run('r', null, async () => {
        throw new Error('ARM 503');
      }),
    );
    first.open();
    await running;
    for (const call of joined) await expect(call).rejects.toThrow('ARM 503');
    expect(await coalescer.run('r', null, async () => 'again')).toBe('again');
    expect(coalescer.active).toBe(0);
  });

  it('hands the follower every joined item', async () => {
    const coalescer = new ResourceCoalescer();
    const first = gate();
    const seen: string[][] = [];
    const round = async (items: string[]) => {
      seen.push([...items]);
      if (seen.length === 1) await first.opened;
      return items.length;
    };
    const running = coalescer.run('r', 'a', round);
    const joined = ['b', 'c', 'd'].map((item) => coalescer.run('r', item, round));
    first.open();
    expect(await running).toBe(1);
    expect(await Promise.all(joined)).toEqual([3, 3, 3]);
    expect(seen).toEqual([['a'], ['b', 'c', 'd']]);
  });

  it('a joined redelivery of a finished event does not make the round skip the re-read', async () => {
    const RULE =
      '/subscriptions/00000000-0000-4000-8000-000000000001/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/nsg/securityRules/rdp';
    const event = (id: string) => ({
      id,
      eventType: 'Microsoft.Resources.ResourceWriteSuccess',
      subject: RULE,
      eventTime: '2026-11-15T12:00:00Z',
      dataVersion: '2',
      data: {
        resourceUri: RULE,
        operationName: 'Microsoft.Network/networkSecurityGroups/securityRules/write',
        status: 'Succeeded',
        subscriptionId: '00000000-0000-4000-8000-000000000001',
        claims: { upn: 'alice@contoso.example' },
        correlationId: `c-${id}`,
      },
    });
    const first = gate();
    const calls: string[] = [];
    const done = new Set<string>();
    const engine: EventEngine = {
      async handleResourceId(_id, ctx: DecisionContext, outcome) {
        const eventId = ctx.eventId ?? '';
        calls.push(eventId);
        if (done.has(eventId)) {
          if (outcome) outcome.duplicate = true;
          return [];
        }
        if (calls.length === 1) await first.opened;
        done.add(eventId);
        return [];
      },
    };
    const deps = {
      engine,
      selfObjectId: null,
      selfAppId: null,
      subscriptions: ['00000000-0000-4000-8000-000000000001'],
      ownWrites: { takeOwnWrite: async () => false },
      clock: () => new Date('2026-11-15T12:00:01Z'),
      log: () => {},
      recent: new RecentEvents(0),
      coalescer: new ResourceCoalescer(),
    };
    const a = handleResourceChange(event('e1'), deps);
    await new Promise((resolve) => setTimeout(resolve, 0));
    const joined = [event('e1'), event('e2'), event('e3')].map((e) => handleResourceChange(e, deps));
    first.open();
    await a;
    const results = await Promise.all(joined);
    expect(results.every((r) => r.status === 'handled')).toBe(true);
    // e1 again is a duplicate (no re-read); e2 re-reads for everyone; e3 rides on it
    expect(calls).toEqual(['e1', 'e1', 'e2']);
  });
});
