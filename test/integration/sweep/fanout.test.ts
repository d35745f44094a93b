import { setTimeout as sleep } from 'node:timers/promises';
import type { InvocationContext } from '@azure/functions';
import { QueueClient } from '@azure/storage-queue';
import { describe, expect, inject, it } from 'vitest';
import { startFunctionHost } from '../../../lib/dev/local/host.js';
import { parseWorkItem } from '../../../lib/sweep/fanout.js';
import { monthlySweepDefinition, sweepSubscriptionDefinition } from '../../../lib/sweep/functions.js';
import { monthSweepId } from '../../../lib/sweep/run.js';
import type { SweepReport } from '../../../lib/sweep/types.js';
import { MIXED_EXPECTED_PER_SUBSCRIPTION, mixedEstate, sharedExceptions, startHarness } from './harness.js';

const SUBS = [
  'eeeeeeee-0000-4000-8000-000000000001',
  'eeeeeeee-0000-4000-8000-000000000002',
  'eeeeeeee-0000-4000-8000-000000000003',
];

describe('queue fan-out on Azurite through the local function host', () => {
  it('the timer enqueues one work item per subscription; each is swept exactly once; the last assembles the report', async () => {
    const harness = await startHarness({
      subscriptions: SUBS,
      scenario: mixedEstate(SUBS),
      exceptions: sharedExceptions(SUBS),
    });
    const getRuntime = async () => harness.runtime;
    const worker = sweepSubscriptionDefinition(getRuntime);
    if (worker.kind !== 'storageQueue') throw new Error('sweepSubscription must be a queue trigger');
    const swept: string[] = [];
    const host = await startFunctionHost({
      port: 0,
      functionKey: 'test-key',
      functions: [
        monthlySweepDefinition(getRuntime),
        // the real handler, counting its invocations
        {
          ...worker,
          handler: async (message: unknown, context: InvocationContext) => {
            swept.push(parseWorkItem(message).subscriptionId);
            await worker.handler(message, context);
          },
        },
      ],
      queueConnectionString: inject('azurite').connectionString,
      settings: harness.settings,
      enableTimers: false,
      log: () => {},
      queuePolling: { minPollMs: 50, maxPollMs: 200 },
    });
    const sweepId = monthSweepId(new Date());
    try {
      await host.runNow('monthlySweep');
      const deadline = Date.now() + 60_000;
      while (!(await harness.runtime.reports.hasReport(sweepId))) {
        if (Date.now() > deadline) throw new Error(`no report after 60 s; swept so far: ${swept.join(', ')}`);
        await sleep(100);
      }
      await sleep(500); // let any (wrong) redelivery show up

      expect([...swept].sort()).toEqual([...SUBS].sort());
      expect(await harness.runtime.reports.partIds(sweepId)).toEqual(new Set(SUBS));
      const queue = new QueueClient(
        inject('azurite').connectionString,
        harness.settings.DW_SWEEP_QUEUE ?? '',
      );
      expect((await queue.getProperties()).approximateMessagesCount).toBe(0);
      const poison = new QueueClient(
        inject('azurite').connectionString,
        `${harness.settings.DW_SWEEP_QUEUE}-poison`,
      );
      expect(await poison.exists()).toBe(false);

      const report = JSON.parse(
        (await harness.runtime.reports.readReport(sweepId, 'json')) ?? 'null',
      ) as SweepReport;
      expect(report.expectedSubscriptions).toEqual(SUBS);
      expect(report.subscriptions.map((s) => s.status)).toEqual(['ok', 'ok', 'ok']);
      expect(report.errors).toEqual([]);
      for (const [control, expected] of Object.entries(MIXED_EXPECTED_PER_SUBSCRIPTION)) {
        const counts = report.byControl[control as keyof typeof report.byControl];
        expect({ control, remediated: counts?.remediated, audit: counts?.audit }).toEqual({
          control,
          remediated: (expected?.remediated ?? 0) * SUBS.length,
          audit: (expected?.audit ?? 0) * SUBS.length,
        });
      }
      expect(report.remediations).toHaveLength(8 * SUBS.length);
      expect(report.failures).toHaveLength(2 * SUBS.length);
      expect(report.exemptions).toHaveLength(SUBS.length);
      expect(report.exceptions.inForce).toHaveLength(SUBS.length);
      // every decision, plus each approved exception's own record (issue 11: exceptions are evidence)
      expect(report.verification).toMatchObject({
        ok: true,
        records: report.totals.evaluated + report.exceptions.inForce.length,
      });
      expect(await harness.runtime.reports.readReport(sweepId, 'csv')).toMatch(/^section,subscription_id,/);
      expect(await harness.runtime.reports.readReport(sweepId, 'html')).toMatch(/^<!doctype html>/);

      // The timer firing again in the same month: the items are re-processed idempotently,
      // parts and the canonical report are kept (write-once), and no evidence is duplicated.
      await host.runNow('monthlySweep');
      const again = Date.now() + 60_000;
      while (swept.length < 2 * SUBS.length) {
        if (Date.now() > again) throw new Error('second fan-out not processed');
        await sleep(100);
      }
      await sleep(300);
      const verify = await harness.runtime.evidence.verify();
      expect(verify).toMatchObject({
        ok: true,
        records: report.totals.evaluated + report.exceptions.inForce.length,
      });
      expect(JSON.parse((await harness.runtime.reports.readReport(sweepId, 'json')) ?? 'null')).toEqual(
        report,
      );
    } finally {
      await host.stop();
      await harness.stop();
    }
  });
});
