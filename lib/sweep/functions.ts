import type { InvocationContext, Timer } from '@azure/functions';
import { appFromEnvironment } from '../app/app.js';
import type { FunctionDefinition } from '../host/registration.js';
import { runIdentityValidation } from '../identity/run.js';
import { previousMonth } from '../report/period.js';
import { toError } from '../util/errors.js';
import { enqueueSweep, processWorkItem } from './fanout.js';
import type { SweepRuntime } from './runtime.js';

/**
 * Handlers behind functions/monthlySweep.ts and functions/sweepSubscription.ts, as factories over
 * a runtime getter so tests drive the very same handlers with a runtime on the sandbox + Azurite.
 */

/** host.json extensions.queues.maxDequeueCount: after this many attempts the runtime poisons the message. */
export const MAX_DEQUEUE_COUNT = 5;

export type RuntimeGetter = () => Promise<SweepRuntime>;

/** The process's sweep runtime (lib/app/app.ts: once per process, a failed build is retried). */
export const runtimeFromEnvironment: RuntimeGetter = async () => (await appFromEnvironment()).sweep();

export function monthlySweepHandler(getRuntime: RuntimeGetter = runtimeFromEnvironment) {
  return async (timer: Timer, context: InvocationContext): Promise<void> => {
    const runtime = await getRuntime();
    if (runtime.subscriptions.length === 0) {
      context.warn('monthly sweep: DW_SUBSCRIPTION_IDS is empty, nothing to sweep');
      return;
    }
    const now = runtime.now?.() ?? new Date();
    const { sweepId, enqueued } = await enqueueSweep(runtime.queue, runtime.subscriptions, { now });
    context.log(
      `monthly sweep ${sweepId}: enqueued ${enqueued} subscription work item(s) on "${runtime.queue.name}"${timer.isPastDue ? ' (timer was past due)' : ''}`,
    );
    // The identity controls are part of the monthly validation: recorded under the sweep's id.
    // A Graph failure is reported, never fails the sweep (the daily timer will try again).
    const identity = await runtime.identity?.();
    if (identity) {
      try {
        await runIdentityValidation(identity, { runId: sweepId, trigger: 'sweep' });
      } catch (thrown) {
        context.warn(`monthly sweep ${sweepId}: identity validation failed: ${toError(thrown).message}`);
      }
    }
    if (runtime.periodReports) {
      // The auditor's report of the month that just ended (its sweep ran on its 1st).
      const period = previousMonth(now);
      try {
        const { report, storedAs } = await (await runtime.periodReports()).generate(period);
        context.log(
          `period report ${period.from}..${period.to}: ${report.totals.records} records, ${report.findings.length} finding(s), stored as ${storedAs}`,
        );
      } catch (thrown) {
        const error = toError(thrown);
        context.error(`period report ${period.from}..${period.to} failed: ${error.message}`);
        throw error;
      }
    }
  };
}

export function sweepSubscriptionHandler(getRuntime: RuntimeGetter = runtimeFromEnvironment) {
  return async (message: unknown, context: InvocationContext): Promise<void> => {
    const runtime = await getRuntime();
    const dequeueCount = Number(context.triggerMetadata?.dequeueCount ?? 1);
    let outcome: Awaited<ReturnType<typeof processWorkItem>>;
    try {
      outcome = await processWorkItem(message, runtime, { dequeueCount, maxDequeueCount: MAX_DEQUEUE_COUNT });
    } catch (thrown) {
      const error = toError(thrown);
      context.error(
        `sweep work item failed (attempt ${dequeueCount} of ${MAX_DEQUEUE_COUNT}): ${error.message}`,
      );
      throw error;
    }
    const { item, result, report } = outcome;
    const c = result.counts;
    context.log(
      `sweep ${item.sweepId} subscription ${item.subscriptionId}: ${result.status}, ${result.resources} resources, ` +
        `${c.pass} pass, ${c.remediated} remediated, ${c.audit} open, ${c.failed} failed, ${c.exempt} exempt, ${result.errors.length} error(s)` +
        (outcome.partStored ? '' : ' (part already stored: kept the first)'),
    );
    for (const error of result.errors.slice(0, 20)) {
      context.warn(`sweep ${item.sweepId}: ${error.resourceId ?? item.subscriptionId}: ${error.message}`);
    }
    if (report) context.log(`sweep ${item.sweepId}: report written to ${report.blobs.join(', ')}`);
  };
}

/** The timer definition functions/monthlySweep.ts registers (tests serve it with their own runtime). */
export function monthlySweepDefinition(
  getRuntime: RuntimeGetter = runtimeFromEnvironment,
): FunctionDefinition {
  return {
    kind: 'timer',
    name: 'monthlySweep',
    // resolved by the Functions host from the app settings (infra sets it; default '0 0 3 1 * *')
    schedule: '%DW_SWEEP_SCHEDULE%',
    handler: monthlySweepHandler(getRuntime),
  };
}

/** The queue-trigger definition functions/sweepSubscription.ts registers. */
export function sweepSubscriptionDefinition(
  getRuntime: RuntimeGetter = runtimeFromEnvironment,
): FunctionDefinition {
  return {
    kind: 'storageQueue',
    name: 'sweepSubscription',
    queueName: '%DW_SWEEP_QUEUE%',
    // identity-based in Azure: DW_STORAGE__queueServiceUri; a connection string in DW_STORAGE locally
    connection: 'DW_STORAGE',
    handler: sweepSubscriptionHandler(getRuntime),
  };
}
