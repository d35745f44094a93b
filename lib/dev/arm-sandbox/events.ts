/**
 * The events Azure publishes for a control-plane write, built from what the sandbox saw:
 * - subscription system topic, Event Grid schema: Microsoft.Resources.ResourceWriteSuccess /
 *   ResourceDeleteSuccess (no resource state; claims of the caller; authorization; httpRequest);
 * - the same as CloudEvents 1.0;
 * - Azure Resource Notifications: Microsoft.ResourceNotifications.Resources.CreatedOrUpdated /
 *   Deleted, carrying the resource's properties with booleans as 0/1 (as that topic sends them).
 */
import { randomUUID } from 'node:crypto';
import { isRecord } from './arm.js';
import type { RequestContext } from './context.js';
import { parseResourceId } from './ids.js';
import type { ArmResource, EventSchema } from './types.js';

/** What the sandbox records about a completed write or delete. */
export interface WriteRecord {
  action: 'write' | 'delete';
  resourceId: string;
  /** e.g. Microsoft.Network/networkSecurityGroups/securityRules */
  resourceType: string;
  subscriptionId: string;
  resourceGroup: string;
  tenantId: string;
  caller: Record<string, unknown>;
  correlationId: string;
  httpRequest: { clientRequestId: string; clientIpAddress: string; method: string; url: string };
  /** state after a write (ResourceNotifications only) */
  resource?: ArmResource;
  apiVersion: string;
  time: Date;
}

/** A completed write or delete as a route handler reports it (SandboxCore.recordChange). */
export interface Change {
  action: 'write' | 'delete';
  resourceType: string;
  resourceId: string;
  /** state after a write */
  resource?: ArmResource;
}

/** The record of a change made by this request; the caller's `tid` claim wins over `defaultTenantId`. */
export function writeRecord(ctx: RequestContext, change: Change, defaultTenantId: string): WriteRecord {
  const parsed = parseResourceId(change.resourceId);
  return {
    action: change.action,
    resourceId: change.resourceId,
    resourceType: change.resourceType,
    subscriptionId: parsed?.subscriptionId ?? '',
    resourceGroup: parsed?.resourceGroup ?? '',
    tenantId: typeof ctx.caller.tid === 'string' ? ctx.caller.tid : defaultTenantId,
    caller: ctx.caller,
    correlationId: ctx.correlationId,
    httpRequest: {
      clientRequestId: ctx.clientRequestId,
      clientIpAddress: '127.0.0.1',
      method: ctx.method,
      url: ctx.url.toString(),
    },
    ...(change.resource ? { resource: structuredClone(change.resource) } : {}),
    apiVersion: ctx.apiVersion,
    time: new Date(),
  };
}

export interface EventGridEvent {
  id: string;
  topic: string;
  subject: string;
  eventType: string;
  eventTime: string;
  data: Record<string, unknown>;
  dataVersion: string;
  metadataVersion: '1';
}

export interface CloudEvent {
  specversion: '1.0';
  id: string;
  source: string;
  subject: string;
  type: string;
  time: string;
  datacontenttype: 'application/json';
  data: Record<string, unknown>;
}

export type SandboxEvent = EventGridEvent | CloudEvent;

const URI = {
  upn: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn',
  name: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name',
  nameidentifier: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier',
  oid: 'http://schemas.microsoft.com/identity/claims/objectidentifier',
  tid: 'http://schemas.microsoft.com/identity/claims/tenantid',
  scope: 'http://schemas.microsoft.com/identity/claims/scope',
} as const;

