import { randomBytes } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import { createTableClient } from '../../../lib/azure/tables.js';
import { loadConfig } from '../../../lib/config.js';
import { createExceptionStore } from '../../../lib/exceptions/table-store.js';
import { TableIntentStore } from '../../../lib/remediation/intents.js';
import type { Intent } from '../../../lib/remediation/types.js';
import { CachedExceptionStore, PrefetchedIntentStore } from '../../../lib/sweep/caching.js';

const suffix = () => randomBytes(5).toString('hex');

describe('sweep store wrappers on Azurite', () => {
  it('CachedExceptionStore reads the registry once per TTL and sees its own approvals at once', async () => {
    const config = loadConfig({
      DW_STORAGE: inject('azurite').connectionString,
      DW_EXCEPTIONS_TABLE: `swcx${suffix()}`,
    });
    const inner = await createExceptionStore(config);
    let lists = 0;
    const counting = Object.assign(Object.create(inner) as typeof inner, {
      list: () => {
        lists++;
        return inner.list();
      },
    });
    let now = 0;
    const cached = new CachedExceptionStore(counting, 1000, () => now);
    const scope = '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg';
    expect(await cached.active(new Date())).toEqual([]);
    const created = await cached.create({
      controlId: 'NSG-OPEN-INBOUND',
      scope,
      justification: 'partner VPN',
      ticket: 'CHG-1',
      approvedBy: 'ciso@example.org',
      expiresOn: new Date(Date.now() + 86_400_000).toISOString(),
    });
    for (let i = 0; i < 50; i++)
      expect((await cached.active(new Date())).map((e) => e.id)).toEqual([created.id]);
    expect(lists).toBe(2); // before and after the approval, not 51
    // expiry is judged at the caller's time, from the snapshot
    expect(await cached.active(new Date(Date.now() + 2 * 86_400_000))).toEqual([]);
    now = 5000;
    await cached.active(new Date());
    expect(lists).toBe(3);
  });

  it('PrefetchedIntentStore answers absent keys of a sweep without reads and finds existing ones', async () => {
    const table = createTableClient(
      { connectionString: inject('azurite').connectionString },
      `swci${suffix()}`,
    );
    const inner = new TableIntentStore(table);
    const intent = (key: string): Intent => ({
      key,
      resourceId: key.split('|')[1] ?? '',
      state: 'pending',
      leaseUntil: new Date(0).toISOString(),
      writes: [],
    });
    // an earlier run of this sweep left one intent; another sweep and an event left theirs
    await inner.claim(intent('sweep:2026-11|/subscriptions/s/a'), null);
    await inner.complete('sweep:2026-11|/subscriptions/s/a');
    await inner.claim(intent('sweep:2026-10|/subscriptions/s/b'), null);
    await inner.claim(intent('event:e1|/subscriptions/s/c'), null);
    let reads = 0;
    const counting = Object.assign(Object.create(inner) as TableIntentStore, {
      get: (key: string) => {
        reads++;
        return inner.get(key);
      },
    });
    const store = new PrefetchedIntentStore(counting, table);
    expect(await store.get('sweep:2026-11|/subscriptions/s/x')).toBeNull();
    expect(await store.get('sweep:2026-11|/subscriptions/s/b')).toBeNull();
    expect(reads).toBe(0);
    expect((await store.get('sweep:2026-11|/subscriptions/s/a'))?.state).toBe('done');
    expect((await store.get('event:e1|/subscriptions/s/c'))?.state).toBe('pending'); // other prefixes: as before
    expect(reads).toBe(2);
    // a claim made through the wrapper is read back from the table afterwards
    await store.claim(intent('sweep:2026-11|/subscriptions/s/y'), null);
    expect((await store.get('sweep:2026-11|/subscriptions/s/y'))?.state).toBe('pending');
    // a second claim of the same key is refused by the table (a concurrent duplicate worker)
    expect(await store.claim(intent('sweep:2026-11|/subscriptions/s/y'), null)).toBeNull();
  });
});
