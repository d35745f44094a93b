import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import type { ControlException, ControlId } from '../controls/types.js';
import type { NewException } from '../exceptions/types.js';
import {
  ExceptionNotFoundError,
  ExceptionValidationError,
  isValidExceptionId,
  MALFORMED_ID_MESSAGE,
} from '../exceptions/validate.js';
import { type Identity, identityOf, type Principal, samePerson } from './auth.js';
import type { ApiDeps } from './deps.js';
import { ApiError, badRequest, conflict, json, notFound, readJsonObject } from './http.js';
import { findRecord, type RestoreResponse, restoreOutcome } from './remediations.js';
import { parseNewException } from './validate.js';

export type ExceptionStatus = 'active' | 'expired' | 'revoked' | 'requested';
const STATUSES: readonly ExceptionStatus[] = ['active', 'expired', 'revoked', 'requested'];
export type ExceptionView = ControlException & { status: ExceptionStatus };

export function exceptionStatus(exception: ControlException, now: Date): ExceptionStatus {
  if (exception.revokedOn) return 'revoked';
  if (exception.state === 'requested')
    return Date.parse(exception.expiresOn) <= now.getTime() ? 'expired' : 'requested';
  return Date.parse(exception.expiresOn) <= now.getTime() ? 'expired' : 'active';
}

const view = (exception: ControlException, now: Date): ExceptionView => ({
  ...exception,
  status: exceptionStatus(exception, now),
});

/** What the exception registry functions need (the CLI builds just this much). */
export type ExceptionDeps = Pick<ApiDeps, 'exceptions' | 'controls' | 'config' | 'clock' | 'evidence'>;

/** Controls about management and database ports: an exception wider than one NSG needs asking for. */
const MANAGEMENT_PORT_CONTROLS: readonly ControlId[] = ['NSG-MGMT-PORT'];
const ONE_NSG = /\/providers\/Microsoft\.Network\/networkSecurityGroups\/[^/]+(\/securityRules\/[^/]+)?$/i;
const CHANGE_OUTCOMES = new Set(['remediated', 'remediation-failed', 'audit-only', 'exempted']);

/**
 * Separation of duties: `who` must not be the recorded actor of the change being exempted — any
 * recent record of this control on the scope (and rule) naming them. Object ids compared, names
 * where a record has no id.
 */
export async function assertNotActorOf(
  deps: Pick<ApiDeps, 'evidence'>,
  target: { controlId: ControlId; scope: string; ruleName?: string | undefined },
  who: Identity,
): Promise<void> {
  const page = await deps.evidence.query({ resource: target.scope, control: target.controlId, limit: 100 });
  const rule = (target.ruleName ?? '').toLowerCase();
  const own = page.items.find(
    (record) =>
      CHANGE_OUTCOMES.has(record.outcome) &&
      (!rule || (record.ruleName ?? '').toLowerCase() === rule) &&
      samePerson({ objectId: record.actorObjectId ?? null, name: record.actor }, who),
  );
  if (own)
    throw new ApiError(
      403,
      'SeparationOfDuties',
      `You made the change recorded in ${own.recordId}; someone else must approve an exception for it.`,
    );
}

/**
 * The exception with this id, or 404. Any id a row can have is looked up (the listing may show a
 * row we did not write, and it must be revocable); an id no row can have is a 400 (never echoed).
 */
export async function findException(
  deps: Pick<ApiDeps, 'exceptions'>,
  id: string,
): Promise<ControlException> {
  if (!isValidExceptionId(id)) throw badRequest(`${MALFORMED_ID_MESSAGE}.`);
  const exception = await deps.exceptions.get(id);
  if (!exception) throw notFound('Exception');
  return exception;
}

// The functions below are shared by the API handlers and the CLI (`driftwarden exceptions`).

/** The registry (expired and revoked included: it is an audit trail), newest first, optionally by status. */
export async function listExceptionViews(
  deps: ExceptionDeps,
  status: string | null,
): Promise<ExceptionView[]> {
  if (status && !STATUSES.includes(status as ExceptionStatus)) {
    throw badRequest(`status must be one of: ${STATUSES.join(', ')}.`);
  }
  const now = deps.clock();
  return (await deps.exceptions.list())
    .map((exception) => view(exception, now))
    .filter((exception) => !status || exception.status === status)
    .sort((a, b) => b.approvedOn.localeCompare(a.approvedOn));
}

/**
 * Validates and stores a new exception; approvedBy is the caller, never taken from the body. For
 * a two-step control (DW_TWO_STEP_CONTROLS) it is stored as a request that someone else approves.
 * A management-port exception wider than one NSG needs `"wideScope": true` (and is reported so).
 */
export async function addException(
  deps: ExceptionDeps,
  body: Record<string, unknown>,
  approver: Identity,
): Promise<ExceptionView> {
  const now = deps.clock();
  const parsed = parseNewException(body, deps.controls, approver.name, now, deps.config.exceptionMaxDays);
  const wide = MANAGEMENT_PORT_CONTROLS.includes(parsed.controlId) && !ONE_NSG.test(parsed.scope);
  if (wide && body.wideScope !== true)
    throw badRequest(
      `scope is wider than one network security group for ${parsed.controlId}: send "wideScope": true to ask for that explicitly (it is marked in the report).`,
    );
  await assertNotActorOf(deps, parsed, approver);
  const input: NewException = {
    ...parsed,
    ...(approver.objectId ? { approvedByObjectId: approver.objectId } : {}),
    ...(wide ? { wideScope: true } : {}),
    ...(deps.config.twoStepControls.includes(parsed.controlId) ? { state: 'requested' as const } : {}),
  };
  try {
    return view(await deps.exceptions.create(input), now);
  } catch (error) {
    // The store re-validates (it is also used outside the API): its verdict is still the caller's mistake.
    if (error instanceof ExceptionValidationError) throw badRequest(`${error.message}.`);
    throw error;
  }
}

