import { parseResourceId } from '../azure/resource-id.js';
import { ARM_TYPE_NAMES, type ResourceKind } from '../resources/kinds.js';

/**
 * Turns an untrusted Event Grid delivery (Event Grid schema or CloudEvents 1.0) into a typed
 * ResourceChange, or refuses it with one clear line. Pure: no I/O, never throws anything but
 * MalformedEventError. Values are read with own-property checks only, so prototype-pollution keys
 * (`__proto__`, `constructor`) are inert, and strings are length-capped before use.
 */

export const WRITE_EVENT_TYPES = [
  'Microsoft.Resources.ResourceWriteSuccess',
  'Microsoft.ResourceNotifications.Resources.CreatedOrUpdated',
] as const;
export const DELETE_EVENT_TYPES = [
  'Microsoft.Resources.ResourceDeleteSuccess',
  'Microsoft.ResourceNotifications.Resources.Deleted',
] as const;

export type ChangeTarget = ResourceKind | 'unsupported';

export interface ResourceChange {
  schema: 'eventgrid' | 'cloudevents';
  eventId: string;
  eventType: string;
  /** write (created/updated) or delete */
  change: 'write' | 'delete';
  /** the resource the event is about (validated ARM id, as given) */
  resourceId: string;
  /** data.operationName, e.g. 'Microsoft.Network/networkSecurityGroups/securityRules/write' */
  operationName: string | null;
  target: ChangeTarget;
  /** who caused the change: upn, else appid, else objectidentifier */
  actor: string | null;
  callerObjectId: string | null;
  callerAppId: string | null;
  correlationId: string | null;
  eventTime: string | null;
  subscriptionId: string;
  /** Resource Notifications events carry the resource state (booleans may be 0/1); a hint only. */
  resourceInfo?: { id: string; type: string | null; properties: Record<string, unknown> };
}

export class MalformedEventError extends Error {
  constructor(
    readonly reason: string,
    readonly eventId: string | null,
  ) {
    super(`malformed event${eventId ? ` ${eventId}` : ''}: ${reason}`);
    this.name = 'MalformedEventError';
  }
}

/**
 * A well-formed Azure resource event of a type driftwarden does not act on (ResourceActionSuccess,
 * ResourceWriteFailure, health and other Resource Notifications types): the subscription topic
 * sends them too. The parser still refuses it; the handler logs it as ignored, not malformed.
 */
export class IgnoredEventTypeError extends MalformedEventError {
  constructor(
    readonly eventType: string,
    eventId: string,
  ) {
    super(`event type "${eventType.slice(0, 100)}" is not one driftwarden acts on`, eventId);
    this.name = 'IgnoredEventTypeError';
  }
}

const IGNORED_FAMILIES = /^Microsoft\.(Resources|ResourceNotifications)\.[A-Za-z0-9.]{1,120}$/;

const MAX_ID = 256;
const MAX_TEXT = 512;
const MAX_PROPERTY_DEPTH = 8;
const MAX_PROPERTY_KEYS = 500;
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

type Obj = Record<string, unknown>;

