import { NetworkManagementClient } from '@azure/arm-network';
import { StorageManagementClient } from '@azure/arm-storage';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type EventGridEvent, type Sandbox, startSandbox } from '../../../lib/dev/arm-sandbox/index.js';
import { RDP_FROM_INTERNET } from '../../support/rules.js';
import { SUBSCRIPTION, startWebhook, type TestWebhook } from './helpers.js';

const UPN_URI = 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn';
const OID_URI = 'http://schemas.microsoft.com/identity/claims/objectidentifier';

function eventsOf(hook: TestWebhook): EventGridEvent[] {
  return hook.received.flatMap((delivery) => delivery.body as EventGridEvent[]);
}

describe('ARM sandbox: Event Grid events to a webhook', () => {
  let hook: TestWebhook;
  const sandboxes: Sandbox[] = [];

  beforeAll(async () => {
    hook = await startWebhook();
  });
  afterEach(async () => {
    await Promise.all(sandboxes.splice(0).map((s) => s.stop()));
    hook.received.length = 0;
    hook.validations.length = 0;
    hook.rejectValidation = false;
  });
  afterAll(async () => {
    await hook.close();
  });

  async function sandboxWith(
    webhook: Parameters<Sandbox['setWebhook']>[0] & object,
    seed = 3,
  ): Promise<Sandbox> {
    const sandbox = await startSandbox({ webhook, timeScale: 0.01, seed });
    sandboxes.push(sandbox);
    return sandbox;
  }

  it('performs the validation handshake, then posts ResourceWriteSuccess with the caller’s claims', async () => {
    const sandbox = await sandboxWith({ url: hook.url });
    expect(hook.validations).toHaveLength(1);
    expect(hook.validations[0]?.headers['aeg-event-type']).toBe('SubscriptionValidation');
    expect((hook.validations[0]?.body as EventGridEvent[] | undefined)?.[0]?.eventType).toBe(
      'Microsoft.EventGrid.SubscriptionValidationEvent',
    );

    const credential = sandbox.credential({
      upn: 'mallory@contoso.com',
      oid: '7d3c1c8e-0000-4000-a000-000000000001',
      name: 'Mallory',
    });
    const network = new NetworkManagementClient(credential, SUBSCRIPTION, { ...sandbox.clientOptions() });
    await network.networkSecurityGroups.beginCreateOrUpdateAndWait('rg-ev', 'nsg-ev', { location: 'eastus' });
    const rule = await network.securityRules.beginCreateOrUpdateAndWait('rg-ev', 'nsg-ev', 'allow-rdp', {
      ...RDP_FROM_INTERNET,
      priority: 300,
    });
    await network.securityRules.beginDeleteAndWait('rg-ev', 'nsg-ev', 'allow-rdp');
    await sandbox.waitForEventsIdle();

    const events = eventsOf(hook);
    expect(events.map((e) => e.data.operationName)).toEqual([
      'Microsoft.Network/networkSecurityGroups/write',
      'Microsoft.Network/networkSecurityGroups/securityRules/write',
      'Microsoft.Network/networkSecurityGroups/securityRules/delete',
    ]);
    expect(hook.received.every((d) => d.headers['aeg-event-type'] === 'Notification')).toBe(true);
    const write = events[1];
    expect(write).toMatchObject({
      topic: `/subscriptions/${SUBSCRIPTION}`,
      subject: rule.id,
      eventType: 'Microsoft.Resources.ResourceWriteSuccess',
      metadataVersion: '1',
      data: {
        status: 'Succeeded',
        resourceProvider: 'Microsoft.Network',
        resourceUri: rule.id,
        subscriptionId: SUBSCRIPTION,
        authorization: {
          scope: rule.id,
          action: 'Microsoft.Network/networkSecurityGroups/securityRules/write',
        },
        httpRequest: { method: 'PUT', clientIpAddress: '127.0.0.1' },
      },
    });
    expect(write?.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(typeof write?.data.correlationId).toBe('string');
    const claims = write?.data.claims as Record<string, string>;
    expect(claims[UPN_URI]).toBe('mallory@contoso.com');
    expect(claims.upn).toBe('mallory@contoso.com');
    expect(claims[OID_URI]).toBe('7d3c1c8e-0000-4000-a000-000000000001');
    expect(claims.name).toBe('Mallory');
    expect(events[2]?.eventType).toBe('Microsoft.Resources.ResourceDeleteSuccess');
    expect(sandbox.stats().eventsDelivered).toBe(3);
    expect(sandbox.events().map((e) => e.event.id)).toEqual(events.map((e) => e.id));
  });

  it('reports service principals by appid and storage operation names', async () => {
    const sandbox = await sandboxWith({ url: hook.url });
    const storage = new StorageManagementClient(
      sandbox.credential({ appid: 'f0e1d2c3-0000-4000-a000-00000000beef', oid: 'sp-oid' }),
      SUBSCRIPTION,
      {
        ...sandbox.clientOptions(),
      },
    );
    await storage.storageAccounts.create('rg-ev', 'stevents01', {
      location: 'eastus',
      sku: { name: 'Standard_LRS' },
      kind: 'StorageV2',
    });
    await storage.blobContainers.create('rg-ev', 'stevents01', 'intake', {});
    await sandbox.waitForEventsIdle();
    const events = eventsOf(hook);
    expect(events.map((e) => e.data.operationName)).toEqual([
      'Microsoft.Storage/storageAccounts/write',
      'Microsoft.Storage/storageAccounts/blobServices/containers/write',
    ]);
    const claims = events[0]?.data.claims as Record<string, string>;
    expect(claims.appid).toBe('f0e1d2c3-0000-4000-a000-00000000beef');
    expect(claims[UPN_URI]).toBeUndefined();
  });

  it('refuses a webhook that fails the handshake', async () => {
    hook.rejectValidation = true;
    await expect(startSandbox({ webhook: { url: hook.url } })).rejects.toThrow(/validation handshake/);
  });

  it('retries non-2xx deliveries with backoff and redelivers duplicates', async () => {
    const sandbox = await sandboxWith({ url: hook.url, duplicates: 2, retryBaseMs: 100 });
    hook.failNext(3, 503);
    const network = new NetworkManagementClient(sandbox.credential(), SUBSCRIPTION, {
      ...sandbox.clientOptions(),
    });
    await network.networkSecurityGroups.beginCreateOrUpdateAndWait('rg-ev', 'nsg-dup', {
      location: 'eastus',
    });
    await sandbox.waitForEventsIdle();
    const events = eventsOf(hook);
    expect(events).toHaveLength(2);
    expect(events[0]?.id).toBe(events[1]?.id);
    const counts = hook.received.map((d) => Number(d.headers['aeg-delivery-count']));
    expect(Math.max(...counts)).toBeGreaterThanOrEqual(1);
    expect(sandbox.stats()).toMatchObject({ eventsDelivered: 2, eventsFailed: 0 });
  });

  it('dead-letters after maxAttempts', async () => {
    const sandbox = await sandboxWith({ url: hook.url, retryBaseMs: 10, maxAttempts: 3 });
    hook.failNext(100, 500);
    const network = new NetworkManagementClient(sandbox.credential(), SUBSCRIPTION, {
      ...sandbox.clientOptions(),
    });
    await network.networkSecurityGroups.beginCreateOrUpdateAndWait('rg-ev', 'nsg-dead', {
      location: 'eastus',
    });
    await sandbox.waitForEventsIdle();
    hook.failNext(0);
    expect(sandbox.stats()).toMatchObject({ eventsDelivered: 0, eventsFailed: 1 });
    expect(sandbox.deadLetteredEvents()).toHaveLength(1);
  });

  it('shuffles deliveries (seeded) when asked', async () => {
    const sandbox = await sandboxWith({ url: hook.url, shuffle: true }, 11);
    const storage = new StorageManagementClient(sandbox.credential(), SUBSCRIPTION, {
      ...sandbox.clientOptions(),
    });
    await storage.storageAccounts.create('rg-ev', 'stshuffle01', {
      location: 'eastus',
      sku: { name: 'Standard_LRS' },
      kind: 'StorageV2',
    });
    await sandbox.waitForEventsIdle();
    hook.received.length = 0;
    const names = ['c-01', 'c-02', 'c-03', 'c-04', 'c-05', 'c-06', 'c-07', 'c-08'];
    await Promise.all(names.map((name) => storage.blobContainers.create('rg-ev', 'stshuffle01', name, {})));
    await sandbox.waitForEventsIdle();
    const emitted = sandbox
      .emittedEvents()
      .slice(1)
      .map((e) => e.id);
    const delivered = eventsOf(hook).map((e) => e.id);
    expect([...delivered].sort()).toEqual([...emitted].sort());
    expect(delivered).not.toEqual(emitted);
  });

  it('speaks CloudEvents 1.0 with the abuse-protection handshake', async () => {
    const sandbox = await sandboxWith({ url: hook.url, schema: 'CloudEvents' });
    const network = new NetworkManagementClient(
      sandbox.credential({ upn: 'dave@contoso.com' }),
      SUBSCRIPTION,
      { ...sandbox.clientOptions() },
    );
    const nsg = await network.networkSecurityGroups.beginCreateOrUpdateAndWait('rg-ev', 'nsg-ce', {
      location: 'eastus',
    });
    await sandbox.waitForEventsIdle();
    expect(hook.received[0]?.headers['content-type']).toMatch(/^application\/cloudevents-batch\+json/);
    const event = (hook.received[0]?.body as Array<Record<string, unknown>> | undefined)?.[0];
    expect(event).toMatchObject({
      specversion: '1.0',
      type: 'Microsoft.Resources.ResourceWriteSuccess',
      source: `/subscriptions/${SUBSCRIPTION}`,
      subject: nsg.id,
      data: { operationName: 'Microsoft.Network/networkSecurityGroups/write' },
    });
  });

  it('emits Resource Notifications with full properties and booleans as 0/1', async () => {
    const sandbox = await sandboxWith({ url: hook.url, schema: 'ResourceNotifications' });
    const storage = new StorageManagementClient(sandbox.credential(), SUBSCRIPTION, {
      ...sandbox.clientOptions(),
    });
    const account = await storage.storageAccounts.create('rg-ev', 'stnotify01', {
      location: 'eastus',
      sku: { name: 'Standard_LRS' },
      kind: 'StorageV2',
      allowBlobPublicAccess: true,
      minimumTlsVersion: 'TLS1_2',
    });
    await storage.storageAccounts.delete('rg-ev', 'stnotify01');
    await sandbox.waitForEventsIdle();
    const [created, deleted] = eventsOf(hook);
    expect(created).toMatchObject({
      eventType: 'Microsoft.ResourceNotifications.Resources.CreatedOrUpdated',
      subject: account.id,
      data: {
        resourceInfo: {
          id: account.id,
          type: 'Microsoft.Storage/storageAccounts',
          properties: { allowBlobPublicAccess: 1, supportsHttpsTrafficOnly: 1, minimumTlsVersion: 'TLS1_2' },
        },
      },
    });
    expect(deleted?.eventType).toBe('Microsoft.ResourceNotifications.Resources.Deleted');
  });

  it('records events without a webhook and can add one later', { timeout: 5000 }, async () => {
    const sandbox = await startSandbox({ timeScale: 0.01 });
    sandboxes.push(sandbox);
    const network = new NetworkManagementClient(sandbox.credential(), SUBSCRIPTION, {
      ...sandbox.clientOptions(),
    });
    await network.networkSecurityGroups.beginCreateOrUpdateAndWait('rg-ev', 'nsg-quiet', {
      location: 'eastus',
    });
    expect(sandbox.emittedEvents()).toHaveLength(1);
    expect(hook.received).toHaveLength(0);
    await sandbox.setWebhook({ url: hook.url, delayMs: 500 });
    await network.networkSecurityGroups.beginCreateOrUpdateAndWait('rg-ev', 'nsg-loud', {
      location: 'eastus',
    });
    await sandbox.waitForEventsIdle();
    expect(eventsOf(hook).map((e) => e.subject.split('/').pop())).toEqual(['nsg-loud']);
  });
});
