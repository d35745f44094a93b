import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import type { ControlException } from '../controls/types.js';
import type { EvidenceRecord } from '../evidence/types.js';
import { type RestorePreview, restoreKey } from '../remediation/restore.js';
import { type Identity, identityOf, type Principal } from './auth.js';
import type { ApiDeps } from './deps.js';
import { type ExceptionView, exceptionStatus } from './exceptions.js';
import { ApiError, badRequest, conflict, json, notFound, readJsonObject } from './http.js';
import {
  RestoreConflictError,
  RestoreNeedsJustificationError,
  type RestoreOutcome,
  RestoreRefusedError,
  RestoreUnavailableError,
  SeparationOfDutiesError,
} from './restorer.js';
import { parseApproval, parseEvidenceQuery, parseJustifications } from './validate.js';

/** The API's view of an evidence record: `id` instead of `recordId`, everything else as stored. */
export interface RemediationItem {
  id: string;
  time: string;
  trigger: EvidenceRecord['trigger'];
  eventId: string | null;
  correlationId: string | null;
  subscriptionId: string;
  resourceId: string;
  resourceType: string;
  ruleName: string | null;
  controlId: string | null;
  criteria: string[];
  outcome: EvidenceRecord['outcome'];
  actor: string | null;
  /** the actor's Entra object id, when recorded */
  actorObjectId: string | null;
  /** unattributed drift found on a re-read: the caller of that event (a hint) */
  actorHint: string | null;
  action: string;
  message: string;
  before: unknown;
  after: unknown;
  exceptionId: string | null;
  sweepId: string | null;
  remediatorIdentity: string;
  remediatorVersion: string;
  chainId: string;
  sequence: number;
  hash: string;
  /** whether POST remediations/{id}/restore applies: a remediation not restored yet */
  restorable: boolean;
  /** the `restored` record that already undid this remediation, if any */
  restoredBy: RestoredBy | null;
}

export interface RestoredBy {
  id: string;
  time: string;
  actor: string | null;
  exceptionId: string | null;
}

/** GET remediations/{id} adds the exception the record names (an exempted record's justification). */
export type RemediationDetail = RemediationItem & { exception: ExceptionView | null };

/** Only a revert we made can be undone: there must be a recorded `before` to put back. */
export function isRestorable(record: EvidenceRecord): boolean {
  return record.outcome === 'remediated' && record.before !== null && record.before !== undefined;
}

/** The `restored` record for this remediation (restore appends it under restoreKey), or null. */
export async function findRestoration(
  deps: Pick<ApiDeps, 'evidence'>,
  record: EvidenceRecord,
): Promise<EvidenceRecord | null> {
  if (!isRestorable(record)) return null;
  const restored = await deps.evidence.findByIdempotencyKey(restoreKey(record));
  return restored?.outcome === 'restored' ? restored : null;
}

function restoredByOf(restored: EvidenceRecord | null): RestoredBy | null {
  return restored
    ? { id: restored.recordId, time: restored.time, actor: restored.actor, exceptionId: restored.exceptionId }
    : null;
}

export function toItem(record: EvidenceRecord, restored: EvidenceRecord | null = null): RemediationItem {
  return {
    id: record.recordId,
    time: record.time,
    trigger: record.trigger,
    eventId: record.eventId,
    correlationId: record.correlationId,
    subscriptionId: record.subscriptionId,
    resourceId: record.resourceId,
    resourceType: record.resourceType,
    ruleName: record.ruleName ?? null,
    controlId: record.controlId,
    criteria: record.criteria,
    outcome: record.outcome,
    actor: record.actor,
    actorObjectId: record.actorObjectId ?? null,
    actorHint: record.actorHint ?? null,
    action: record.action,
    message: record.message,
    before: record.before,
    after: record.after,
    exceptionId: record.exceptionId,
    sweepId: record.sweepId ?? null,
    remediatorIdentity: record.remediatorIdentity,
    remediatorVersion: record.remediatorVersion,
    chainId: record.chainId,
    sequence: record.sequence,
    hash: record.hash,
    restorable: isRestorable(record) && !restored,
    restoredBy: restoredByOf(restored),
  };
}

/**
 * Newest first; records of one instant (a sweep batch shares one time stamp) by chain, then by
 * sequence as a number, so .2 comes next to .1 and before .10 (the store orders ids as text).
 */
