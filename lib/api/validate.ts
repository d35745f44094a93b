import type { Control, ControlId } from '../controls/types.js';
import type { EvidenceQuery, Outcome } from '../evidence/types.js';
import type { NewException } from '../exceptions/types.js';
import { badRequest } from './http.js';

/** Every outcome, checked against the Outcome union both ways (adding one breaks the build here). */
const OUTCOME_LIST = [
  'remediated',
  'remediation-failed',
  'exempted',
  'audit-only',
  'compliant',
  'skipped',
  'resource-gone',
  'restored',
  'exception-created',
  'exception-approved',
  'exception-revoked',
  'exception-expired',
] as const satisfies readonly Outcome[];
type _AllOutcomesListed = Exclude<Outcome, (typeof OUTCOME_LIST)[number]> extends never ? true : never;
const _outcomesComplete: _AllOutcomesListed = true;
void _outcomesComplete;
export const OUTCOMES: readonly Outcome[] = OUTCOME_LIST;

/** What on-call acts on: the page's default view (`outcome=actionable`); sweeps' compliant rows bury these. */
export const ACTIONABLE_OUTCOMES: readonly Outcome[] = [
  'remediated',
  'remediation-failed',
  'exempted',
  'restored',
];

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 500;
export const MIN_JUSTIFICATION = 10;
export const MAX_JUSTIFICATION = 2000;
export const MAX_TICKET = 100;

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/;
const RELATIVE = /^(\d{1,4})([dh])$/;
/** An age for `since`/`until`: 30m, 24h, 7d (that long before now). */
const AGE = /^(\d{1,5})([mhd])$/;
const AGE_UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const ARM_SCOPE =
  /^\/subscriptions\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(\/[^/\s]+)*$/i;
// identity controls (IDN-*): a tenant subject path, or a bare object id (a break-glass user)
const TENANT_SCOPE =
  /^(\/tenants\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(\/[^/\s]+)*|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i;
const RULE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,79}$/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

/** Parses an ISO 8601 date (`2026-12-01`, midnight UTC) or date-time with zone; null if invalid. */
export function parseTimestamp(value: string): Date | null {
  const match = ISO.exec(value.trim());
  if (!match) return null;
  const [, year, month, day, hour, minute, second] = match;
  if (Number(month) < 1 || Number(month) > 12 || Number(day) < 1) return null;
  // Date.parse rolls 2026-02-30 over to March: reject days past the month's end.
  const daysInMonth = new Date(Date.UTC(Number(year), Number(month), 0)).getUTCDate();
  if (Number(day) > daysInMonth) return null;
  if (hour !== undefined && (Number(hour) > 23 || Number(minute) > 59 || Number(second ?? 0) > 59))
    return null;
  const time = Date.parse(value.trim());
  return Number.isNaN(time) ? null : new Date(time);
}

/**
 * An exception expiry: ISO date/date-time, or relative `30d` / `12h` from now. Must be in the
 * future and at most `maxDays` ahead (DW_EXCEPTION_MAX_DAYS). Returns ISO 8601 UTC.
 */
export function parseExpiry(value: unknown, now: Date, maxDays: number, field = 'expiresOn'): string {
  if (typeof value !== 'string' || !value.trim()) {
    throw badRequest(`${field} is required: an ISO 8601 date or date-time, or e.g. "30d".`);
  }
  const relative = RELATIVE.exec(value.trim());
  let expires: Date | null;
  if (relative) {
    const hours = Number(relative[1]) * (relative[2] === 'd' ? 24 : 1);
    expires = new Date(now.getTime() + hours * 3_600_000);
  } else {
    expires = parseTimestamp(value);
  }
  if (!expires)
    throw badRequest(`${field} must be an ISO 8601 date or date-time (with zone), or e.g. "30d".`);
  if (expires.getTime() <= now.getTime()) throw badRequest(`${field} must be in the future.`);
  if (expires.getTime() > now.getTime() + maxDays * 86_400_000) {
    throw badRequest(`${field} must be at most ${maxDays} days from now.`);
  }
  return expires.toISOString();
}

