import type {
  ControlId,
  DiagnosticLogEntry,
  NormalizedResource,
  RelatedResources,
  RemediationPlan,
} from '../controls/types.js';
import type { EvidenceRecord, Trigger } from '../evidence/types.js';
import type { ResourceKind } from '../resources/kinds.js';

/**
 * Shared types and ports of the remediation core. The engine decides; the adapters read and write ARM, keep
 * write intents and publish notifications. Azure adapters live in lib/azure and lib/notify.
 */

/** Who is asking the engine to decide, and under which idempotency prefix its records go. */
export interface DecisionContext {
  trigger: Trigger;
  /** 'event:<eventId>' or 'sweep:<sweepId>' (or 'manual:<id>'): makes every record idempotent */
  idempotencyPrefix: string;
  /**
   * Sweep: this run of the sweep id (a timer firing, a CLI invocation; a queue redelivery keeps
   * it). Intents are per run, so a re-run re-evaluates and writes again where drift is back.
   */
  runId?: string;
  eventId: string | null;
  correlationId: string | null;
  /** when the triggering change happened (event path): recorded for time-to-remediate */
  eventTime?: string | null;
  /** who caused the change (event claims): recorded as the actor of what the event targets */
  actor: string | null;
  /** the caller's Entra object id (event claims), recorded with the actor */
  actorObjectId?: string | null;
  /**
   * Event path: the resource the event's change targets (canonical id). The caller is the actor
   * only of findings about that resource (the rule, the account's properties); anything else
   * found on the re-read is recorded unattributed, with the caller as a hint.
   */
  eventTarget?: string | null;
  /** the state was re-read after a 412: someone changed it after the event, so nothing read is the caller's */
  afterConflict?: boolean;
  sweepId?: string | null;
  /** evaluate and describe what would be done; no intents, no ARM writes */
  dryRun?: boolean;
  /** other resources the cross-resource controls need, when the caller has them (sweep lists) */
  related?: RelatedResources;
}

/** A resource as ARM returned it (SDK model: flattened properties), with its ETag. */
export interface ResourceSnapshot {
  /** canonical id of what was read */
  resourceId: string;
  target: ResourceKind;
  subscriptionId: string;
  raw: Record<string, unknown>;
  /** resource ETag (NSG, rule, container); storage accounts have none */
  etag: string | null;
  /**
   * After a write to a related resource (a diagnostic setting): the related resources as read
   * back from ARM, which confirm the write and give the evidence its `after`.
   */
  related?: RelatedResources;
}

export interface ResourceGateway {
  /** Current state from ARM, or null when the resource does not exist (404). */
  read(resourceId: string): Promise<ResourceSnapshot | null>;
  /**
   * Writes only what `plan` changes on `current` (PATCH of the named storage properties, PATCH of
   * container publicAccess, or PUT of the one security rule with If-Match on its ETag) and returns
   * the state ARM reports afterwards (for a rule plan: the rule). Throws PreconditionFailedError
   * on 412 (caller re-reads and re-evaluates), ResourceBusyError when another operation kept the
   * resource busy past the write's budget, RestError otherwise.
   */
  apply(plan: RemediationPlan, current: ResourceSnapshot): Promise<ResourceSnapshot>;
  /**
   * Puts a recorded `before` state back (on-call restore): storage properties
   * ({ allowBlobPublicAccess, supportsHttpsTrafficOnly, minimumTlsVersion } subset), container
   * ({ publicAccess }) or a security rule (the rule as recorded). `etag`, when given, must match
   * the resource's current ETag (rule, container), else PreconditionFailedError.
   */
  restoreState(resourceId: string, before: unknown, etag?: string | null): Promise<ResourceSnapshot>;
  /**
   * Restore of a DIAG-RESOURCE-LOGS remediation: puts diagnostic setting `name` on `scopeId`
   * back as recorded (`setting`: its destination and logs), or deletes it (null: it did not
   * exist). Returns `resourceId`'s snapshot with the related resources read back.
   */
  restoreDiagnosticSetting?(
    resourceId: string,
    scopeId: string,
    name: string,
    setting: { workspaceId: string | null; logs: DiagnosticLogEntry[] } | null,
  ): Promise<ResourceSnapshot>;
  /**
   * The other resources cross-resource controls look at for `resource` (its diagnostic settings
   * and their workspaces, its customer-managed key), read from ARM. Absent: none are known, and
   * those controls are not applicable.
   */
  related?(resource: NormalizedResource): Promise<RelatedResources>;
}