export function newestFirst(
  a: Pick<RemediationItem, 'time' | 'chainId' | 'sequence'>,
  b: Pick<RemediationItem, 'time' | 'chainId' | 'sequence'>,
): number {
  if (a.time !== b.time) return a.time < b.time ? 1 : -1;
  if (a.chainId !== b.chainId) return a.chainId < b.chainId ? -1 : 1;
  return b.sequence - a.sequence;
}

/** Items for records, each remediation checked for a restore (one point read each, in parallel). */
async function toItems(
  deps: Pick<ApiDeps, 'evidence'>,
  records: EvidenceRecord[],
): Promise<RemediationItem[]> {
  const restorations = await Promise.all(records.map((record) => findRestoration(deps, record)));
  return records.map((record, index) => toItem(record, restorations[index] ?? null));
}

const EXCEPTION_OUTCOMES = [
  'exception-created',
  'exception-approved',
  'exception-revoked',
  'exception-expired',
] as const;

const RECORD_ID = /^[A-Za-z0-9._:~-]{1,1500}$/;

/** The record with this id, or 404. Ids we never issue cannot exist: no storage round trip (and no echo). */
export async function findRecord(deps: Pick<ApiDeps, 'evidence'>, id: string): Promise<EvidenceRecord> {
  const record = RECORD_ID.test(id) ? await deps.evidence.get(id) : null;
  if (!record) throw notFound('Remediation record');
  return record;
}

/** One page of the log, from query-string style filters (the API and `driftwarden log` share this). */
export async function queryRemediations(
  deps: Pick<ApiDeps, 'evidence' | 'controls'>,
  params: URLSearchParams,
  now: Date = new Date(),
): Promise<{ items: RemediationItem[]; continuationToken: string | null }> {
  const query = parseEvidenceQuery(params, deps.controls, now);
  // Exception events are evidence too, but not remediations: listed when asked for by outcome
  // (and in GET /api/exceptions); the log of remediations stays what it was.
  if (!query.outcome && !query.outcomes?.length) query.excludeOutcomes = EXCEPTION_OUTCOMES;
  let page: Awaited<ReturnType<ApiDeps['evidence']['query']>>;
  try {
    page = await deps.evidence.query(query);
  } catch (error) {
    // A token from another filter set, or tampered with, is the caller's mistake, not a 500.
    if (query.continuationToken && isBadToken(error)) throw badRequest('continuationToken is not valid.');
    throw error;
  }
  const items = (await toItems(deps, page.items)).sort(newestFirst);
  return { items, continuationToken: page.continuationToken ?? null };
}

function isBadToken(error: unknown): boolean {
  return error instanceof TypeError && /continuationToken/i.test(error.message);
}

export type RestoreResponse =
  | {
      status: 'restored';
      exception: ControlException;
      exceptions: ControlException[];
      record: RemediationItem;
    }
  | { status: 'pending-approval'; exceptions: ControlException[] };

/**
 * Validates an approval ({ justification, ticket, expiresOn, justifications? }), checks the record
 * can be restored and hands it to the Restorer (the API and `driftwarden restore` share this).
 * `approver` is the caller's identity (principal or signed-in CLI user), never request data.
 */
export async function restoreRecord(
  deps: Pick<ApiDeps, 'evidence' | 'exceptions' | 'restorer' | 'clock' | 'config' | 'controls'>,
  id: string,
  body: Record<string, unknown>,
  who: Identity | (() => Promise<Identity>),
): Promise<RestoreResponse> {
  const approval = parseApproval(body, deps.clock(), deps.config.exceptionMaxDays);
  const justifications = parseJustifications(body.justifications, deps.controls);
  const record = await findRecord(deps, id);
  if (!isRestorable(record)) {
    throw conflict('Only a remediated record with a recorded before-state can be restored.');
  }
  // resolved after validation: the CLI signs in only for a request worth making
  const approver = typeof who === 'function' ? await who() : who;
  const restored = await findRestoration(deps, record);
  if (restored) {
    const exception = restored.exceptionId ? await deps.exceptions.get(restored.exceptionId) : null;
    // A retried submit of the same approval gets the same answer; another approval must not look
    // like a restore: the first exception (its ticket, its expiry) stays in force.
    if (exception && exception.approvedBy === approver.name && exception.ticket === approval.ticket)
      return { status: 'restored', exception, exceptions: [exception], record: toItem(restored) };
    throw conflict(
      `Record ${record.recordId} was already restored on ${restored.time} by ${restored.actor ?? 'an approver'}` +
        ` (record ${restored.recordId}${exception ? `, exception ${exception.id}, ticket ${exception.ticket}, expires ${exception.expiresOn}` : ''}); nothing was written.` +
        ' To change the exception, revoke it and create a new one.',
    );
  }
  return restoreOutcome(() =>
    deps.restorer.restore(record, {
      approver: approver.name,
      approverObjectId: approver.objectId,
      ...approval,
      ...(justifications ? { justifications } : {}),
    }),
  );
}

