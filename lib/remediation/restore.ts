import { CONTROL_IDS } from '../controls/catalog.js';
import { DRIFTWARDEN_DIAGNOSTIC_SETTING } from '../controls/diag-resource-logs.js';
import { fieldNamesOf } from '../controls/resource-fields.js';
import type {
  ControlException,
  ControlId,
  EvaluationSettings,
  Finding,
  Mode,
  NormalizedResource,
  RelatedResources,
} from '../controls/types.js';
import { evaluateResource } from '../evaluate.js';
import { recordHash } from '../evidence/hash.js';
import type { EvidenceRecord, EvidenceStore } from '../evidence/types.js';
import type { ExceptionStore } from '../exceptions/types.js';
import { normalizeResource } from '../resources/normalize.js';
import { toError } from '../util/errors.js';
import { type Identity, samePerson } from '../util/identity.js';
import {
  type DiagnosticState,
  isDiagnosticState,
  relatedWith,
  settingNamed,
  withSetting,
} from './diagnostic-state.js';
import { controlState, DIAGNOSTIC_SETTINGS_CONTROL, rawRule } from './state.js';
import {
  type IntentStore,
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
 * 3. Re-evaluate the state it would write against EVERY control (not only the record's): each
 *    control that passes now and would fail afterwards needs an exception. The record's own
 *    control gets the request's justification; any other needs one of its own in the same request
 *    (`justifications[controlId]`), else RestoreNeedsJustificationError (409 naming them) and
 *    nothing is written — restoring one control's record must never quietly reopen another.
 *    Separation of duties: the approver is never the recorded actor of the change (object ids,
 *    names where an id is missing). Two-step controls (DW_TWO_STEP_CONTROLS, default
 *    NSG-MGMT-PORT): the exceptions are stored as requests and the restore waits for a second
 *    person's approval (approveRestore), who must be neither the requester nor the actor.
 *    Create the exceptions BEFORE the ARM write, so there is no moment where the restored state
 *    exists without the exception covering it (a sweep, or another caller's event read between
 *    our write and a later exception insert would revert it again).
 * 4. Clear any loop-guard announcement for the resource (its write event must be re-evaluated
 *    like anyone's: it lands under the exceptions, recorded `exempted`), then write `before` back with If-Match on the ETag read in step 2 (rules, containers; storage
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

/** The restore would reopen other controls: 409 naming them; the same request must justify each. */
export class RestoreNeedsJustificationError extends RestoreConflictError {
  constructor(readonly controls: ControlId[]) {
    super(
      `Restoring this record would also make ${controls.join(', ')} fail. Nothing was restored; ` +
        'repeat the request with a justification for each ("justifications": { "<control>": "..." }) ' +
        'to record one exception per control.',
    );
    this.name = 'RestoreNeedsJustificationError';
  }
}

/** The approver made the change being restored or exempted, or approves their own request: 403. */
export class SeparationOfDutiesError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SeparationOfDutiesError';
  }
}

export interface RestoreApproval {
  /** the approver's name (recorded as approvedBy and as the restored record's actor) */
  approver: string;
  /** the approver's Entra object id: compared with the record's actor (separation of duties) */
  approverObjectId?: string | null;
  justification: string;
  ticket: string;
  /** ISO 8601; the exception store validates it (future, within the configured maximum) */
  expiresOn: string;
  /** one justification per other control the restored state would fail (see step 3) */
  justifications?: Partial<Record<ControlId, string>>;
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
  settings: EvaluationSettings;
  modes: (id: ControlId) => Mode;
  /** controls whose exceptions need a second person's approval (default NSG-MGMT-PORT) */
  twoStepControls?: readonly ControlId[];
  /** the loop guard's announcements: a restore clears the one for what it writes */
  intents?: Pick<IntentStore, 'clearOwnWrite'>;
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
  /** the exception for the record's control */
  exception: ControlException;
  /** every exception the restore stands on (the record's control first) */
  exceptions: ControlException[];
  record: EvidenceRecord;
}

/** A two-step restore: the exception requests are stored; a second approver completes it. */
export interface RestorePending {
  pending: ControlException[];
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

/**
 * The record's subject as it is in `snapshot`: the rule, the control's properties, or (a
 * DIAG-RESOURCE-LOGS record) the scope's diagnostic settings as `related` knows them; null if absent.
 */
function stateIn(record: EvidenceRecord, snapshot: ResourceSnapshot, related?: RelatedResources): unknown {
  if (record.ruleName) return rawRule(snapshot, record.ruleName);
  const resource = normalizeResource(snapshot.raw);
  if (!resource || !record.controlId) return null;
  return controlState(record.controlId, resource, snapshot, null, related ?? snapshot.related);
}

/** A DIAG-RESOURCE-LOGS record: its subject is driftwarden's diagnostic setting on the resource's scope. */
function isDiagnosticRecord(record: EvidenceRecord): boolean {
  return record.controlId === DIAGNOSTIC_SETTINGS_CONTROL && !record.ruleName;
}

/** The related resources a record's state needs (the scope's diagnostic settings), read now; else none. */
async function relatedFor(
  deps: Pick<RestoreDeps, 'gateway'>,
  record: EvidenceRecord,
  snapshot: ResourceSnapshot | null,
): Promise<RelatedResources | undefined> {
  if (!snapshot || !isDiagnosticRecord(record)) return undefined;
  const resource = normalizeResource(snapshot.raw);
  return resource ? deps.gateway.related?.(resource) : undefined;
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
  const what = record.ruleName
    ? `rule ${record.ruleName}`
    : isDiagnosticRecord(record)
      ? `diagnostic setting ${DRIFTWARDEN_DIAGNOSTIC_SETTING}`
      : `${record.controlId ?? 'recorded'} properties`;
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
  if (isDiagnosticRecord(record) && isDiagnosticState(current)) {
    // only driftwarden's setting goes back as it was (absent before: deleted)
    return withSetting(
      current,
      DRIFTWARDEN_DIAGNOSTIC_SETTING,
      settingNamed(record.before, DRIFTWARDEN_DIAGNOSTIC_SETTING),
    );
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
  const current = snapshot ? stateIn(record, snapshot, await relatedFor(deps, record, snapshot)) : null;
  if (!snapshot || current === null)
    throw new RestoreConflictError(`${record.resourceId} no longer exists; there is nothing to restore.`);
  const target = restoreTarget(record, current);
  return {
    recordId: record.recordId,
    resourceId: record.resourceId,
    ruleName: record.ruleName ?? null,
    current,
    target,
    changes: stateChanges(
      record.ruleName || isDiagnosticRecord(record) ? current : pick(current, target),
      target,
    ),
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
): Promise<RestoreResult | RestorePending> {
  const key = restoreKey(record);
  const earlier = await deps.evidence.findByIdempotencyKey(key);
  if (earlier) {
    const prior = await exceptionsOf(deps, earlier);
    // A retry of the same approval is a no-op; another approval must not look like a restore.
    if (prior.exception.approvedBy === approval.approver && prior.exception.ticket === approval.ticket)
      return { ...prior, record: earlier };
    throw new RestoreConflictError(
      `Record ${record.recordId} was already restored on ${earlier.time} by ${earlier.actor ?? prior.exception.approvedBy} ` +
        `(ticket ${prior.exception.ticket}, exception ${prior.exception.id}); nothing was written.`,
    );
  }
  const controlId = record.controlId;
  if (record.outcome !== 'remediated' || !controlId || record.before == null)
    throw new Error(`record ${record.recordId} is not a remediation with a recorded before-state`);
  await assertVerified(deps, record);
  const approver: Identity = { objectId: approval.approverObjectId ?? null, name: approval.approver };
  assertNotActor(record, approver);

  const snapshot = await deps.gateway.read(record.resourceId);
  const related = await relatedFor(deps, record, snapshot);
  const current = snapshot ? stateIn(record, snapshot, related) : null;
  if (!snapshot || current === null)
    throw new RestoreConflictError(
      `${record.ruleName ? `Rule ${record.ruleName} of ` : ''}${record.resourceId} no longer exists; nothing was restored.`,
    );
  const subject = { snapshot, related, current };
  const alreadyBack = same(current, record.before);
  if (!alreadyBack && !same(current, record.after))
    throw new RestoreConflictError(
      `${record.resourceId} changed since record ${record.recordId}; nothing was restored. Review its current state first.`,
    );

  const now = deps.clock();
  const active = await deps.exceptions.active(now);
  // what would fail after the write that does not fail now (exceptions in force applied)
  const reopened = alreadyBack ? [] : newlyFailing(deps, record, subject, active, now);
  const others = [...new Set(reopened.map((f) => f.controlId))].filter((id) => id !== controlId);
  const unjustified = others.filter((id) => !(approval.justifications?.[id] ?? '').trim());
  if (unjustified.length > 0) throw new RestoreNeedsJustificationError(unjustified);
  const needed = reopened.some((f) => f.controlId === controlId) ? [controlId, ...others] : others;

  const twoStep = new Set(deps.twoStepControls ?? []);
  if (needed.some((id) => twoStep.has(id))) {
    // a repeated request (a second click) gets the requests already waiting, not a second set
    const waiting = (await deps.exceptions.list()).filter(
      (e) =>
        e.restoreOf === record.recordId &&
        e.state === 'requested' &&
        !e.revokedOn &&
        Date.parse(e.expiresOn) > now.getTime(),
    );
    if (waiting.length > 0) return { pending: waiting };
    const pending: ControlException[] = [];
    for (const id of needed)
      pending.push(await deps.exceptions.create(exceptionInput(record, id, approval, true)));
    deps.log(`restore of ${record.recordId} requested by ${approver.name}: waiting for a second approver`);
    return { pending };
  }

  const created: ControlException[] = [];
  const leftoverException = alreadyBack ? await leftover(deps, record, approval) : null;
  try {
    for (const id of needed)
      created.push(await deps.exceptions.create(exceptionInput(record, id, approval, false)));
  } catch (error) {
    for (const exception of created) await revoke(deps, exception, `restore of ${record.recordId} failed`);
    throw error;
  }
  // the record's own control: the exception created now, or the one already in force (approved request)
  const primary =
    created.find((e) => e.controlId === controlId) ??
    leftoverException ??
    coveringException(deps, record, subject, active, now);
  if (!primary)
    throw new RestoreConflictError(`no exception would cover ${controlId}; nothing was restored.`);
  const standing = [primary, ...created.filter((e) => e !== primary)];

  let restored = current;
  if (!alreadyBack) {
    try {
      await deps.intents?.clearOwnWrite(writtenIdOf(record, current));
      const written = await writeBack(deps, record, snapshot, current);
      restored = stateIn(record, written) ?? written.raw;
    } catch (error) {
      for (const exception of created) await revoke(deps, exception, `restore of ${record.recordId} failed`);
      if (error instanceof PreconditionFailedError)
        throw new RestoreConflictError(
          `${record.resourceId} changed while it was being restored (412); nothing was restored.`,
        );
      throw error;
    }
  }

  const also = standing.slice(1).map((e) => `${e.controlId} under ${e.id}`);
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
    message: `${approval.justification} (ticket ${approval.ticket}; exception ${primary.id} until ${primary.expiresOn}${also.length ? `; also ${also.join(', ')}` : ''})`,
    before: current,
    after: restored,
    actor: approval.approver,
    ...(approver.objectId ? { actorObjectId: approver.objectId } : {}),
    exceptionId: primary.id,
    ruleName: record.ruleName ?? null,
  });
  if (stored.exceptionId !== primary.id) {
    // a concurrent restore of the same record stored its record first: keep its exceptions
    for (const exception of created)
      await revoke(deps, exception, `duplicate of the restore of ${record.recordId}`);
    return { ...(await exceptionsOf(deps, stored)), record: stored };
  }
  await notify(deps, stored);
  return { exception: primary, exceptions: standing, record: stored };
}

/** Separation of duties: whoever made the change does not approve putting it back. */
function assertNotActor(record: EvidenceRecord, approver: Identity): void {
  const actor = { objectId: record.actorObjectId ?? null, name: record.actor };
  if (samePerson(actor, approver))
    throw new SeparationOfDutiesError(
      'You made the change this record reverted; someone else must approve restoring it.',
    );
}

/**
 * Completes a two-step restore: `approver` (neither the requester nor the actor of the change)
 * approves every pending request of that restore, then the restore runs under those exceptions.
 */
export async function approveRestore(
  deps: RestoreDeps,
  record: EvidenceRecord,
  requests: readonly ControlException[],
  approver: Identity,
): Promise<RestoreResult | RestorePending> {
  assertNotActor(record, approver);
  const first = requests[0];
  if (!first) throw new Error('no pending request to approve');
  for (const request of requests) {
    if (
      samePerson(
        { objectId: request.requestedByObjectId ?? null, name: request.requestedBy ?? null },
        approver,
      )
    )
      throw new SeparationOfDutiesError('You requested this exception; someone else must approve it.');
  }
  const approved: ControlException[] = [];
  try {
    for (const request of requests)
      approved.push(
        await deps.exceptions.approve(request.id, {
          approvedBy: approver.name,
          approvedByObjectId: approver.objectId,
        }),
      );
    return await restoreRemediation(deps, record, {
      approver: approver.name,
      approverObjectId: approver.objectId,
      justification: first.justification,
      ticket: first.ticket,
      expiresOn: first.expiresOn,
    });
  } catch (error) {
    // the restore did not happen: no approved exception may stay in force for a state that is not there
    for (const exception of approved) await revoke(deps, exception, `restore of ${record.recordId} failed`);
    throw error;
  }
}

function exceptionInput(
  record: EvidenceRecord,
  controlId: ControlId,
  approval: RestoreApproval,
  requested: boolean,
) {
  const primary = controlId === record.controlId;
  return {
    controlId,
    scope: record.resourceId,
    ...(record.ruleName ? { ruleName: record.ruleName } : {}),
    justification: primary ? approval.justification : (approval.justifications?.[controlId] ?? '').trim(),
    ticket: approval.ticket,
    approvedBy: approval.approver,
    ...(approval.approverObjectId ? { approvedByObjectId: approval.approverObjectId } : {}),
    expiresOn: approval.expiresOn,
    ...(requested ? { state: 'requested' as const, restoreOf: record.recordId } : {}),
  };
}

/** Every control is judged; only a mode of 'off' takes a control out of the question. */
const ALL_ON: Partial<Record<ControlId, Mode>> = Object.fromEntries(
  CONTROL_IDS.map((id) => [id, 'remediate']),
);

function judge(
  deps: RestoreDeps,
  resource: NormalizedResource,
  exceptions: readonly ControlException[],
  now: Date,
  related?: RelatedResources,
): Finding[] {
  return evaluateResource(resource, {
    settings: deps.settings,
    exceptions,
    now,
    modes: ALL_ON,
    ...(related ? { related } : {}),
  }).filter((finding) => deps.modes(finding.controlId) !== 'off');
}

/** What restore reads before writing: the resource, what it relates to (DIAG records), the subject's state. */
interface Subject {
  snapshot: ResourceSnapshot;
  related: RelatedResources | undefined;
  current: unknown;
}

/** The ARM write of a restore: the record's subject back to its before-state. */
async function writeBack(
  deps: RestoreDeps,
  record: EvidenceRecord,
  snapshot: ResourceSnapshot,
  current: unknown,
): Promise<ResourceSnapshot> {
  if (isDiagnosticRecord(record)) {
    if (!deps.gateway.restoreDiagnosticSetting || !isDiagnosticState(current))
      throw new Error('restore: this gateway cannot restore diagnostic settings');
    const setting = settingNamed(record.before, DRIFTWARDEN_DIAGNOSTIC_SETTING);
    return deps.gateway.restoreDiagnosticSetting(
      record.resourceId,
      current.scopeId,
      DRIFTWARDEN_DIAGNOSTIC_SETTING,
      setting ? { workspaceId: setting.workspaceId, logs: setting.logs } : null,
    );
  }
  return deps.gateway.restoreState(
    record.resourceId,
    restoreTarget(record, current),
    etagOf(record, snapshot, current),
  );
}

const findingKey = (f: Finding) => `${f.controlId}|${(f.ruleName ?? '').toLowerCase()}`;

/** The failing findings of the state the restore would write that do not fail on the state read now. */
function newlyFailing(
  deps: RestoreDeps,
  record: EvidenceRecord,
  subject: Subject,
  exceptions: readonly ControlException[],
  now: Date,
): Finding[] {
  const resource = normalizeResource(subject.snapshot.raw);
  const after = wouldBe(record, subject);
  if (!resource || !after) throw new Error(`cannot evaluate what restoring ${record.recordId} would write`);
  const failingNow = new Set(
    judge(deps, resource, exceptions, now, subject.related)
      .filter((f) => f.status === 'fail')
      .map(findingKey),
  );
  return judge(deps, after.resource, exceptions, now, after.related).filter(
    (f) => f.status === 'fail' && !failingNow.has(findingKey(f)),
  );
}

/** An exception already in force that covers the record's control on the restored state (approved request). */
function coveringException(
  deps: RestoreDeps,
  record: EvidenceRecord,
  subject: Subject,
  exceptions: readonly ControlException[],
  now: Date,
): ControlException | null {
  const after = wouldBe(record, subject);
  if (!after) return null;
  const finding = judge(deps, after.resource, exceptions, now, after.related).find(
    (f) =>
      f.controlId === record.controlId &&
      (f.ruleName ?? '').toLowerCase() === (record.ruleName ?? '').toLowerCase() &&
      f.status === 'exempt',
  );
  return exceptions.find((e) => e.id === finding?.exceptionId) ?? null;
}

/** The resource (and what it relates to) as it would be after writing the record's `before` back. */
function wouldBe(
  record: EvidenceRecord,
  { snapshot, related, current }: Subject,
): { resource: NormalizedResource; related: RelatedResources | undefined } | null {
  const before = record.before as Json;
  const unchangedRelated = (resource: NormalizedResource | null) => (resource ? { resource, related } : null);
  if (record.ruleName) {
    if (snapshot.target === 'securityRule')
      return unchangedRelated(normalizeResource({ ...before, id: snapshot.resourceId }));
    const rules = Array.isArray(snapshot.raw.securityRules) ? (snapshot.raw.securityRules as Json[]) : [];
    const name = record.ruleName.toLowerCase();
    const replaced = rules.map((rule) => (String(rule.name).toLowerCase() === name ? before : rule));
    return unchangedRelated(normalizeResource({ ...snapshot.raw, securityRules: replaced }));
  }
  const resource = normalizeResource(snapshot.raw);
  if (!resource) return null;
  if (isDiagnosticRecord(record) && related && isDiagnosticState(current))
    return { resource, related: relatedWith(related, restoreTarget(record, current) as DiagnosticState) };
  if (resource.kind === 'storageAccount' || resource.kind === 'blobContainer')
    return unchangedRelated({ ...resource, ...before } as NormalizedResource);
  return unchangedRelated(resource);
}

/** The id the restore's write event carries (the rule for rule records, driftwarden's setting for DIAG records). */
function writtenIdOf(record: EvidenceRecord, current: unknown): string {
  if (isDiagnosticRecord(record) && isDiagnosticState(current))
    return `${current.scopeId}/providers/Microsoft.Insights/diagnosticSettings/${DRIFTWARDEN_DIAGNOSTIC_SETTING}`;
  if (!record.ruleName || /\/securityRules\//i.test(record.resourceId)) return record.resourceId;
  return `${record.resourceId}/securityRules/${record.ruleName}`;
}

async function exceptionsOf(
  deps: RestoreDeps,
  record: EvidenceRecord,
): Promise<{ exception: ControlException; exceptions: ControlException[] }> {
  const exception = await exceptionOf(deps, record);
  return { exception, exceptions: [exception] };
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
        e.state !== 'requested' &&
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