/** Case-insensitive lookup of a control id in the catalog. */
export function knownControl(controls: readonly Control[], value: unknown, field: string): ControlId {
  if (typeof value !== 'string' || !value.trim()) throw badRequest(`${field} is required.`);
  const wanted = value.trim().toUpperCase();
  const control = controls.find((candidate) => candidate.id === wanted);
  if (!control) {
    throw badRequest(
      `${field} is not a known control id (known: ${controls.map((known) => known.id).join(', ')}).`,
    );
  }
  return control.id;
}

/** A log time bound: ISO 8601 date/date-time with zone, or an age (`30m`, `24h`, `7d`) before `now`. */
export function parseTimeBound(value: string, now: Date): Date | null {
  const age = AGE.exec(value.trim());
  if (age) return new Date(now.getTime() - Number(age[1]) * AGE_UNIT_MS[age[2] as keyof typeof AGE_UNIT_MS]);
  return parseTimestamp(value);
}

/** `outcome`: one outcome, a comma-separated list, or `actionable` (ACTIONABLE_OUTCOMES). */
function parseOutcomes(value: string): Outcome[] {
  if (value.toLowerCase() === 'actionable') return [...ACTIONABLE_OUTCOMES];
  const wanted = value
    .split(',')
    .map((part) => part.trim().toLowerCase())
    .filter(Boolean);
  const unknown = wanted.find((outcome) => !OUTCOMES.includes(outcome as Outcome));
  if (unknown !== undefined || !wanted.length)
    throw badRequest(
      `outcome must be one of: ${OUTCOMES.join(', ')} (or several, comma-separated, or actionable).`,
    );
  return [...new Set(wanted)] as Outcome[];
}

/** Query-string filters for the remediation log; unknown parameters (e.g. `code`) are ignored. */
export function parseEvidenceQuery(
  query: URLSearchParams,
  controls: readonly Control[],
  now: Date = new Date(),
): EvidenceQuery {
  const result: EvidenceQuery = { limit: DEFAULT_PAGE_SIZE };
  const get = (name: string): string | undefined => {
    const value = query.get(name)?.trim();
    return value ? value : undefined;
  };
  for (const name of ['since', 'until'] as const) {
    const value = get(name);
    if (value === undefined) continue;
    const parsed = parseTimeBound(value, now);
    if (!parsed)
      throw badRequest(
        `${name} must be an ISO 8601 date or date-time with zone (2026-12-01, 2026-12-01T08:00Z), or an age: 30m, 24h, 7d.`,
      );
    result[name] = parsed.toISOString();
  }
  if (result.since && result.until && result.since > result.until)
    throw badRequest('since must not be after until.');
  const subscription = get('subscription');
  if (subscription !== undefined) {
    // `tenant:<tenant id>`: the identity controls' records
    if (!GUID.test(subscription.replace(/^tenant:/i, '')))
      throw badRequest('subscription must be a subscription id (GUID) or tenant:<tenant id>.');
    result.subscription = subscription.toLowerCase();
  }
  const resource = get('resource');
  if (resource !== undefined) {
    if (!resource.startsWith('/') || resource.length > 1024 || CONTROL_CHARS.test(resource)) {
      throw badRequest('resource must be a resource id prefix starting with "/".');
    }
    result.resource = resource;
  }
  const control = get('control');
  if (control !== undefined) result.control = knownControl(controls, control, 'control');
  const outcome = get('outcome');
  if (outcome !== undefined) {
    const outcomes = parseOutcomes(outcome);
    if (outcomes.length === 1) result.outcome = outcomes[0];
    else result.outcomes = outcomes;
  }
  const actor = get('actor');
  if (actor !== undefined) {
    if (actor.length > 256 || CONTROL_CHARS.test(actor))
      throw badRequest('actor is too long or has control characters.');
    result.actor = actor;
  }
  const limit = get('limit');
  if (limit !== undefined) {
    const parsed = Number(limit);
    if (!Number.isInteger(parsed) || parsed < 1 || parsed > MAX_PAGE_SIZE) {
      throw badRequest(`limit must be a whole number from 1 to ${MAX_PAGE_SIZE}.`);
    }
    result.limit = parsed;
  }
  const token = get('continuationToken');
  if (token !== undefined) {
    if (token.length > 4096 || CONTROL_CHARS.test(token)) throw badRequest('continuationToken is not valid.');
    result.continuationToken = token;
  }
  return result;
}

