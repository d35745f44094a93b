import { getControl, isControlId } from '../controls/catalog.js';
import { isTenantControl } from '../controls/define-tenant.js';
import type { ControlId } from '../controls/types.js';
import type { NewException } from './types.js';

export const DEFAULT_MAX_DAYS = 90;
export const LIMITS = {
  justification: 2000,
  ticket: 200,
  approvedBy: 256,
  scope: 2048,
  ruleName: 80,
} as const;
const DAY_MS = 24 * 60 * 60 * 1000;

/** A caller mistake (HTTP 400 / CLI exit 2): names the field, never echoes huge input. */
export class ExceptionValidationError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.name = 'ExceptionValidationError';
  }
}

export class ExceptionNotFoundError extends Error {
  constructor(readonly id: string) {
    super(`no exception with id ${JSON.stringify(id.slice(0, 100))}`);
    this.name = 'ExceptionNotFoundError';
  }
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting control characters is the point
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f]/;
// Subscription id, then any ARM path below it (resource group, resource, rule), no empty segments.
const ARM_SCOPE = /^\/subscriptions\/[^/\s]+(\/[^/]+)*\/?$/i;
// Identity controls judge tenant subjects: /tenants/<tid>/users/<oid> etc., or a bare object id (GUID).
const TENANT_SCOPE =
  /^(\/tenants\/[^/\s]+(\/[^/\s]+)*\/?|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i;
const isTenantControlId = (id: ControlId) => isTenantControl(getControl(id));

function boundedText(field: keyof typeof LIMITS, value: unknown, { singleLine = true } = {}): string {
  if (typeof value !== 'string' || value.trim() === '')
    throw new ExceptionValidationError(field, 'is required');
  const text = value.trim();
  if (text.length > LIMITS[field])
    throw new ExceptionValidationError(field, `must be at most ${LIMITS[field]} characters`);
  if (singleLine && CONTROL_CHARS.test(text))
    throw new ExceptionValidationError(field, 'must not contain control characters');
  return text;
}

/** Validates and normalises (trimmed, upper-case control id, canonical ISO expiry) an approver's input. */
export function validateNewException(
  input: NewException,
  now: Date,
  maxDays = DEFAULT_MAX_DAYS,
): NewException {
  const controlId =
    typeof input.controlId === 'string' ? input.controlId.trim().toUpperCase() : input.controlId;
  if (!isControlId(controlId)) throw new ExceptionValidationError('controlId', 'is not a known control id');
  const scope = boundedText('scope', input.scope);
  if (!ARM_SCOPE.test(scope) && !(isTenantControlId(controlId) && TENANT_SCOPE.test(scope))) {
    throw new ExceptionValidationError(
      'scope',
      isTenantControlId(controlId)
        ? 'must be a user/role/app object id or a /tenants/<id>/... path'
        : 'must be an ARM id starting with /subscriptions/<id>',
    );
  }
  const ruleName =
    input.ruleName === undefined || input.ruleName === null
      ? undefined
      : boundedText('ruleName', input.ruleName);
  const justification = boundedText('justification', input.justification, { singleLine: false });
  const ticket = boundedText('ticket', input.ticket);
  const approvedBy = boundedText('approvedBy', input.approvedBy);
  const approvedByObjectId =
    input.approvedByObjectId === undefined ? undefined : boundedText('approvedBy', input.approvedByObjectId);
  const restoreOf = input.restoreOf === undefined ? undefined : boundedText('scope', input.restoreOf);
  const expires = typeof input.expiresOn === 'string' ? Date.parse(input.expiresOn) : Number.NaN;
  if (Number.isNaN(expires)) throw new ExceptionValidationError('expiresOn', 'must be an ISO 8601 date/time');
  if (expires <= now.getTime()) throw new ExceptionValidationError('expiresOn', 'must be in the future');
  if (expires > now.getTime() + maxDays * DAY_MS) {
    throw new ExceptionValidationError('expiresOn', `must be within ${maxDays} days`);
  }
  return {
    controlId,
    scope,
    ...(ruleName ? { ruleName } : {}),
    justification,
    ticket,
    approvedBy,
    ...(approvedByObjectId ? { approvedByObjectId } : {}),
    expiresOn: new Date(expires).toISOString(),
    ...(input.state === 'requested' ? { state: 'requested' as const } : {}),
    ...(input.wideScope === true ? { wideScope: true } : {}),
    ...(restoreOf ? { restoreOf } : {}),
  };
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are illegal in table keys
const ROW_KEY = /^[^/\\#?\u0000-\u001f\u007f-\u009f]{1,256}$/;

/** Any id an exceptions row can have (a legal RowKey up to 256 characters), ours (UUIDs) or not. */
export function isValidExceptionId(id: unknown): id is string {
  return typeof id === 'string' && ROW_KEY.test(id);
}

export const MALFORMED_ID_MESSAGE =
  'id is not a valid exception id (1-256 characters, none of / \\ # ? or control characters)';
