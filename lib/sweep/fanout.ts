import { randomUUID } from 'node:crypto';
import type { QueueClient } from '@azure/storage-queue';
import { encodeQueueMessage } from '../azure/queue-message.js';
import type { ControlException } from '../controls/types.js';
import type { VerifyResult } from '../evidence/types.js';
import type { CrossCheckResult } from '../policy/cross-check.js';
import { toError } from '../util/errors.js';
import { buildReport } from './report.js';
import type { SweepReportStore } from './report-store.js';
import { monthSweepId, type SweepDeps, sweepOneSubscription, validateSweepId } from './run.js';
import type { SubscriptionResult, SweepReport } from './types.js';

/**
 * Fan-out of the monthly sweep. The timer enqueues one work item per configured subscription;
 * the queue-triggered function sweeps one subscription, stores its result as a part blob, and the
 * invocation that finds every expected part present assembles the report. Each work item carries
 * the sweep id and the full list of expected subscriptions, so no shared state is needed: the
 * parts are counted in blob storage, which is strongly consistent (the last part to be written
 * always sees all the others; two finishing together may both assemble — the second one becomes
 * a report revision, see report-store.ts).
 */

export const WORK_ITEM_TYPE = 'driftwarden.sweep.subscription';

export interface SweepWorkItem {
  type: typeof WORK_ITEM_TYPE;
  sweepId: string;
  /** one per enqueue (a timer firing): every work item of it shares the run (see runSweep) */
  runId: string;
  subscriptionId: string;
  /** every subscription of this sweep: the report is assembled when all of them have a part */
  subscriptions: string[];
  enqueuedAt: string;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Validates a dequeued message (the runtime hands JSON messages over parsed; a string is parsed here). */
export function parseWorkItem(message: unknown): SweepWorkItem {
  let value = message;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      throw new Error('sweep work item is not JSON');
    }
  }
  const item = value as Partial<SweepWorkItem> | null;
  if (!item || typeof item !== 'object' || item.type !== WORK_ITEM_TYPE)
    throw new Error('not a sweep work item');
  if (typeof item.sweepId !== 'string') throw new Error('sweep work item without sweepId');
  validateSweepId(item.sweepId);
  if (typeof item.subscriptionId !== 'string' || !GUID.test(item.subscriptionId)) {
    throw new Error('sweep work item without a valid subscriptionId');
  }
  const subscriptions = Array.isArray(item.subscriptions)
    ? item.subscriptions.filter((s): s is string => typeof s === 'string')
    : [];
  if (!subscriptions.some((s) => s.toLowerCase() === item.subscriptionId?.toLowerCase()))
    subscriptions.push(item.subscriptionId);
  return {
    type: WORK_ITEM_TYPE,
    sweepId: item.sweepId,
    // items enqueued before runs existed: one run per enqueue time
    runId:
      typeof item.runId === 'string' && /^[A-Za-z0-9-]{1,64}$/.test(item.runId)
        ? item.runId
        : `e${Date.parse(String(item.enqueuedAt)) || 0}`,
    subscriptionId: item.subscriptionId,
    subscriptions,
    enqueuedAt: typeof item.enqueuedAt === 'string' ? item.enqueuedAt : '',
  };
}

export interface EnqueueResult {
  sweepId: string;
  enqueued: number;
}

/** Timer side: one Base64 JSON message per subscription (the queue trigger's default encoding). */
export async function enqueueSweep(
  queue: QueueClient,
  subscriptions: readonly string[],
  options: { sweepId?: string; now?: Date } = {},
): Promise<EnqueueResult> {
  const now = options.now ?? new Date();
  const sweepId = validateSweepId(options.sweepId ?? monthSweepId(now));
  const unique = [...new Map(subscriptions.map((id) => [id.toLowerCase(), id])).values()];
  if (unique.length === 0) return { sweepId, enqueued: 0 };
  await queue.createIfNotExists();
  const runId = randomUUID();
  for (const subscriptionId of unique) {
    const item: SweepWorkItem = {
      type: WORK_ITEM_TYPE,
      sweepId,
      runId,
      subscriptionId,
      subscriptions: unique,
      enqueuedAt: now.toISOString(),
    };
    await queue.sendMessage(encodeQueueMessage(item));
  }
  return { sweepId, enqueued: unique.length };
}