/** Runs a Restorer call and maps what it may refuse to the API's answers. */
export async function restoreOutcome(run: () => Promise<RestoreOutcome>): Promise<RestoreResponse> {
  try {
    const result = await run();
    if ('pending' in result) return { status: 'pending-approval', exceptions: result.pending };
    return {
      status: 'restored',
      exception: result.exception,
      exceptions: result.exceptions ?? [result.exception],
      record: toItem(result.record),
    };
  } catch (error) {
    throw restoreError(error);
  }
}

/** The exact change a restore of record `id` would make (`{ "dryRun": true }`): nothing is written. */
export async function previewRestoreRecord(
  deps: Pick<ApiDeps, 'evidence' | 'restorer'>,
  id: string,
): Promise<{ dryRun: true; preview: RestorePreview }> {
  const record = await findRecord(deps, id);
  if (!isRestorable(record)) {
    throw conflict('Only a remediated record with a recorded before-state can be restored.');
  }
  if (!deps.restorer.preview)
    throw new ApiError(501, 'NotImplemented', 'This deployment cannot preview a restore.');
  try {
    return { dryRun: true, preview: await deps.restorer.preview(record) };
  } catch (error) {
    throw restoreError(error);
  }
}

function restoreError(error: unknown): unknown {
  if (error instanceof RestoreRefusedError) return new ApiError(409, 'RecordTampered', error.message);
  if (error instanceof RestoreNeedsJustificationError)
    return new ApiError(409, 'JustificationsRequired', error.message, { controls: error.controls });
  if (error instanceof RestoreConflictError) return new ApiError(409, 'Conflict', error.message);
  if (error instanceof SeparationOfDutiesError) return new ApiError(403, 'SeparationOfDuties', error.message);
  if (error instanceof RestoreUnavailableError) return new ApiError(501, 'NotImplemented', error.message);
  return error;
}

/** GET /api/remediations — newest first, filtered, paged. */
export async function listRemediations(request: HttpRequest, deps: ApiDeps): Promise<HttpResponseInit> {
  return json(200, await queryRemediations(deps, request.query, deps.clock()));
}

/** One record with its restore state and the exception it names (or null). */
export async function remediationDetail(deps: ApiDeps, id: string): Promise<RemediationDetail> {
  const record = await findRecord(deps, id);
  const [restored, exception] = await Promise.all([
    findRestoration(deps, record),
    record.exceptionId ? deps.exceptions.get(record.exceptionId) : Promise.resolve(null),
  ]);
  return {
    ...toItem(record, restored),
    exception: exception ? { ...exception, status: exceptionStatus(exception, deps.clock()) } : null,
  };
}

/** GET /api/remediations/{id} */
export async function getRemediation(request: HttpRequest, deps: ApiDeps): Promise<HttpResponseInit> {
  return json(200, await remediationDetail(deps, request.params.id ?? ''));
}

/** POST /api/remediations/{id}/restore — body { justification, ticket, expiresOn }. */
export async function restoreRemediation(
  request: HttpRequest,
  deps: ApiDeps,
  principal: Principal,
): Promise<HttpResponseInit> {
  const body = await readJsonObject(request);
  if (body.dryRun === true) return json(200, await previewRestoreRecord(deps, request.params.id ?? ''));
  const result = await restoreRecord(deps, request.params.id ?? '', body, identityOf(principal));
  return json(result.status === 'restored' ? 201 : 202, result);
}
