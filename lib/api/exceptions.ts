import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import type { ControlException } from '../controls/types.js';
import {
  ExceptionNotFoundError,
  ExceptionValidationError,
  isValidExceptionId,
  MALFORMED_ID_MESSAGE,
} from '../exceptions/validate.js';
import type { Principal } from './auth.js';
import type { ApiDeps } from './deps.js';
import { badRequest, json, notFound, readJsonObject } from './http.js';
import { parseNewException } from './validate.js';

export type ExceptionStatus = 'active' | 'expired' | 'revoked';
const STATUSES: readonly ExceptionStatus[] = ['active', 'expired', 'revoked'];
export type ExceptionView = ControlException & { status: ExceptionStatus };

export function exceptionStatus(exception: ControlException, now: Date): ExceptionStatus {
  if (exception.revokedOn) return 'revoked';
  return Date.parse(exception.expiresOn) <= now.getTime() ? 'expired' : 'active';
}

const view = (exception: ControlException, now: Date): ExceptionView => ({
  ...exception,
  status: exceptionStatus(exception, now),
});

/** What the exception registry functions need (the CLI builds just this much). */
export type ExceptionDeps = Pick<ApiDeps, 'exceptions' | 'controls' | 'config' | 'clock'>;

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

/** Validates and stores a new exception; approvedBy is the caller, never taken from the body. */
export async function addException(
  deps: ExceptionDeps,
  body: Record<string, unknown>,
  approvedBy: string,
): Promise<ExceptionView> {
  const now = deps.clock();
  const input = parseNewException(body, deps.controls, approvedBy, now, deps.config.exceptionMaxDays);
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
  deps: ExceptionDeps,
  id: string,
  revokedBy: string,
  reason?: unknown,
): Promise<ExceptionView> {
  const why = parseRevokeReason(reason);
  const existing = await findException(deps, id);
  try {
    const revoked = existing.revokedOn ? existing : await deps.exceptions.revoke(existing.id, revokedBy, why);
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
  return json(201, await addException(deps, await readJsonObject(request), principal.name));
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
  return json(200, await revokeExceptionById(deps, request.params.id ?? '', principal.name, reason));
}
