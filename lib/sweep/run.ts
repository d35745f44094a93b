import { randomUUID } from 'node:crypto';
import type { ArmClients } from '../azure/clients.js';
import type { RelatedReadOptions } from '../azure/related-reader.js';
import type { ControlId, Mode } from '../controls/types.js';
import type { EvidenceInput, EvidenceRecord } from '../evidence/types.js';
import { isRestError, isTransient, toError } from '../util/errors.js';
import { createPool } from '../util/pool.js';
import { countOutcome, emptyCounts, summarize } from './counts.js';
import type { ListedResource, StorageAccountLike } from './enumerate.js';
import {
  containersMatter,
  handOut,
  listContainers,
  networkSecurityGroupPages,
  storageAccountPages,
  vaultPages,
  workspacePages,
} from './enumerate.js';
import { EvidenceWriter } from './evidence-writer.js';
import { SweepRelated } from './related.js';
import type {
  Counts,
  SubscriptionResult,
  SweepDecider,
  SweepDecisionContext,
  SweepError,
  SweepItem,
  SweepProgress,
  SweepResult,
} from './types.js';

export interface SweepDeps {
  /** ARM clients carrying the sweep's throttle policy (see dependencies.ts) */
  arm: ArmClients;
  /** the remediation engine: the event path's decision code, evidence shape and chain */
  engine: SweepDecider;
  /**
   * Mode in force per control. With DIAG-RESOURCE-LOGS off the sweep makes none of its
   * per-resource diagnostic-settings calls (with KV-HSM-KEY-PHI off, no key lists). Default: on.
   */
  modes?: (id: ControlId) => Mode;
  /** what the cross-resource lookups include: an audit workspace's tables, the DIAG remediation destination */
  related?: RelatedReadOptions;
}

export interface RunSweepOptions {
  subscriptions: readonly string[];
  /** default: the current UTC month, 'YYYY-MM' (all parts of one month share idempotency keys) */
  sweepId?: string;
  /**
   * This run of the sweep id (default: a fresh one per runSweep call). Write intents are per run,
   * so re-running a month re-evaluates and writes (and records) again where drift is back; a queue
   * redelivery passes the work item's run id and dedupes against its own earlier attempt.
   */
  runId?: string;
  /** evaluate and report only: no ARM writes, no evidence */
  dryRun?: boolean;
  deps: SweepDeps;
  onProgress?: (progress: SweepProgress) => void;
  /** resources decided at once per subscription; default 32 */
  concurrency?: number;
  /** subscriptions swept at once; default 4 (each has its own ARM buckets) */
  subscriptionConcurrency?: number;
  /** evidence inputs per appendMany call; default 500 */
  evidenceChunk?: number;
  now?: () => Date;
}

const SWEEP_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** 'YYYY-MM' of the given instant, in UTC. */
export function monthSweepId(date: Date): string {
  return date.toISOString().slice(0, 7);
}

export function validateSweepId(sweepId: string): string {
  if (!SWEEP_ID.test(sweepId))
    throw new Error(`invalid sweep id "${sweepId}": letters, digits, . _ - (max 64)`);
  return sweepId;
}

/** Sweeps every subscription (a few at a time); one subscription failing never stops the others. */
export async function runSweep(options: RunSweepOptions): Promise<SweepResult> {
  const now = options.now ?? (() => new Date());
  const sweepId = validateSweepId(options.sweepId ?? monthSweepId(now()));
  const runId = options.runId ?? randomUUID();
  const startedAt = now().toISOString();
  const unique = [...new Map(options.subscriptions.map((id) => [id.toLowerCase(), id])).values()];
  const results: SubscriptionResult[] = new Array(unique.length);
  const pool = createPool(options.subscriptionConcurrency ?? 4);
  for (const [index, subscriptionId] of unique.entries()) {
    await pool.submit(async () => {
      results[index] = await sweepOneSubscription(subscriptionId, { ...options, sweepId, runId });
    });
  }
  await pool.drain();
  return summarize(sweepId, options.dryRun ?? false, startedAt, now().toISOString(), results);
}

/** Tallies decisions: from stored records when evidence is written (so a re-run reports what the month recorded). */
class Tally {
  readonly counts = emptyCounts();
  readonly byControl: Partial<Record<ControlId, Counts>> = {};
  readonly items: SweepItem[] = [];

  constructor(private readonly subscriptionId: string) {}

  add(decision: EvidenceInput | EvidenceRecord): void {
    countOutcome(this.counts, decision.outcome);
    if (decision.controlId) {
      const counts = this.byControl[decision.controlId] ?? emptyCounts();
      countOutcome(counts, decision.outcome);
      this.byControl[decision.controlId] = counts;
    }
    if (['remediated', 'remediation-failed', 'audit-only', 'exempted'].includes(decision.outcome)) {
      this.items.push({
        recordId: 'recordId' in decision ? decision.recordId : null,
        time: 'time' in decision ? decision.time : null,
        subscriptionId: decision.subscriptionId || this.subscriptionId,
        resourceId: decision.resourceId,
        resourceType: decision.resourceType,
        controlId: decision.controlId,
        ruleName: decision.ruleName ?? null,
        outcome: decision.outcome,
        action: decision.action,
        message: decision.message,
        exceptionId: decision.exceptionId,
      });
    }
  }
}

function describeError(subscriptionId: string, resourceId: string | null, thrown: unknown): SweepError {
  const error = toError(thrown);
  return {
    subscriptionId,
    resourceId,
    message: error.message,
    statusCode: isRestError(error) ? (error.statusCode ?? null) : null,
    transient: isTransient(error),
  };
}

