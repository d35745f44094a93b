import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import type { ControlException } from '../controls/types.js';
import type { EvidenceRecord } from '../evidence/types.js';
import { type Identity, identityOf, type Principal } from './auth.js';
import type { ApiDeps } from './deps.js';
import { ApiError, badRequest, conflict, json, notFound, readJsonObject } from './http.js';
import {
  RestoreConflictError,
  RestoreNeedsJustificationError,
  type RestoreOutcome,
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
  /** whether POST remediations/{id}/restore applies */
  restorable: boolean;
}

/** Only a revert we made can be undone: there must be a recorded `before` to put back. */
export function isRestorable(record: EvidenceRecord): boolean {
  return record.outcome === 'remediated' && record.before !== null && record.before !== undefined;
}

export function toItem(record: EvidenceRecord): RemediationItem {
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
    restorable: isRestorable(record),
  };
}

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
): Promise<{ items: RemediationItem[]; continuationToken: string | null }> {
  const query = parseEvidenceQuery(params, deps.controls);
  let page: Awaited<ReturnType<ApiDeps['evidence']['query']>>;
  try {
    page = await deps.evidence.query(query);
  } catch (error) {
    // A token from another filter set, or tampered with, is the caller's mistake, not a 500.
    if (query.continuationToken && isBadToken(error)) throw badRequest('continuationToken is not valid.');
    throw error;
  }
  return { items: page.items.map(toItem), continuationToken: page.continuationToken ?? null };
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
  deps: Pick<ApiDeps, 'evidence' | 'restorer' | 'clock' | 'config' | 'controls'>,
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
    if (error instanceof RestoreNeedsJustificationError)
      throw new ApiError(409, 'JustificationsRequired', error.message, { controls: error.controls });
    if (error instanceof RestoreConflictError) throw new ApiError(409, 'Conflict', error.message);
    if (error instanceof SeparationOfDutiesError)
      throw new ApiError(403, 'SeparationOfDuties', error.message);
    if (error instanceof RestoreUnavailableError) throw new ApiError(501, 'NotImplemented', error.message);
    throw error;
  }
}

/** GET /api/remediations — newest first, filtered, paged. */
export async function listRemediations(request: HttpRequest, deps: ApiDeps): Promise<HttpResponseInit> {
  return json(200, await queryRemediations(deps, request.query));
}

/** GET /api/remediations/{id} */
export async function getRemediation(request: HttpRequest, deps: ApiDeps): Promise<HttpResponseInit> {
  return json(200, toItem(await findRecord(deps, request.params.id ?? '')));
}

/** POST /api/remediations/{id}/restore — body { justification, ticket, expiresOn }. */
export async function restoreRemediation(
  request: HttpRequest,
  deps: ApiDeps,
  principal: Principal,
): Promise<HttpResponseInit> {
  const body = await readJsonObject(request);
  const result = await restoreRecord(deps, request.params.id ?? '', body, identityOf(principal));
  return json(result.status === 'restored' ? 201 : 202, result);
}