/** Records a revocation (who, when); never deletes. Idempotent: a revoked exception is returned as is. */
export async function revokeExceptionById(
  deps: Pick<ExceptionDeps, 'exceptions' | 'clock'>,
  id: string,
  revokedBy: Identity,
  reason?: unknown,
): Promise<ExceptionView> {
  const why = parseRevokeReason(reason);
  const existing = await findException(deps, id);
  try {
    const revoked = existing.revokedOn
      ? existing
      : await deps.exceptions.revoke(existing.id, revokedBy.name, {
          objectId: revokedBy.objectId,
          reason: why,
        });
    return view(revoked, deps.clock());
  } catch (error) {
    if (error instanceof ExceptionNotFoundError) throw notFound('Exception');
    throw error;
  }
}

const MAX_REASON = 500;

/** Optional revocation reason: trimmed, bounded, printable. */
function parseRevokeReason(reason: unknown): string | undefined {
  if (reason === undefined || reason === null || reason === '') return undefined;
  if (typeof reason !== 'string') throw badRequest('reason must be a string.');
  const text = reason.trim();
  if (text.length > MAX_REASON) throw badRequest(`reason must be at most ${MAX_REASON} characters.`);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
  if (/[\u0000-\u0009\u000b-\u001f\u007f]/.test(text))
    throw badRequest('reason must not contain control characters.');
  return text || undefined;
}

/** GET /api/exceptions[?status=active|expired|revoked] */
export async function listExceptions(request: HttpRequest, deps: ApiDeps): Promise<HttpResponseInit> {
  return json(200, { items: await listExceptionViews(deps, request.query.get('status')?.trim() || null) });
}

/** GET /api/exceptions/{id} */
export async function getException(request: HttpRequest, deps: ApiDeps): Promise<HttpResponseInit> {
  return json(200, view(await findException(deps, request.params.id ?? ''), deps.clock()));
}

/** POST /api/exceptions */
export async function createException(
  request: HttpRequest,
  deps: ApiDeps,
  principal: Principal,
): Promise<HttpResponseInit> {
  return json(201, await addException(deps, await readJsonObject(request), identityOf(principal)));
}

/** DELETE /api/exceptions/{id} — revoke; optional JSON body `{ "reason": "..." }` (or `?reason=`). */
export async function revokeException(
  request: HttpRequest,
  deps: ApiDeps,
  principal: Principal,
): Promise<HttpResponseInit> {
  const hasBody =
    Number(request.headers.get('content-length') ?? '0') > 0 || request.headers.has('transfer-encoding');
  const body = hasBody ? await readJsonObject(request) : {};
  const reason = body.reason ?? request.query.get('reason') ?? undefined;
  return json(200, await revokeExceptionById(deps, request.params.id ?? '', identityOf(principal), reason));
}

/**
 * The second step of a two-step exception: someone other than the requester (and than the actor
 * of the change) approves it. A request made by a restore approves every request of that restore
 * and completes the restore under them.
 */
export async function approveExceptionById(
  deps: ExceptionDeps & Pick<ApiDeps, 'restorer'>,
  id: string,
  approver: Identity,
): Promise<{ status: 'approved'; exception: ExceptionView } | RestoreResponse> {
  const existing = await findException(deps, id);
  const now = deps.clock();
  if (existing.state !== 'requested') throw conflict('This exception is not a request awaiting approval.');
  if (exceptionStatus(existing, now) !== 'requested') throw conflict('This request expired or was revoked.');
  if (
    samePerson(
      { objectId: existing.requestedByObjectId ?? null, name: existing.requestedBy ?? null },
      approver,
    )
  )
    throw new ApiError(
      403,
      'SeparationOfDuties',
      'You requested this exception; someone else must approve it.',
    );
  if (existing.restoreOf) {
    const record = await findRecord(deps, existing.restoreOf);
    const requests = (await deps.exceptions.list()).filter(
      (e) => e.restoreOf === existing.restoreOf && exceptionStatus(e, now) === 'requested',
    );
    const approve = deps.restorer.approve;
    if (!approve) throw new ApiError(501, 'NotImplemented', 'This deployment cannot complete restores.');
    return restoreOutcome(() => approve.call(deps.restorer, record, requests, approver));
  }
  await assertNotActorOf(deps, existing, approver);
  const approved = await deps.exceptions.approve(existing.id, {
    approvedBy: approver.name,
    approvedByObjectId: approver.objectId,
  });
  return { status: 'approved', exception: view(approved, now) };
}

/** POST /api/exceptions/{id}/approve */
export async function approveException(
  request: HttpRequest,
  deps: ApiDeps,
  principal: Principal,
): Promise<HttpResponseInit> {
  return json(200, await approveExceptionById(deps, request.params.id ?? '', identityOf(principal)));
}
