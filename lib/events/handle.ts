import { parseResourceId } from '../azure/resource-id.js';
import type { EvidenceRecord } from '../evidence/types.js';
import type { DecisionContext } from '../remediation/types.js';
import { ResourceCoalescer } from './coalesce.js';
import {
  IgnoredEventTypeError,
  MalformedEventError,
  parseResourceChange,
  type ResourceChange,
} from './parse.js';

/**
 * Use case behind the Event Grid function: one delivery in, at most one decision round out.
 *
 *  parse → loop guard → dedupe → re-read from ARM and decide (engine) → evidence (+ notification)
 *
 * - Malformed or hostile events are logged on one line and dropped (never thrown: redelivery
 *   cannot make them valid) — no ARM call.
 * - Scope: events for subscriptions not in DW_SUBSCRIPTION_IDS are ignored with a log line, and
 *   so are other Azure resource event types (ResourceActionSuccess, ResourceWriteFailure, ...).
 * - Loop guard: an event is skipped as our own write only when its caller's object id is
 *   driftwarden's (DW_SELF_OBJECT_ID; the app id, when both are known, must match too — an app id
 *   alone is anyone who can attach the identity) AND the engine announced a remediation write of
 *   that resource (IntentStore.markOwnWrite). Anything else driftwarden's identity writes — a
 *   restore, a write by someone borrowing the identity — is re-read and re-evaluated like any
 *   change. The guard is an optimisation; every step is idempotent anyway.
 * - Duplicates: a per-process memory of completed event ids skips the ARM read; across processes
 *   the engine's intent (done) and the evidence store's idempotency keys do the deduping.
 * - Every other failure (ARM transient, evidence store down, a concurrent duplicate in flight)
 *   propagates, so the invocation fails and Event Grid redelivers.
 * - The event is a hint: storage account, container, NSG and rule events all re-read that
 *   resource (a Resource Notifications payload is not trusted for the write decision).
 * - Coalesced per resource (coalesce.ts): events for a resource whose re-read is in flight share
 *   the one next round, so an edit storm on one NSG costs two re-reads and at most one write.
 */

export interface EventEngine {
  /** `outcome.duplicate` is set when the key was already handled (no re-read was made) */
  handleResourceId(
    resourceId: string,
    ctx: DecisionContext,
    outcome?: { duplicate: boolean },
  ): Promise<EvidenceRecord[]>;
}

/** The loop guard's view of the engine's write announcements. */
export interface OwnWrites {
  takeOwnWrite(resourceId: string, now: Date): Promise<boolean>;
}

export interface HandleDeps {
  engine: EventEngine;
  selfObjectId: string | null;
  selfAppId: string | null;
  /** DW_SUBSCRIPTION_IDS: events for any other subscription are ignored */
  subscriptions: readonly string[];
  /** the engine's write announcements (the intent store) */
  ownWrites: OwnWrites;
  clock: () => Date;
  log: (line: string) => void;
  /** completed event ids (shared per process); default: a module-level memory */
  recent?: RecentEvents;
  /** per-resource coalescing (shared per process); default: a module-level one */
  coalescer?: ResourceCoalescer;
}

export type HandleResult =
  | { status: 'malformed'; reason: string }
  | { status: 'ignored'; reason: string }
  | { status: 'own-write'; eventId: string }
  | { status: 'duplicate'; eventId: string }
  | { status: 'handled'; eventId: string; records: EvidenceRecord[] };

/** Bounded memory of event ids already handled to completion in this process. */
export class RecentEvents {
  private readonly ids = new Map<string, true>();
  constructor(private readonly limit = 10_000) {}
  has(id: string): boolean {
    return this.ids.has(id);
  }
  add(id: string): void {
    this.ids.set(id, true);
    if (this.ids.size > this.limit) {
      const oldest = this.ids.keys().next().value;
      if (oldest !== undefined) this.ids.delete(oldest);
    }
  }
}

const processRecent = new RecentEvents();
const processCoalescer = new ResourceCoalescer();

function same(a: string | null, b: string | null): boolean {
  return a !== null && b !== null && a.toLowerCase() === b.toLowerCase();
}

/** The caller is driftwarden's identity: object id equal, and the app id too when both sides have one. */
export function isOwnIdentity(
  change: ResourceChange,
  self: Pick<HandleDeps, 'selfObjectId' | 'selfAppId'>,
): boolean {
  if (!same(change.callerObjectId, self.selfObjectId)) return false;
  return !self.selfAppId || !change.callerAppId || same(change.callerAppId, self.selfAppId);
}