function str(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/**
 * Event Grid flattens the caller's token into string claims: standard JWT names stay short
 * (aud, iss, appid, name, ...) while upn/oid/tid appear under their WS-Fed URIs. We add the short
 * upn/oid too, so consumers reading either spelling find the actor.
 */
export function eventClaims(caller: Record<string, unknown>, tenantId: string): Record<string, string> {
  const claims: Record<string, string> = {};
  for (const [key, value] of Object.entries(caller)) {
    const text = str(value);
    if (text !== undefined) claims[key] = text;
  }
  const upn = str(caller.upn) ?? str(caller.unique_name);
  const oid = str(caller.oid);
  const tid = str(caller.tid) ?? tenantId;
  if (upn !== undefined) {
    claims[URI.upn] = upn;
    claims[URI.name] = upn;
    claims.upn = upn;
  }
  if (oid !== undefined) {
    claims[URI.oid] = oid;
    claims[URI.nameidentifier] = oid;
    claims.oid = oid;
  }
  claims[URI.tid] = tid;
  if (upn !== undefined) claims[URI.scope] = 'user_impersonation';
  claims.ipaddr = claims.ipaddr ?? '127.0.0.1';
  return claims;
}

export function operationName(record: Pick<WriteRecord, 'action' | 'resourceType'>): string {
  return `${record.resourceType}/${record.action}`;
}

function resourceProvider(resourceType: string): string {
  return resourceType.split('/')[0] ?? resourceType;
}

export function resourceWriteEvent(record: WriteRecord): EventGridEvent {
  const action = operationName(record);
  const principalId = str(record.caller.oid) ?? '';
  return {
    id: randomUUID(),
    topic: `/subscriptions/${record.subscriptionId}`,
    subject: record.resourceId,
    eventType:
      record.action === 'write'
        ? 'Microsoft.Resources.ResourceWriteSuccess'
        : 'Microsoft.Resources.ResourceDeleteSuccess',
    eventTime: record.time.toISOString(),
    data: {
      authorization: {
        scope: record.resourceId,
        action,
        evidence: {
          role: 'Contributor',
          roleAssignmentScope: `/subscriptions/${record.subscriptionId}`,
          principalId,
          principalType: str(record.caller.upn) !== undefined ? 'User' : 'ServicePrincipal',
        },
      },
      claims: eventClaims(record.caller, record.tenantId),
      correlationId: record.correlationId,
      httpRequest: record.httpRequest,
      resourceProvider: resourceProvider(record.resourceType),
      resourceUri: record.resourceId,
      operationName: action,
      status: 'Succeeded',
      subscriptionId: record.subscriptionId,
      tenantId: record.tenantId,
      resourceGroup: record.resourceGroup,
    },
    dataVersion: '2',
    metadataVersion: '1',
  };
}

/** Azure Resource Notifications send booleans as 0/1 inside resourceInfo.properties. */
export function booleansAsNumbers(value: unknown): unknown {
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (Array.isArray(value)) return value.map(booleansAsNumbers);
  if (isRecord(value)) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[key] = booleansAsNumbers(item);
    return out;
  }
  return value;
}

export function resourceNotificationEvent(record: WriteRecord): EventGridEvent {
  const resource = record.resource;
  const name = record.resourceId.split('/').pop() ?? '';
  const resourceInfo: Record<string, unknown> =
    record.action === 'write' && resource
      ? {
          id: resource.id,
          name: resource.name,
          type: resource.type,
          ...(resource.location !== undefined ? { location: resource.location } : {}),
          ...(resource.tags !== undefined ? { tags: resource.tags } : {}),
          properties: booleansAsNumbers(resource.properties),
        }
      : { id: record.resourceId, name, type: record.resourceType };
  return {
    id: randomUUID(),
    topic: `/subscriptions/${record.subscriptionId}`,
    subject: record.resourceId,
    eventType:
      record.action === 'write'
        ? 'Microsoft.ResourceNotifications.Resources.CreatedOrUpdated'
        : 'Microsoft.ResourceNotifications.Resources.Deleted',
    eventTime: record.time.toISOString(),
    data: {
      resourceInfo,
      operationalInfo: { resourceEventTime: record.time.toISOString() },
      apiVersion: record.apiVersion,
    },
    dataVersion: '1',
    metadataVersion: '1',
  };
}

export function toCloudEvent(event: EventGridEvent): CloudEvent {
  return {
    specversion: '1.0',
    id: event.id,
    source: event.topic,
    subject: event.subject,
    type: event.eventType,
    time: event.eventTime,
    datacontenttype: 'application/json',
    data: event.data,
  };
}

export function buildEvent(record: WriteRecord, schema: EventSchema): SandboxEvent {
  switch (schema) {
    case 'ResourceNotifications':
      return resourceNotificationEvent(record);
    case 'CloudEvents':
      return toCloudEvent(resourceWriteEvent(record));
    default:
      return resourceWriteEvent(record);
  }
}

export function validationEvent(validationCode: string, topic: string): EventGridEvent {
  return {
    id: randomUUID(),
    topic,
    subject: '',
    eventType: 'Microsoft.EventGrid.SubscriptionValidationEvent',
    eventTime: new Date().toISOString(),
    data: { validationCode },
    dataVersion: '2',
    metadataVersion: '1',
  };
}
