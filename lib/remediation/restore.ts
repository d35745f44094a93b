import { fieldNamesOf } from '../controls/resource-fields.js';
import type { ControlException } from '../controls/types.js';
import { recordHash } from '../evidence/hash.js';
import type { EvidenceRecord, EvidenceStore } from '../evidence/types.js';
import type { ExceptionStore } from '../exceptions/types.js';
import { normalizeResource } from '../resources/normalize.js';
import { toError } from '../util/errors.js';
import { controlState, rawRule } from './state.js';
import {
  type Notifier,
  PreconditionFailedError,
  type ResourceGateway,
  type ResourceSnapshot,
} from './types.js';

/**
 * On-call restore: undo one `remediated` record. Order, and why:
 *
 * 1. A `restored` record under `restore:<recordId>` already exists → return it when this is a retry
 *    of the same approval (approver and ticket; a no-op, "restore twice" yields one record), else
 *    RestoreConflictError: the first exception stays in force and nothing is written.
 * 2. Re-read the resource. Gone, or its state for this control is neither the record's `after`
 *    (what we left) nor its `before` (already put back by an earlier, interrupted attempt) →
 *    RestoreConflictError, with NOTHING written: someone changed it since and the approver must
 *    look again.
 * 3. Create the exception BEFORE the ARM write, so there is no moment where the restored state
 *    exists without the exception covering it (a sweep, or another caller's event read between
 *    our write and a later exception insert would revert it again).
 * 4. Write `before` back with If-Match on the ETag read in step 2 (rules, containers; storage
 *    accounts have no ETag, so step 2's comparison is their only guard). If the write fails —
 *    412 because the resource changed in between, or anything else — the exception is revoked
 *    (recorded, the registry is an audit trail) and the error propagates (412 → conflict). The
 *    resource was not changed, so no exception is left in force for a restore that did not happen.
 * 5. Append the `restored` record (idempotent on the key; a concurrent twin that lost the append
 *    race revokes its own exception and returns the winner's).
 *
 * Before any of it, the record itself must verify: its hash, and (deps.checkRecord) its chain
 * against the signed digests. The table is writable by anyone with table access, so an edited
 * `before` (say, source `*` on port 22) must never be written back. And only the fields the
 * record's control owns are written (the rule's access and sources, the control's storage
 * properties, a container's publicAccess): previewRestore shows the approver exactly that change.
 */

/** The record does not verify (edited, or its chain was tampered with): nothing is restored. */
export class RestoreRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RestoreRefusedError';
  }
}

/** What a rule restore writes back: the remediation only ever changed these. */
const RULE_OWNED = ['access', 'sourceAddressPrefix', 'sourceAddressPrefixes'] as const;

/** The resource changed or vanished since the record: the API answers 409 with `message`. */
export class RestoreConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RestoreConflictError';
  }
}

export interface RestoreApproval {
  approver: string;
  justification: string;
  ticket: string;
  /** ISO 8601; the exception store validates it (future, within the configured maximum) */
  expiresOn: string;
}

export interface RestoreDeps {
  gateway: ResourceGateway;
  evidence: EvidenceStore;
  exceptions: ExceptionStore;
  clock: () => Date;
  log: (line: string) => void;
  notifier?: Notifier | null;
  /** checks the record's chain against the signed digests; returns why it must not be trusted, or null */
  checkRecord?: (record: EvidenceRecord) => Promise<string | null>;
}

export interface RestoreChange {
  field: string;
  from: unknown;
  to: unknown;
}

export interface RestorePreview {
  recordId: string;
  resourceId: string;
  ruleName: string | null;
  /** the state a restore would write (only the control's own fields differ from the current state) */
  target: unknown;
  current: unknown;
  changes: RestoreChange[];
}

export interface RestoreResult {
  exception: ControlException;
  record: EvidenceRecord;
}

type Json = Record<string, unknown>;

export function restoreKey(record: Pick<EvidenceRecord, 'recordId'>): string {
  return `restore:${record.recordId}`;
}

/** Fields ARM sets on every write: they differ between reads of an unchanged rule across writes. */
const VOLATILE = new Set(['etag', 'provisioningState']);