/** ARM answered 412: someone changed the resource since we read it. */
export class PreconditionFailedError extends Error {
  constructor(readonly resourceId: string) {
    super(`ARM rejected the write to ${resourceId}: the resource changed since it was read (412)`);
    this.name = 'PreconditionFailedError';
  }
}

/**
 * ARM kept refusing the write because another operation held the resource (network RP: 429
 * RetryableError / RetryableErrorDueToAnotherOperation, or 409 AnotherOperationInProgress) for
 * longer than the write's budget. The write did not land.
 */
export class ResourceBusyError extends Error {
  constructor(
    readonly resourceId: string,
    readonly attempts: number,
    readonly waitedMs: number,
  ) {
    super(
      `ARM kept refusing the write to ${resourceId}: another operation held it through ${attempts} attempts over ${Math.round(waitedMs / 1000)} s`,
    );
    this.name = 'ResourceBusyError';
  }
}

/**
 * Another invocation is handling the same idempotency key right now. Transient: the delivery
 * fails, Event Grid redelivers, and the redelivery finds the work done.
 */
export class InProgressError extends Error {
  constructor(readonly key: string) {
    super(`another invocation is handling ${key}`);
    this.name = 'InProgressError';
  }
}

/** One planned ARM write, with the state it is about to replace. */
export interface IntentWrite {
  /** 'properties' (storage account / container) or 'rule:<name>' */
  writeKey: string;
  controls: ControlId[];
  plan: RemediationPlan;
  before: unknown;
}

/**
 * Written before any ARM write so that "we changed the resource" can never exist without a record:
 * if the invocation dies after the write, the redelivery finds the intent, sees the resource
 * compliant, and records `remediated` from the intent's before-state.
 */
export interface Intent {
  /** `<idempotency prefix>|<resource id, lower-cased>` */
  key: string;
  resourceId: string;
  state: 'pending' | 'done';
  /** while in the future, the holder is working; afterwards anyone may take over */
  leaseUntil: string;
  writes: IntentWrite[];
  /**
   * Fresh for every intent that announces new writes (kept when an intent is recovered): part of
   * the evidence keys of its writes, so a re-run that writes again records again, while a
   * redelivery recovering this intent finds the records it would have written.
   */
  writeRun?: string;
  /** storage concurrency token (opaque) */
  etag?: string;
}

export interface IntentStore {
  get(key: string): Promise<Intent | null>;
  /**
   * Inserts (expected null) or replaces (expected = the version read). Returns the stored intent
   * (with its new concurrency token), or null when someone else got there first.
   */
  claim(intent: Intent, expected: Intent | null): Promise<Intent | null>;
  /** Marks done: later deliveries of the same key skip. */
  complete(key: string): Promise<void>;
  /** Ends the lease now so a redelivery can take over immediately (best effort). */
  release(key: string): Promise<void>;
  /**
   * Loop guard: announces that a remediation is about to write `resourceId` (the id its write
   * event will carry), valid until `until`. Written before the ARM write.
   */
  markOwnWrite(resourceId: string, until: Date): Promise<void>;
  /**
   * Takes (deletes) the announcement for `resourceId` if one is valid at `now`: true means the
   * event is our own remediation's write. Only the first event per write is skipped.
   */
  takeOwnWrite(resourceId: string, now: Date): Promise<boolean>;
  /** Removes any announcement (restore: its write must be re-evaluated like anyone's). */
  clearOwnWrite(resourceId: string): Promise<void>;
}

export interface Notifier {
  /** Publishes Driftwarden.RemediationRecorded for stored records; failures are the caller's to log. */
  remediationRecorded(records: EvidenceRecord[]): Promise<void>;
}