function isObject(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Own property only: never consults the prototype chain. */
function own(obj: Obj, key: string): unknown {
  return Object.hasOwn(obj, key) ? obj[key] : undefined;
}

/** A printable string up to `max` characters, else null (wrong type, empty, too long, control chars). */
function str(value: unknown, max = MAX_TEXT): string | null {
  if (typeof value !== 'string' || value.length === 0 || value.length > max) return null;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters never belong in these fields
  return /[\u0000-\u001f\u007f]/.test(value) ? null : value;
}

const CLAIM = {
  upn: [
    'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn',
    'upn',
    'unique_name',
    'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name',
  ],
  appId: ['appid', 'azp', 'http://schemas.microsoft.com/identity/claims/appid'],
  objectId: ['http://schemas.microsoft.com/identity/claims/objectidentifier', 'oid', 'objectidentifier'],
};

function claim(claims: Obj | null, names: string[]): string | null {
  if (!claims) return null;
  for (const name of names) {
    const value = str(own(claims, name), MAX_ID);
    if (value) return value;
  }
  return null;
}

/** Copies ARM properties into null-prototype objects, dropping dangerous keys; bounded in depth and size. */
function safeCopy(value: unknown, depth: number, budget: { keys: number }): unknown {
  if (typeof value === 'string') return value.length > 4096 ? value.slice(0, 4096) : value;
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return value;
  if (depth >= MAX_PROPERTY_DEPTH) return null;
  if (Array.isArray(value)) return value.slice(0, 200).map((item) => safeCopy(item, depth + 1, budget));
  if (!isObject(value)) return null;
  const out: Obj = Object.create(null);
  for (const key of Object.keys(value)) {
    if (FORBIDDEN_KEYS.has(key) || --budget.keys < 0) continue;
    out[key] = safeCopy(value[key], depth + 1, budget);
  }
  return out;
}

function routeByOperation(operationName: string): ChangeTarget | null {
  const op = operationName.toLowerCase();
  if (op.startsWith('microsoft.storage/storageaccounts/blobservices/containers/')) return 'blobContainer';
  if (op.startsWith('microsoft.network/networksecuritygroups/securityrules/')) return 'securityRule';
  if (op === 'microsoft.storage/storageaccounts/write' || op === 'microsoft.storage/storageaccounts/delete')
    return 'storageAccount';
  if (
    op === 'microsoft.network/networksecuritygroups/write' ||
    op === 'microsoft.network/networksecuritygroups/delete'
  ) {
    return 'networkSecurityGroup';
  }
  // the other kinds: exactly `<type>/write` or `<type>/delete`
  for (const [kind, type] of Object.entries(ARM_TYPE_NAMES) as [ResourceKind, string][]) {
    const base = type.toLowerCase();
    if (op === `${base}/write` || op === `${base}/delete`) return kind;
  }
  return null;
}

/** Parses one event. Throws MalformedEventError (one-line message) for anything unusable. */
export function parseResourceChange(input: unknown): ResourceChange {
  if (!isObject(input)) throw new MalformedEventError('event is not a JSON object', null);
  const isCloudEvent = own(input, 'specversion') !== undefined;
  const eventId = str(own(input, 'id'), MAX_ID);
  if (!eventId) throw new MalformedEventError('missing or invalid event id', null);
  const fail = (reason: string): never => {
    throw new MalformedEventError(reason, eventId);
  };
  if (isCloudEvent && own(input, 'specversion') !== '1.0') fail('unsupported CloudEvents specversion');
  const eventType =
    str(own(input, isCloudEvent ? 'type' : 'eventType'), MAX_ID) ?? fail('missing or invalid event type');
  const isWrite = (WRITE_EVENT_TYPES as readonly string[]).includes(eventType);
  const isDelete = (DELETE_EVENT_TYPES as readonly string[]).includes(eventType);
  if (!isWrite && !isDelete) {
    if (IGNORED_FAMILIES.test(eventType)) throw new IgnoredEventTypeError(eventType, eventId);
    fail(`unsupported event type "${eventType.slice(0, 100)}"`);
  }

  const data = own(input, 'data');
  if (!isObject(data)) fail('data is not an object');
  const body = data as Obj;

  const resourceInfoRaw = own(body, 'resourceInfo');
  const resourceInfo = isObject(resourceInfoRaw) ? resourceInfoRaw : null;
  const subject = own(input, 'subject');
  if (subject !== undefined && typeof subject !== 'string') fail('subject is not a string');
  const dataUri = own(body, 'resourceUri') ?? (resourceInfo ? own(resourceInfo, 'id') : undefined);
  const candidate = subject ?? dataUri;
  const parsed = parseResourceId(candidate);
  if (!parsed.ok) fail(parsed.reason);
  const resourceId = candidate as string;
  // subject and data disagreeing means a forged or corrupted event: act on neither
  if (
    subject !== undefined &&
    dataUri !== undefined &&
    (typeof dataUri !== 'string' || dataUri.toLowerCase() !== resourceId.toLowerCase())
  ) {
    fail('subject and data resource id disagree');
  }

  const operationRaw = own(body, 'operationName');
  let operationName: string | null = null;
  if (operationRaw !== undefined) {
    operationName = str(operationRaw, MAX_ID) ?? fail('data.operationName is not a string');
  }
  const byId: ChangeTarget = parsed.ok && parsed.id ? parsed.id.target : 'unsupported';
  let target = byId;
  if (operationName !== null) {
    const byOperation = routeByOperation(operationName);
    // an operation on another resource type than the id names: route to neither
    if (byOperation !== null && byOperation !== byId) fail('operationName does not match the resource id');
    if (byOperation === null) target = 'unsupported';
  }

  const subscriptionId =
    (parsed.ok && parsed.id?.subscriptionId) ||
    resourceId.split('/')[2] ||
    fail('no subscription in resource id');
  const dataSubscription = own(body, 'subscriptionId');
  if (
    dataSubscription !== undefined &&
    (typeof dataSubscription !== 'string' || dataSubscription.toLowerCase() !== subscriptionId.toLowerCase())
  ) {
    fail('data.subscriptionId does not match the resource id');
  }

  const claimsRaw = own(body, 'claims');
  const claims = isObject(claimsRaw) ? claimsRaw : null;
  const callerObjectId = claim(claims, CLAIM.objectId);
  const callerAppId = claim(claims, CLAIM.appId);
  const actor = claim(claims, CLAIM.upn) ?? callerAppId ?? callerObjectId;

  const timeRaw = str(own(input, isCloudEvent ? 'time' : 'eventTime'), 64);
  const eventTime = timeRaw && !Number.isNaN(Date.parse(timeRaw)) ? timeRaw : null;

  const change: ResourceChange = {
    schema: isCloudEvent ? 'cloudevents' : 'eventgrid',
    eventId,
    eventType,
    change: isWrite ? 'write' : 'delete',
    resourceId,
    operationName,
    target,
    actor,
    callerObjectId,
    callerAppId,
    correlationId: str(own(body, 'correlationId'), MAX_ID),
    eventTime,
    subscriptionId,
  };
  if (resourceInfo) {
    const properties = own(resourceInfo, 'properties');
    change.resourceInfo = {
      id: resourceId,
      type: str(own(resourceInfo, 'type'), MAX_ID),
      properties: isObject(properties)
        ? (safeCopy(properties, 0, { keys: MAX_PROPERTY_KEYS }) as Obj)
        : Object.create(null),
    };
  }
  return change;
}
