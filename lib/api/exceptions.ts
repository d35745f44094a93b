import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import type { ControlException } from '../controls/types.js';
import type { Principal } from './auth.js';
import type { ApiDeps } from './deps.js';
import { badRequest, json, notFound, readJsonObject } from './http.js';
import { parseNewException } from './validate.js';

export type ExceptionStatus = 'active' | 'expired' | 'revoked';
const STATUSES: readonly ExceptionStatus[] = ['active', 'expired', 'revoked'];

export function exceptionStatus(exception: ControlException, now: Date): ExceptionStatus {
  if (exception.revokedOn) return 'revoked';
  return Date.parse(exception.expiresOn) <= now.getTime() ? 'expired' : 'active';
}

const EXCEPTION_ID = /^[A-Za-z0-9._:-]{1,200}$/;

async function findException(request: HttpRequest, deps: ApiDeps): Promise<ControlException> {
  const id = request.params.id ?? '';
  const exception = EXCEPTION_ID.test(id) ? await deps.exceptions.get(id) : null;
  if (!exception) throw notFound('Exception');
  return exception;
}

const view = (exception: ControlException, now: Date) => ({
  ...exception,
  status: exceptionStatus(exception, now),
});

/** GET /api/exceptions — the whole registry (expired and revoked included: it is an audit trail), newest first. */
export async function listExceptions(request: HttpRequest, deps: ApiDeps): Promise<HttpResponseInit> {
  const now = deps.clock.now();
  const wanted = request.query.get('status')?.trim() || null;
  if (wanted && !STATUSES.includes(wanted as ExceptionStatus)) {
    throw badRequest(`status must be one of: ${STATUSES.join(', ')}.`);
  }
  const all = (await deps.exceptions.list())
    .map((exception) => view(exception, now))
    .filter((exception) => !wanted || exception.status === wanted)
    .sort((a, b) => b.approvedOn.localeCompare(a.approvedOn));
  return json(200, { items: all });
}

/** GET /api/exceptions/{id} */
export async function getException(request: HttpRequest, deps: ApiDeps): Promise<HttpResponseInit> {
  return json(200, view(await findException(request, deps), deps.clock.now()));
}

/** POST /api/exceptions — approvedBy is the calling principal, never the body. */
export async function createException(
  request: HttpRequest,
  deps: ApiDeps,
  principal: Principal,
): Promise<HttpResponseInit> {
  const body = await readJsonObject(request);
  const now = deps.clock.now();
  const input = parseNewException(body, deps.controls, principal.name, now, deps.config.exceptionMaxDays);
  const created = await deps.exceptions.create(input);
  return json(201, view(created, now));
}

/** DELETE /api/exceptions/{id} — revokes (recorded with who and when); never deletes. Idempotent. */
export async function revokeException(
  request: HttpRequest,
  deps: ApiDeps,
  principal: Principal,
): Promise<HttpResponseInit> {
  const existing = await findException(request, deps);
  const revoked = existing.revokedOn ? existing : await deps.exceptions.revoke(existing.id, principal.name);
  return json(200, view(revoked, deps.clock.now()));
}