export interface ReportSources {
  reports: SweepReportStore;
  exceptions: { list(): Promise<ControlException[]> };
  evidence: { verify(): Promise<VerifyResult> };
  /** verifies the sweep's month only (against the digests when anchoring is set up); else evidence.verify() */
  verifyMonth?: (sweepId: string) => Promise<VerifyResult>;
  /** publishes a digest at the end of the sweep of a subscription (signed anchor of its chains) */
  publishDigest?: () => Promise<void>;
  now?: () => Date;
  /** the Azure Policy cross-check for the report (lib/policy), when the app provides one */
  policyCrossCheck?: (subscriptions: readonly string[]) => Promise<CrossCheckResult>;
}

/** Builds the report from the stored parts, the exception registry and a chain verification, and uploads it. */
export async function assembleReport(
  sweepId: string,
  expectedSubscriptions: readonly string[],
  sources: ReportSources,
): Promise<{ report: SweepReport; blobs: string[]; revision: string | null }> {
  const parts = await sources.reports.readParts(sweepId, expectedSubscriptions);
  const [exceptions, verification, policyCrossCheck] = await Promise.all([
    sources.exceptions.list(),
    (sources.verifyMonth ? sources.verifyMonth(sweepId) : sources.evidence.verify()).catch(
      (thrown: unknown) => ({ ok: false as const, error: toError(thrown).message }),
    ),
    // A cross-check that cannot run never holds the report back: its absence is visible.
    sources.policyCrossCheck?.(expectedSubscriptions).catch(() => undefined),
  ]);
  const report = buildReport({
    sweepId,
    generatedAt: (sources.now ?? (() => new Date()))(),
    dryRun: false,
    expectedSubscriptions,
    parts,
    exceptions,
    verification,
    ...(policyCrossCheck ? { policyCrossCheck } : {}),
  });
  return { report, ...(await sources.reports.saveReport(report)) };
}

export interface WorkItemOutcome {
  item: SweepWorkItem;
  result: SubscriptionResult;
  /** false when a part for this subscription was already stored (retry / re-run): the first is kept */
  partStored: boolean;
  /** set when this invocation found all parts and assembled the report */
  report: { blobs: string[]; revision: string | null } | null;
}

/** Queue side: sweep one subscription, store its part, assemble the report when it was the last. */
export async function processWorkItem(
  message: unknown,
  deps: SweepDeps & ReportSources & { concurrency?: number },
  delivery: { dequeueCount: number; maxDequeueCount: number },
): Promise<WorkItemOutcome> {
  const item = parseWorkItem(message);
  const result = await sweepOneSubscription(item.subscriptionId, {
    sweepId: item.sweepId,
    runId: item.runId,
    deps,
    ...(deps.concurrency ? { concurrency: deps.concurrency } : {}),
    ...(deps.now ? { now: deps.now } : {}),
  });
  const transient = result.errors.find((error) => error.transient && error.resourceId === null);
  if (transient && delivery.dequeueCount < delivery.maxDequeueCount) {
    // Throttled or ARM/storage briefly unavailable: let the queue redeliver. Safe, because the
    // evidence is idempotent per (sweep, resource, control) and no part has been written yet.
    throw new Error(`sweep of ${item.subscriptionId} hit a transient error, retrying: ${transient.message}`);
  }
  // anchor what this sweep recorded before the report (which names the anchored heads) is built
  await deps.publishDigest?.();
  const partStored = await deps.reports.savePart(item.sweepId, result);
  const present = await deps.reports.partIds(item.sweepId);
  const complete = item.subscriptions.every((id) => present.has(id.toLowerCase()));
  // Assemble when this part completed the set, or when an earlier assembly never got stored
  // (crash between the last part and the report). A plain re-delivery adds no revision.
  const assemble = complete && (partStored || !(await deps.reports.hasReport(item.sweepId)));
  const report = assemble ? await assembleReport(item.sweepId, item.subscriptions, deps) : null;
  return {
    item,
    result,
    partStored,
    report: report ? { blobs: report.blobs, revision: report.revision } : null,
  };
}
