import { describe, expect, it } from 'vitest';
import { MalformedEventError, parseResourceChange } from '../../../lib/events/parse.js';

const SUB = '6f1c2a3b-1111-4c2d-9e8f-0123456789ab';
const RG = `/subscriptions/${SUB}/resourceGroups/rg-portal`;
const ACCOUNT = `${RG}/providers/Microsoft.Storage/storageAccounts/phiportal01`;
const CONTAINER = `${ACCOUNT}/blobServices/default/containers/scans`;
const NSG = `${RG}/providers/Microsoft.Network/networkSecurityGroups/nsg-web`;
const RULE = `${NSG}/securityRules/allow-rdp`;

const UPN = 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn';
const OID = 'http://schemas.microsoft.com/identity/claims/objectidentifier';

function writeEvent(subject: string, operationName: string, claims: Record<string, unknown> = {}) {
  return {
    id: 'a5a0b1c2-0000-4000-8000-000000000001',
    topic: `/subscriptions/${SUB}`,
    subject,
    eventType: 'Microsoft.Resources.ResourceWriteSuccess',
    eventTime: '2026-11-26T10:00:00.000Z',
    data: {
      claims: {
        [UPN]: 'alice@contoso.example',
        [OID]: '11111111-2222-3333-4444-555555555555',
        appid: 'app-1',
        ...claims,
      },
      correlationId: 'corr-1',
      resourceUri: subject,
      operationName,
      status: 'Succeeded',
      subscriptionId: SUB,
    },
    dataVersion: '2',
    metadataVersion: '1',
  };
}

describe('parseResourceChange: accepted events', () => {
  it('reads an Event Grid ResourceWriteSuccess with long claim URIs', () => {
    const change = parseResourceChange(
      writeEvent(RULE, 'Microsoft.Network/networkSecurityGroups/securityRules/write'),
    );
    expect(change).toMatchObject({
      schema: 'eventgrid',
      eventId: 'a5a0b1c2-0000-4000-8000-000000000001',
      eventType: 'Microsoft.Resources.ResourceWriteSuccess',
      change: 'write',
      resourceId: RULE,
      target: 'securityRule',
      actor: 'alice@contoso.example',
      callerObjectId: '11111111-2222-3333-4444-555555555555',
      callerAppId: 'app-1',
      correlationId: 'corr-1',
      eventTime: '2026-11-26T10:00:00.000Z',
      subscriptionId: SUB,
    });
  });

  it.each([
    [ACCOUNT, 'Microsoft.Storage/storageAccounts/write', 'storageAccount'],
    [CONTAINER, 'Microsoft.Storage/storageAccounts/blobServices/containers/write', 'blobContainer'],
    [NSG, 'Microsoft.Network/networkSecurityGroups/write', 'networkSecurityGroup'],
    [RULE, 'Microsoft.Network/networkSecurityGroups/securityRules/write', 'securityRule'],
  ])('routes %s', (subject, operation, target) => {
    expect(parseResourceChange(writeEvent(subject, operation)).target).toBe(target);
  });

  it('marks other resource types unsupported (valid, not acted on)', () => {
    const vm = `${RG}/providers/Microsoft.Compute/virtualMachines/vm1`;
    expect(parseResourceChange(writeEvent(vm, 'Microsoft.Compute/virtualMachines/write')).target).toBe(
      'unsupported',
    );
  });

  it('falls back from upn to appid to object id, short claim names too', () => {
    const noUpn = writeEvent(ACCOUNT, 'Microsoft.Storage/storageAccounts/write');
    noUpn.data.claims = { appid: 'svc-app', oid: 'o-1' } as never;
    expect(parseResourceChange(noUpn)).toMatchObject({
      actor: 'svc-app',
      callerAppId: 'svc-app',
      callerObjectId: 'o-1',
    });
    const onlyOid = writeEvent(ACCOUNT, 'Microsoft.Storage/storageAccounts/write');
    onlyOid.data.claims = { oid: 'o-2' } as never;
    expect(parseResourceChange(onlyOid).actor).toBe('o-2');
    const shortUpn = writeEvent(ACCOUNT, 'Microsoft.Storage/storageAccounts/write');
    shortUpn.data.claims = { upn: 'bob@contoso.example' } as never;
    expect(parseResourceChange(shortUpn).actor).toBe('bob@contoso.example');
  });

  it('reads a CloudEvents 1.0 delete event', () => {
    const change = parseResourceChange({
      specversion: '1.0',
      id: 'ce-1',
      source: `/subscriptions/${SUB}`,
      subject: RULE,
      type: 'Microsoft.Resources.ResourceDeleteSuccess',
      time: '2026-11-26T10:00:00Z',
      data: {
        operationName: 'Microsoft.Network/networkSecurityGroups/securityRules/delete',
        claims: { upn: 'carol@contoso.example' },
      },
    });
    expect(change).toMatchObject({
      schema: 'cloudevents',
      change: 'delete',
      target: 'securityRule',
      actor: 'carol@contoso.example',
    });
  });

  it('reads a Resource Notifications event with properties (booleans as 0/1) and no claims', () => {
    const change = parseResourceChange({
      id: 'rn-1',
      subject: ACCOUNT,
      eventType: 'Microsoft.ResourceNotifications.Resources.CreatedOrUpdated',
      eventTime: '2026-11-26T10:00:00Z',
      data: {
        resourceInfo: {
          id: ACCOUNT,
          type: 'Microsoft.Storage/storageAccounts',
          properties: { allowBlobPublicAccess: 1 },
        },
        operationalInfo: { resourceEventTime: '2026-11-26T10:00:00Z' },
      },
      dataVersion: '1',
    });
    expect(change.target).toBe('storageAccount');
    expect(change.actor).toBeNull();
    expect(change.resourceInfo?.properties.allowBlobPublicAccess).toBe(1);
  });

  it('keeps prototype-pollution keys inert', () => {
    const raw = JSON.stringify(writeEvent(ACCOUNT, 'Microsoft.Storage/storageAccounts/write')).replace(
      '"claims":{',
      '"claims":{"__proto__":{"upn":"mallory"},"constructor":{"prototype":{"polluted":1}},',
    );
    const change = parseResourceChange(JSON.parse(raw));
    expect(change.actor).toBe('alice@contoso.example');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).upn).toBeUndefined();
  });
});

import { hostileEvents } from './hostile.js';

describe('parseResourceChange: hostile input', () => {
  it('rejects 1,000 seeded malformed or hostile events with one clear line each, never crashing', () => {
    let rejected = 0;
    for (const event of hostileEvents(1000, 20261126)) {
      let error: unknown;
      try {
        parseResourceChange(event);
      } catch (caught) {
        error = caught;
      }
      expect(error, `accepted: ${JSON.stringify(event)?.slice(0, 300)}`).toBeInstanceOf(MalformedEventError);
      const message = (error as Error).message;
      expect(message).not.toMatch(/[\r\n]/);
      expect(message.length).toBeLessThan(600);
      rejected++;
    }
    expect(rejected).toBe(1000);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