function requiredText(body: Record<string, unknown>, field: string, min: number, max: number): string {
  const value = body[field];
  if (typeof value !== 'string' || !value.trim()) throw badRequest(`${field} is required.`);
  const text = value.trim();
  if (text.length < min) throw badRequest(`${field} must be at least ${min} characters.`);
  if (text.length > max) throw badRequest(`${field} must be at most ${max} characters.`);
  return text;
}

/** justification, ticket and expiry: shared by exception creation and restore. */
export function parseApproval(
  body: Record<string, unknown>,
  now: Date,
  maxDays: number,
): { justification: string; ticket: string; expiresOn: string } {
  const justification = requiredText(body, 'justification', MIN_JUSTIFICATION, MAX_JUSTIFICATION);
  const ticket = requiredText(body, 'ticket', 1, MAX_TICKET);
  if (CONTROL_CHARS.test(ticket)) throw badRequest('ticket must not contain control characters.');
  return { justification, ticket, expiresOn: parseExpiry(body.expiresOn, now, maxDays) };
}

/** Body of POST /api/exceptions (`control` or `controlId`). */
export function parseNewException(
  body: Record<string, unknown>,
  controls: readonly Control[],
  approvedBy: string,
  now: Date,
  maxDays: number,
): NewException {
  const controlId = knownControl(controls, body.control ?? body.controlId, 'control');
  const scopeValue = body.scope;
  if (typeof scopeValue !== 'string' || !scopeValue.trim()) throw badRequest('scope is required.');
  const scope = scopeValue.trim().replace(/\/+$/, '');
  const tenantLevel = controls.find((control) => control.id === controlId)?.resourceKinds.length === 0;
  if (scope.length > 1024 || !(ARM_SCOPE.test(scope) || (tenantLevel && TENANT_SCOPE.test(scope)))) {
    throw badRequest(
      tenantLevel
        ? 'scope must be an object id (user, role, app) or a tenant path ("/tenants/<guid>/users/<id>").'
        : 'scope must be an Azure resource id, resource group or subscription ("/subscriptions/<guid>/...").',
    );
  }
  const result: NewException = { controlId, scope, approvedBy, ...parseApproval(body, now, maxDays) };
  const ruleName = body.ruleName;
  if (ruleName !== undefined && ruleName !== null && ruleName !== '') {
    if (typeof ruleName !== 'string' || !RULE_NAME.test(ruleName.trim())) {
      throw badRequest('ruleName must be a security rule name (letters, digits, "_", ".", "-"; at most 80).');
    }
    if (!controlId.startsWith('NSG-')) throw badRequest('ruleName applies only to NSG controls.');
    result.ruleName = ruleName.trim();
  }
  return result;
}

/**
 * `justifications` of a restore: `{ "<control id>": "<why>" }`, one per other control the
 * restored state would fail (each becomes its own exception). Absent → null.
 */
export function parseJustifications(
  value: unknown,
  controls: readonly Control[],
): Partial<Record<ControlId, string>> | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'object' || Array.isArray(value))
    throw badRequest('justifications must be an object: { "<control id>": "<justification>" }.');
  const out: Partial<Record<ControlId, string>> = {};
  for (const [key, text] of Object.entries(value as Record<string, unknown>)) {
    const id = knownControl(controls, key, 'justifications');
    const field = `justifications.${id}`;
    out[id] = requiredText({ [field]: text }, field, MIN_JUSTIFICATION, MAX_JUSTIFICATION);
  }
  return out;
}