export function contextFor(change: ResourceChange): DecisionContext {
  return {
    trigger: 'event',
    idempotencyPrefix: `event:${change.eventId}`,
    eventId: change.eventId,
    correlationId: change.correlationId,
    actor: change.actor,
    actorObjectId: change.callerObjectId,
    eventTarget: change.resourceId,
    ...(change.eventTime ? { eventTime: change.eventTime } : {}),
  };
}

/**
 * The resource a change re-evaluates: itself, except a diagnostic setting, which is judged as
 * part of the resource it is attached to (a deleted setting makes that resource's audit logs
 * stop), and a workspace table, judged with its workspace (LAW-RETENTION).
 */
export function resourceToEvaluate(change: ResourceChange): string {
  if (change.target !== 'diagnosticSetting' && change.target !== 'logAnalyticsTable')
    return change.resourceId;
  const parsed = parseResourceId(change.resourceId);
  if (!parsed.ok || !parsed.id) return change.resourceId;
  if (change.target === 'logAnalyticsTable')
    return `/subscriptions/${parsed.id.subscriptionId}/resourceGroups/${parsed.id.resourceGroup}/providers/Microsoft.OperationalInsights/workspaces/${parsed.id.parentName}`;
  return parsed.id.scope?.resourceId || change.resourceId;
}

export async function handleResourceChange(event: unknown, deps: HandleDeps): Promise<HandleResult> {
  let change: ResourceChange;
  try {
    change = parseResourceChange(event);
  } catch (error) {
    if (error instanceof IgnoredEventTypeError) {
      deps.log(`event ignored: ${error.eventId ?? '?'}: ${error.reason}`);
      return { status: 'ignored', reason: 'event type not acted on' };
    }
    if (error instanceof MalformedEventError) {
      deps.log(`event rejected: ${error.message}`);
      return { status: 'malformed', reason: error.reason };
    }
    throw error;
  }
  const where = `event ${change.eventId} (${change.eventType}) on ${change.resourceId}`;
  if (change.target === 'unsupported') {
    deps.log(`event ignored: ${where}: not a resource driftwarden judges`);
    return { status: 'ignored', reason: 'unsupported resource type' };
  }
  if (!deps.subscriptions.some((id) => id.toLowerCase() === change.subscriptionId.toLowerCase())) {
    deps.log(`event ignored: ${where}: subscription ${change.subscriptionId} is not in DW_SUBSCRIPTION_IDS`);
    return { status: 'ignored', reason: 'subscription not configured' };
  }
  if (isOwnIdentity(change, deps) && (await deps.ownWrites.takeOwnWrite(change.resourceId, deps.clock()))) {
    deps.log(`event skipped: ${where}: driftwarden's own remediation write (loop guard)`);
    return { status: 'own-write', eventId: change.eventId };
  }
  const recent = deps.recent ?? processRecent;
  // keyed with the resource too: a forged event reusing a real id must not suppress the real one
  const seen = `${change.eventId}|${change.resourceId.toLowerCase()}`;
  if (recent.has(seen)) {
    deps.log(`event skipped: ${where}: duplicate delivery`);
    return { status: 'duplicate', eventId: change.eventId };
  }
  const coalescer = deps.coalescer ?? processCoalescer;
  // A coalesced round acts for the first of its events that is not already handled: a joined
  // redelivery of a finished event must not make the round skip the re-read the others need.
  const records = await coalescer.run(resourceToEvaluate(change).toLowerCase(), change, async (changes) => {
    for (const joined of [...new Map(changes.map((c) => [c.eventId, c])).values()]) {
      const outcome = { duplicate: false };
      const result = await deps.engine.handleResourceId(
        resourceToEvaluate(joined),
        contextFor(joined),
        outcome,
      );
      if (!outcome.duplicate) return result;
    }
    return [];
  });
  recent.add(seen);
  const summary =
    records.length === 0
      ? 'nothing to record'
      : records.map((r) => `${r.controlId ?? '-'}=${r.outcome}`).join(', ');
  deps.log(`event handled: ${where} by ${change.actor ?? 'unknown'}: ${summary}`);
  return { status: 'handled', eventId: change.eventId, records };
}
