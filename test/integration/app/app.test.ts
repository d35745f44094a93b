import { randomBytes } from 'node:crypto';
import type { AccessToken, TokenCredential } from '@azure/core-auth';
import { describe, expect, inject, it } from 'vitest';
import { createApp } from '../../../lib/app/app.js';
import { loadConfig } from '../../../lib/config.js';

/**
 * The composition root: one process serving every path (event, sweep, API, restore) shares one
 * credential, one set of ARM clients, one store per table and one clock.
 */
describe('createApp: one composition root', () => {
  const suffix = randomBytes(5).toString('hex');
  const config = loadConfig({
    DW_STORAGE: inject('azurite').connectionString,
    DW_EVIDENCE_TABLE: `appev${suffix}`,
    DW_EXCEPTIONS_TABLE: `appex${suffix}`,
    DW_SUBSCRIPTION_IDS: '00000000-0000-4000-8000-0000000000aa',
  });
  const credential: TokenCredential = {
    getToken: async (): Promise<AccessToken> => ({
      token: 'unused',
      expiresOnTimestamp: Date.now() + 3_600_000,
    }),
  };

  it('gives every path the same stores, ARM clients, clock and credential', async () => {
    const clock = () => new Date('2026-11-15T12:00:00.000Z');
    const app = createApp(config, { credential, clock, log: () => {} });
    const [events, sweep, api] = await Promise.all([app.eventPath(), app.sweep(), app.api()]);

    expect(events.evidence).toBe(sweep.evidence);
    expect(api.evidence).toBe(events.evidence);
    expect(api.exceptions).toBe(events.exceptions);
    expect(sweep.exceptions).toBe(events.exceptions);
    expect(sweep.arm).toBe(events.arm);
    expect(app.arm()).toBe(events.arm);
    expect(events.arm.connection.credential).toBe(credential);
    expect(api.restorer).toBe(app.restorer);
    expect(api.clock).toBe(clock);
    expect(events.clock).toBe(clock);
    expect(sweep.now).toBe(clock);
    // building a path twice returns the same instance (once per process)
    expect(await app.eventPath()).toBe(events);
    expect(await app.sweep()).toBe(sweep);
  });

  it('puts the ARM token buckets on the event path as well as the sweep', async () => {
    const app = createApp(config, { credential, log: () => {} });
    const policies = app.arm().connection.clientOptions?.additionalPolicies ?? [];
    expect(policies.map((entry) => entry.position)).toContain('perRetry');
    expect((await app.sweep()).throttle).toBe(app.throttle);
  });

  it('caches exceptions on the event path by default (5 s); writes through the app invalidate', async () => {
    const fresh = loadConfig({
      DW_STORAGE: inject('azurite').connectionString,
      DW_EVIDENCE_TABLE: `appev${suffix}c`,
      DW_EXCEPTIONS_TABLE: `appex${suffix}c`,
    });
    expect(fresh.exceptionsCacheMs).toBe(5_000);
    const app = createApp(fresh, { credential, log: () => {} }); // the default bound
    const [events, api] = await Promise.all([app.eventPath(), app.api()]);
    await expect(app.exceptions()).resolves.toBe(events.exceptions); // the CLI's store is the cached one too
    const raw = await createApp(fresh, { credential, log: () => {}, exceptionsCacheMs: 0 }).exceptions();
    const now = new Date();
    expect(await events.exceptions.active(now)).toEqual([]);
    const expiresOn = new Date(Date.now() + 86_400_000).toISOString();
    const exception = {
      controlId: 'NSG-MGMT-PORT' as const,
      scope: '/subscriptions/00000000-0000-4000-8000-0000000000aa',
      justification: 'vendor maintenance window',
      ticket: 'CHG-1',
      approvedBy: 'carol@contoso.example',
      expiresOn,
    };
    // approved by another instance: not seen within the bound (one table query per 5 s, not per event)
    await raw.create(exception);
    expect(await events.exceptions.active(now)).toEqual([]);
    // ... except by the engine's check before it reverts anything, which reads the table now
    expect((await events.exceptions.activeUncached?.(now))?.map((e) => e.ticket)).toEqual(['CHG-1']);
    await raw.revoke((await raw.list())[0]?.id ?? '', 'carol@contoso.example');
    expect((await events.exceptions.active(now)).map((e) => e.ticket)).toEqual(['CHG-1']); // cached again
    // approved through this app (API): seen by the very next event
    const mine = await api.exceptions.create({ ...exception, ticket: 'CHG-2' });
    const active = await events.exceptions.active(now);
    expect(active.map((e) => e.ticket).sort()).toEqual(['CHG-2']);
    await api.exceptions.revoke(mine.id, 'carol@contoso.example', { reason: 'done' });
    expect(await events.exceptions.active(now)).toEqual([]);
    // verify's view of the rows passes through the cache (driftwarden verify checks every row)
    expect((await events.exceptions.judged?.())?.map(({ verdict }) => verdict.trusted)).toEqual([true, true]);
  });

  it("a row changed behind the app's back is seen once the bound has passed", async () => {
    const fresh = loadConfig({
      DW_STORAGE: inject('azurite').connectionString,
      DW_EVIDENCE_TABLE: `appev${suffix}d`,
      DW_EXCEPTIONS_TABLE: `appex${suffix}d`,
      DW_EXCEPTIONS_CACHE_MS: '300', // a short bound, so the test waits it out
    });
    const events = await createApp(fresh, { credential, log: () => {} }).eventPath();
    const raw = await createApp(fresh, { credential, log: () => {}, exceptionsCacheMs: 0 }).exceptions();
    const now = new Date();
    expect(await events.exceptions.active(now)).toEqual([]);
    await raw.create({
      controlId: 'NSG-MGMT-PORT',
      scope: '/subscriptions/00000000-0000-4000-8000-0000000000aa',
      justification: 'vendor maintenance window',
      ticket: 'CHG-3',
      approvedBy: 'carol@contoso.example',
      expiresOn: new Date(Date.now() + 86_400_000).toISOString(),
    });
    expect(await events.exceptions.active(now)).toEqual([]); // within the bound: the cached view
    await new Promise((resolve) => setTimeout(resolve, 350));
    expect((await events.exceptions.active(now)).map((e) => e.ticket)).toEqual(['CHG-3']);
  });

  it('does not cache a failed build: a fixed setting recovers', async () => {
    const broken = loadConfig({
      DW_STORAGE: 'UseDevelopmentStorage=true;TableEndpoint=http://127.0.0.1:1/x',
    });
    const app = createApp(broken, {
      credential,
      log: () => {},
      tableClientOptions: { retryOptions: { maxRetries: 0 } },
    });
    await expect(app.evidence()).rejects.toThrow();
    await expect(app.evidence()).rejects.toThrow(); // tried again, not a cached rejection
  });
});