/** Order-independent JSON for comparison; null, absent and empty lists are the same. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (typeof value !== 'object' || value === null) return value;
  const out: Json = {};
  for (const key of Object.keys(value).sort()) {
    const item = (value as Json)[key];
    if (VOLATILE.has(key) || item === null || item === undefined) continue;
    if (Array.isArray(item) && item.length === 0) continue;
    out[key] = canonical(item);
  }
  return out;
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

/** The record's subject as it is in `snapshot`: the rule, or the control's properties; null if absent. */
function stateIn(record: EvidenceRecord, snapshot: ResourceSnapshot): unknown {
  if (record.ruleName) return rawRule(snapshot, record.ruleName);
  const resource = normalizeResource(snapshot.raw);
  if (!resource || !record.controlId) return null;
  return controlState(record.controlId, resource, snapshot, null);
}

/** If-Match value for the restore write: the rule's own ETag (also when the record is on the NSG). */
function etagOf(record: EvidenceRecord, snapshot: ResourceSnapshot, state: unknown): string | null {
  if (record.ruleName) {
    const etag = (state as Json | null)?.etag;
    return typeof etag === 'string' ? etag : null;
  }
  return snapshot.etag;
}

function describe(record: EvidenceRecord): string {
  const what = record.ruleName ? `rule ${record.ruleName}` : `${record.controlId ?? 'recorded'} properties`;
  return `restored ${what} to the before-state of record ${record.recordId}`;
}

/** The state to write back: the current state with only the record's control's fields from `before`. */
export function restoreTarget(record: EvidenceRecord, current: unknown): unknown {
  const before = (record.before ?? {}) as Json;
  const base = { ...((current ?? {}) as Json) };
  if (record.ruleName) {
    for (const field of RULE_OWNED) {
      if (before[field] === undefined) delete base[field];
      else base[field] = before[field];
    }
    return base;
  }
  const owned = record.controlId ? fieldNamesOf(record.controlId) : [];
  const out: Json = {};
  for (const field of owned) if (field in before) out[field] = before[field];
  return out;
}

/** Field-level difference between two states (volatile ARM fields ignored). */
export function stateChanges(current: unknown, target: unknown): RestoreChange[] {
  const a = (current ?? {}) as Json;
  const b = (target ?? {}) as Json;
  const changes: RestoreChange[] = [];
  for (const field of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
    if (VOLATILE.has(field)) continue;
    if (!same(a[field], b[field])) changes.push({ field, from: a[field] ?? null, to: b[field] ?? null });
  }
  return changes;
}

/** Refuses a record whose hash or chain does not verify. */
async function assertVerified(deps: Pick<RestoreDeps, 'checkRecord'>, record: EvidenceRecord): Promise<void> {
  if (recordHash(record) !== record.hash)
    throw new RestoreRefusedError(
      `Record ${record.recordId} does not match its hash: it was edited after it was written. Nothing was restored; run driftwarden verify.`,
    );
  const reason = await deps.checkRecord?.(record);
  if (reason)
    throw new RestoreRefusedError(
      `Record ${record.recordId} cannot be trusted (${reason}). Nothing was restored; run driftwarden verify.`,
    );
}

/** What a restore of `record` would change, without changing anything (the approver's dry run). */
export async function previewRestore(
  deps: Pick<RestoreDeps, 'gateway' | 'checkRecord'>,
  record: EvidenceRecord,
): Promise<RestorePreview> {
  await assertVerified(deps, record);
  const snapshot = await deps.gateway.read(record.resourceId);
  const current = snapshot ? stateIn(record, snapshot) : null;
  if (!snapshot || current === null)
    throw new RestoreConflictError(`${record.resourceId} no longer exists; there is nothing to restore.`);
  const target = restoreTarget(record, current);
  return {
    recordId: record.recordId,
    resourceId: record.resourceId,
    ruleName: record.ruleName ?? null,
    current,
    target,
    changes: stateChanges(record.ruleName ? current : pick(current, target), target),
  };
}

function pick(current: unknown, target: unknown): Json {
  const out: Json = {};
  for (const field of Object.keys((target ?? {}) as Json))
    out[field] = ((current ?? {}) as Json)[field] ?? null;
  return out;
}