/** Sweeps one subscription: lists pages, decides each resource, streams evidence. Never throws. */
export async function sweepOneSubscription(
  subscriptionId: string,
  options: Omit<RunSweepOptions, 'subscriptions'> & { sweepId: string },
): Promise<SubscriptionResult> {
  const now = options.now ?? (() => new Date());
  const startedAt = now().toISOString();
  const { deps, sweepId } = options;
  const dryRun = options.dryRun ?? false;
  const tally = new Tally(subscriptionId);
  const errors: SweepError[] = [];
  const progress: SweepProgress = {
    subscriptionId,
    listed: 0,
    listingDone: false,
    decided: 0,
    remediated: 0,
    failed: 0,
  };
  const report = () => options.onProgress?.({ ...progress });
  const context: SweepDecisionContext = {
    trigger: 'sweep',
    idempotencyPrefix: `sweep:${sweepId}`,
    sweepId,
    runId: options.runId ?? randomUUID(),
    eventId: null,
    correlationId: randomUUID(),
    actor: null,
    dryRun,
  };
  const writer = new EvidenceWriter(
    (inputs) => deps.engine.record(inputs, context),
    (records) => {
      for (const record of records) tally.add(record);
    },
    options.evidenceChunk,
  );

  const related = new SweepRelated(
    deps.arm,
    subscriptionId,
    {
      diagnosticSettings: deps.modes?.('DIAG-RESOURCE-LOGS') !== 'off',
      keys: deps.modes?.('KV-HSM-KEY-PHI') !== 'off',
    },
    deps.related,
  );

  /**
   * Decides one resource; returns its decisions, or null when it could not be decided.
   * `withRelated`: the resource's diagnostic settings (and CMK key) are looked up first.
   */
  const decide = async (resource: ListedResource, withRelated = false): Promise<EvidenceInput[] | null> => {
    let inputs: EvidenceInput[] | null = null;
    try {
      const ctx = withRelated ? { ...context, related: await related.forResource(resource) } : context;
      inputs = await deps.engine.decide(resource, ctx);
      for (const input of inputs) {
        if (input.outcome === 'remediated') progress.remediated += 1;
        if (input.outcome === 'remediation-failed') progress.failed += 1;
        if (dryRun) tally.add(input);
      }
      if (!dryRun) await writer.add(inputs);
    } catch (thrown) {
      // transient after the SDK's retries (or a bug): no evidence, so a re-run of the month retries it
      errors.push(describeError(subscriptionId, resource.id ?? null, thrown));
      progress.failed += 1;
    }
    progress.decided += 1;
    report();
    return inputs;
  };

  const pool = createPool(options.concurrency ?? 32);
  /**
   * Workspaces first (DIAG-RESOURCE-LOGS judges resources by the retention of the workspace they
   * send to, so a workspace this sweep remediates counts at its new retention), and the vaults
   * (where PHI accounts' keys are looked up).
   */
  const listWorkspaces = async () => {
    for await (const page of workspacePages(deps.arm, subscriptionId)) {
      progress.listed += page.length;
      for (const workspace of page) {
        related.addWorkspace(workspace);
        await pool.submit(async () => {
          // with its tables (LAW-RETENTION)
          const decisions = await decide(workspace, true);
          const fixed = decisions?.find((d) => d.controlId === 'LAW-RETENTION' && d.outcome === 'remediated');
          if (fixed && typeof fixed.after === 'object' && fixed.after !== null)
            related.addWorkspace({ ...workspace, ...(fixed.after as object) });
        });
      }
    }
  };
  const listVaults = async () => {
    for await (const page of vaultPages(deps.arm, subscriptionId)) {
      progress.listed += page.length;
      for (const vault of page) related.addVault(vault);
      for (const vault of handOut(page)) await pool.submit(async () => void (await decide(vault, true)));
    }
  };
  const first = await Promise.allSettled([listWorkspaces(), listVaults()]);
  for (const listing of first) {
    if (listing.status === 'rejected') errors.push(describeError(subscriptionId, null, listing.reason));
  }
  await pool.drain();
  const listStorage = async () => {
    for await (const page of storageAccountPages(deps.arm, subscriptionId)) {
      progress.listed += page.length;
      for (const account of handOut(page)) {
        await pool.submit(async () => {
          const decisions = await decide(account, true);
          if (!account.id || !containersMatter(account as StorageAccountLike, decisions)) return;
          let containers: ListedResource[];
          try {
            containers = await listContainers(deps.arm, subscriptionId, account.id);
          } catch (thrown) {
            errors.push(
              describeError(subscriptionId, `${account.id}/blobServices/default/containers`, thrown),
            );
            return;
          }
          progress.listed += containers.length;
          for (const container of containers) await decide(container);
        });
      }
    }
  };
  const listNetwork = async () => {
    for await (const page of networkSecurityGroupPages(deps.arm, subscriptionId)) {
      progress.listed += page.length;
      for (const nsg of handOut(page)) {
        await pool.submit(async () => {
          await decide(nsg, true);
        });
      }
    }
  };
  const listings = await Promise.allSettled([listStorage(), listNetwork()]);
  progress.listingDone = true;
  for (const listing of listings) {
    if (listing.status === 'rejected') errors.push(describeError(subscriptionId, null, listing.reason));
  }
  await pool.drain();
  await writer.close();
  if (writer.error) {
    errors.push({
      ...describeError(subscriptionId, null, writer.error),
      message: `evidence write failed (${writer.dropped} records not stored): ${writer.error.message}`,
      transient: true,
    });
  }
  report();
  return {
    subscriptionId,
    status: errors.some((error) => error.resourceId === null)
      ? 'error'
      : errors.length > 0
        ? 'partial'
        : 'ok',
    startedAt,
    finishedAt: now().toISOString(),
    resources: progress.listed,
    counts: tally.counts,
    byControl: tally.byControl,
    items: tally.items,
    errors,
  };
}
