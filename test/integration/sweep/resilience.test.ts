import { describe, expect, it } from 'vitest';
import { generateEstate } from '../../../lib/dev/arm-sandbox/index.js';
import { processWorkItem, WORK_ITEM_TYPE } from '../../../lib/sweep/fanout.js';
import { runSweep } from '../../../lib/sweep/run.js';
import { mixedEstate, refuseSubscription, startHarness } from './harness.js';

const SUB = 'bbbbbbbb-0000-4000-8000-000000000001';

describe('sweep resilience', () => {
  it('survives ARM throttling (429 + Retry-After) with every drift still handled', async () => {
    const estate = generateEstate({
      subscriptions: [SUB],
      storageAccounts: 40,
      nsgs: 40,
      driftRatio: 0.25,
      seed: 7,
    });
    const harness = await startHarness({
      subscriptions: [SUB],
      scenario: estate,
      // the sandbox's buckets are far smaller than the ARM limits our client-side buckets assume,
      // so ARM (the sandbox) answers 429 + Retry-After and the sweep has to ride it out
      sandbox: {
        pageSize: 10,
        throttle: { reads: { burst: 10, perSecond: 40 }, writes: { burst: 3, perSecond: 8 } },
      },
      // The burst of storage/NSG writes is what overruns the sandbox here. With DIAG-RESOURCE-LOGS
      // on, every decision first waits for a diagnostic-settings read, and the client-side bucket
      // (which follows x-ms-ratelimit-remaining) then paces the writes below the sandbox's limit:
      // no 429 to ride out. (Those reads under an ARM-like read bucket: `npm run bench -- sweep`, phase 1b.)
      env: { DW_CONTROL_MODES: 'DIAG-RESOURCE-LOGS=off' },
    });
    try {
      const result = await runSweep({ subscriptions: [SUB], sweepId: '2026-11', deps: harness.runtime });
      const sub = result.subscriptions[0];
      expect(harness.sandbox.stats().throttled).toBeGreaterThan(0);
      expect(harness.runtime.throttle.stats.throttled).toBeGreaterThan(0);
      expect(sub?.errors).toEqual([]);
      expect(sub?.status).toBe('ok');
      expect(sub?.resources).toBeGreaterThanOrEqual(80);
      const remediated = new Set(
        sub?.items.filter((i) => i.outcome === 'remediated').map((i) => i.resourceId.toLowerCase()),
      );
      for (const id of estate.drifted ?? []) expect(remediated.has(id.toLowerCase())).toBe(true);
      expect(sub?.counts.failed).toBe(0);
    } finally {
      await harness.stop();
    }
  });

  it('survives injected 429 faults on reads and writes', async () => {
    const estate = generateEstate({
      subscriptions: [SUB],
      storageAccounts: 30,
      nsgs: 30,
      driftRatio: 0.3,
      seed: 11,
    });
    const harness = await startHarness({
      subscriptions: [SUB],
      scenario: estate,
      sandbox: { pageSize: 10, faults: { rate: 0.15, kinds: ['429'], seed: 3 } },
    });
    try {
      const result = await runSweep({ subscriptions: [SUB], sweepId: '2026-11', deps: harness.runtime });
      expect(harness.sandbox.stats().faults).toBeGreaterThan(0);
      expect(result.subscriptions[0]?.errors).toEqual([]);
      expect(result.totals.remediated).toBeGreaterThanOrEqual(estate.drifted?.length ?? 0);
      expect(result.totals.failed).toBe(0);
    } finally {
      await harness.stop();
    }
  });

  it('a subscription ARM refuses does not stop the others', async () => {
    const good = ['cccccccc-0000-4000-8000-000000000001', 'cccccccc-0000-4000-8000-000000000002'];
    const refused = 'cccccccc-0000-4000-8000-0000000000ff';
    const harness = await startHarness({
      subscriptions: [...good, refused],
      scenario: mixedEstate([...good, refused]),
      armPolicies: [refuseSubscription(refused)],
    });
    try {
      const result = await runSweep({
        subscriptions: [good[0] ?? '', refused, good[1] ?? ''],
        sweepId: '2026-11',
        deps: harness.runtime,
      });
      const bySub = new Map(result.subscriptions.map((s) => [s.subscriptionId, s]));
      expect(bySub.get(refused)?.status).toBe('error');
      expect(bySub.get(refused)?.errors[0]).toMatchObject({
        resourceId: null,
        statusCode: 403,
        transient: false,
      });
      for (const id of good) {
        expect(bySub.get(id)?.status).toBe('ok');
        expect(bySub.get(id)?.counts.remediated).toBe(8);
      }
    } finally {
      await harness.stop();
    }
  });

  it('a queue work item retries a transient subscription failure, then records it', async () => {
    const sub = 'dddddddd-0000-4000-8000-000000000001';
    const harness = await startHarness({
      subscriptions: [sub],
      scenario: mixedEstate([sub]),
      armPolicies: [refuseSubscription(sub, 503, 'ServiceUnavailable')],
    });
    try {
      const message = {
        type: WORK_ITEM_TYPE,
        sweepId: '2026-11',
        subscriptionId: sub,
        subscriptions: [sub],
        enqueuedAt: '',
      };
      await expect(
        processWorkItem(message, harness.runtime, { dequeueCount: 1, maxDequeueCount: 5 }),
      ).rejects.toThrow(/transient/);
      expect(await harness.runtime.reports.partIds('2026-11')).toEqual(new Set());
      // the last attempt records the failure instead of poisoning silently, and still produces the report
      const last = await processWorkItem(message, harness.runtime, { dequeueCount: 5, maxDequeueCount: 5 });
      expect(last.result.status).toBe('error');
      expect(last.report?.blobs).toContain('reports/2026-11/report.json');
      const report = JSON.parse((await harness.runtime.reports.readReport('2026-11')) ?? '{}') as {
        errors: { statusCode: number }[];
      };
      expect(report.errors.map((e) => e.statusCode)).toContain(503);
    } finally {
      await harness.stop();
    }
  });
});