export async function restoreRemediation(
  deps: RestoreDeps,
  record: EvidenceRecord,
  approval: RestoreApproval,
): Promise<RestoreResult> {
  const key = restoreKey(record);
  const earlier = await deps.evidence.findByIdempotencyKey(key);
  if (earlier) {
    const exception = await exceptionOf(deps, earlier);
    // A retry of the same approval is a no-op; another approval must not look like a restore.
    if (exception.approvedBy === approval.approver && exception.ticket === approval.ticket)
      return { exception, record: earlier };
    throw new RestoreConflictError(
      `Record ${record.recordId} was already restored on ${earlier.time} by ${earlier.actor ?? exception.approvedBy} ` +
        `(ticket ${exception.ticket}, exception ${exception.id}); nothing was written.`,
    );
  }
  const controlId = record.controlId;
  if (record.outcome !== 'remediated' || !controlId || record.before == null)
    throw new Error(`record ${record.recordId} is not a remediation with a recorded before-state`);
  await assertVerified(deps, record);

  const snapshot = await deps.gateway.read(record.resourceId);
  const current = snapshot ? stateIn(record, snapshot) : null;
  if (!snapshot || current === null)
    throw new RestoreConflictError(
      `${record.ruleName ? `Rule ${record.ruleName} of ` : ''}${record.resourceId} no longer exists; nothing was restored.`,
    );
  const alreadyBack = same(current, record.before);
  if (!alreadyBack && !same(current, record.after))
    throw new RestoreConflictError(
      `${record.resourceId} changed since record ${record.recordId}; nothing was restored. Review its current state first.`,
    );

  const exception =
    (alreadyBack ? await leftover(deps, record, approval) : null) ??
    (await deps.exceptions.create({
      controlId,
      scope: record.resourceId,
      ...(record.ruleName ? { ruleName: record.ruleName } : {}),
      justification: approval.justification,
      ticket: approval.ticket,
      approvedBy: approval.approver,
      expiresOn: approval.expiresOn,
    }));

  let restored = current;
  if (!alreadyBack) {
    try {
      const written = await deps.gateway.restoreState(
        record.resourceId,
        restoreTarget(record, current),
        etagOf(record, snapshot, current),
      );
      restored = stateIn(record, written) ?? written.raw;
    } catch (error) {
      await revoke(deps, exception, `restore of ${record.recordId} failed`);
      if (error instanceof PreconditionFailedError)
        throw new RestoreConflictError(
          `${record.resourceId} changed while it was being restored (412); nothing was restored.`,
        );
      throw error;
    }
  }

  const stored = await deps.evidence.append({
    idempotencyKey: key,
    trigger: 'manual',
    eventId: null,
    correlationId: record.correlationId,
    subscriptionId: record.subscriptionId,
    resourceId: record.resourceId,
    resourceType: record.resourceType,
    controlId,
    criteria: [...record.criteria],
    outcome: 'restored',
    action: describe(record),
    message: `${approval.justification} (ticket ${approval.ticket}; exception ${exception.id} until ${exception.expiresOn})`,
    before: current,
    after: restored,
    actor: approval.approver,
    exceptionId: exception.id,
    ruleName: record.ruleName ?? null,
  });
  if (stored.exceptionId !== exception.id) {
    // a concurrent restore of the same record stored its record first: keep one exception
    await revoke(deps, exception, `duplicate of the restore of ${record.recordId}`);
    return { exception: await exceptionOf(deps, stored), record: stored };
  }
  await notify(deps, stored);
  return { exception, record: stored };
}

async function exceptionOf(deps: RestoreDeps, record: EvidenceRecord): Promise<ControlException> {
  const exception = record.exceptionId ? await deps.exceptions.get(record.exceptionId) : null;
  if (!exception) throw new Error(`restored record ${record.recordId} names no stored exception`);
  return exception;
}

/** An exception an interrupted attempt of this same approval created before its write landed. */
async function leftover(
  deps: RestoreDeps,
  record: EvidenceRecord,
  approval: RestoreApproval,
): Promise<ControlException | null> {
  const active = await deps.exceptions.active(deps.clock());
  return (
    active.find(
      (e) =>
        e.controlId === record.controlId &&
        e.scope.toLowerCase() === record.resourceId.toLowerCase() &&
        (e.ruleName ?? '').toLowerCase() === (record.ruleName ?? '').toLowerCase() &&
        e.approvedBy === approval.approver &&
        e.ticket === approval.ticket,
    ) ?? null
  );
}

async function revoke(deps: RestoreDeps, exception: ControlException, why: string): Promise<void> {
  try {
    await deps.exceptions.revoke(exception.id, `driftwarden (${why})`);
  } catch (error) {
    // the restore did not happen; an exception left in force only spares a state that is not there
    deps.log(`warning: could not revoke exception ${exception.id} after ${why}: ${toError(error).message}`);
  }
}

async function notify(deps: RestoreDeps, record: EvidenceRecord): Promise<void> {
  if (!deps.notifier) return;
  try {
    await deps.notifier.remediationRecorded([record]);
  } catch (error) {
    deps.log(`warning: notification failed: ${toError(error).message}`);
  }
}
