import { type StorageAccount, StorageManagementClient } from '@azure/arm-storage';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../../lib/dev/arm-sandbox/index.js';
import { SUBSCRIPTION } from './helpers.js';

describe('ARM sandbox: storage accounts and blob containers through @azure/arm-storage', () => {
  let sandbox: Sandbox;
  let client: StorageManagementClient;

  beforeAll(async () => {
    sandbox = await startSandbox({ pageSize: 2 });
    client = new StorageManagementClient(sandbox.credential({ upn: 'alice@contoso.com' }), SUBSCRIPTION, {
      ...sandbox.clientOptions(),
    });
  });
  afterAll(async () => {
    await sandbox.stop();
  });
  beforeEach(() => {
    sandbox.reset();
    sandbox.resetStats();
  });

  const create = (group: string, name: string, extra: Partial<StorageAccount> = {}) =>
    client.storageAccounts.create(group, name, {
      location: 'westeurope',
      sku: { name: 'Standard_LRS' },
      kind: 'StorageV2',
      minimumTlsVersion: 'TLS1_2',
      ...extra,
    });

  it('creates an account as a long-running operation polled via Location, then reads it back', async () => {
    const account = await create('rg-portal', 'stportal01', {
      allowBlobPublicAccess: true,
      tags: { app: 'portal' },
    });
    expect(account.name).toBe('stportal01');
    expect(account.provisioningState).toBe('Succeeded');
    expect(account.allowBlobPublicAccess).toBe(true);
    expect(account.id).toBe(
      `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-portal/providers/Microsoft.Storage/storageAccounts/stportal01`,
    );
    const stats = sandbox.stats();
    expect(stats.requests.byKind['storageAccounts.put']).toBe(1);
    expect(stats.requests.byKind['operations.get']).toBeGreaterThanOrEqual(1);

    const read = await client.storageAccounts.getProperties('RG-PORTAL', 'stportal01');
    expect(read.tags).toEqual({ app: 'portal' });
    expect(read.enableHttpsTrafficOnly).toBe(true);
    expect(read.minimumTlsVersion).toBe('TLS1_2');
    expect(read.primaryEndpoints?.blob).toBe('https://stportal01.blob.core.windows.net/');
    // ids are case-insensitive
    expect(sandbox.getResource(account.id?.toUpperCase() ?? '')).toMatchObject({ name: 'stportal01' });
  });

  it('updates with PATCH (properties merge) and deletes (204 when already gone)', async () => {
    await create('rg-a', 'stpatch01', { allowBlobPublicAccess: true });
    const updated = await client.storageAccounts.update('rg-a', 'stpatch01', {
      allowBlobPublicAccess: false,
      minimumTlsVersion: 'TLS1_2',
    });
    expect(updated.allowBlobPublicAccess).toBe(false);
    expect(updated.enableHttpsTrafficOnly).toBe(true);
    await client.storageAccounts.delete('rg-a', 'stpatch01');
    await expect(client.storageAccounts.getProperties('rg-a', 'stpatch01')).rejects.toMatchObject({
      statusCode: 404,
      code: 'ResourceNotFound',
    });
    await expect(client.storageAccounts.delete('rg-a', 'stpatch01')).resolves.toBeUndefined();
  });

  it('shows what arm-storage v20 really sends: allowBlobPublicAccess alone is dropped by its serializer', async () => {
    // The v20 serializer only emits `properties` when one of a (mis-cased) list of names is set, so a
    // PATCH of just allowBlobPublicAccess arrives as `{}`. The sandbox stores what it receives, which
    // is how this was found; callers must send a correctly-cased companion such as minimumTlsVersion.
    await create('rg-a', 'stquirk01', { allowBlobPublicAccess: true });
    const updated = await client.storageAccounts.update('rg-a', 'stquirk01', {
      allowBlobPublicAccess: false,
    });
    expect(updated.allowBlobPublicAccess).toBe(true);
  });

  it('lists by subscription and by resource group across nextLink pages', async () => {
    for (let i = 0; i < 5; i++) await create(i < 3 ? 'rg-one' : 'rg-two', `stlist0${i}`);
    const all: string[] = [];
    for await (const account of client.storageAccounts.list()) all.push(account.name ?? '');
    expect(all).toEqual(['stlist00', 'stlist01', 'stlist02', 'stlist03', 'stlist04']);
    expect(sandbox.stats().requests.byKind['storageAccounts.list']).toBe(3); // pages of 2

    const inGroup: string[] = [];
    for await (const account of client.storageAccounts.listByResourceGroup('rg-two'))
      inGroup.push(account.name ?? '');
    expect(inGroup).toEqual(['stlist03', 'stlist04']);
  });

  it('rejects invalid names and names taken elsewhere', async () => {
    await expect(create('rg-a', 'Bad_Name')).rejects.toMatchObject({
      statusCode: 400,
      code: 'AccountNameInvalid',
    });
    await create('rg-a', 'sttaken01');
    await expect(create('rg-b', 'sttaken01')).rejects.toMatchObject({
      statusCode: 409,
      code: 'StorageAccountAlreadyTaken',
    });
  });

  it('creates, updates, lists and deletes blob containers', async () => {
    await create('rg-c', 'stcontainers1', { allowBlobPublicAccess: true });
    const created = await client.blobContainers.create('rg-c', 'stcontainers1', 'scans', {
      publicAccess: 'Container',
    });
    expect(created.publicAccess).toBe('Container');
    expect(created.etag).toMatch(/^"0x8D/);
    for (const name of ['intake', 'reports', 'archive']) {
      await client.blobContainers.create('rg-c', 'stcontainers1', name, {});
    }
    const updated = await client.blobContainers.update('rg-c', 'stcontainers1', 'scans', {
      publicAccess: 'None',
    });
    expect(updated.publicAccess).toBe('None');
    expect(updated.etag).not.toBe(created.etag);
    const got = await client.blobContainers.get('rg-c', 'stcontainers1', 'scans');
    expect(got.publicAccess).toBe('None');

    const names: string[] = [];
    for await (const item of client.blobContainers.list('rg-c', 'stcontainers1')) names.push(item.name ?? '');
    expect(names).toEqual(['scans', 'intake', 'reports', 'archive']);
    expect(sandbox.stats().requests.byKind['containers.list']).toBe(2);

    await client.blobContainers.delete('rg-c', 'stcontainers1', 'scans');
    await expect(client.blobContainers.get('rg-c', 'stcontainers1', 'scans')).rejects.toMatchObject({
      statusCode: 404,
    });
    // deleting the account removes its containers
    await client.storageAccounts.delete('rg-c', 'stcontainers1');
    expect(sandbox.listResources()).toHaveLength(0);
  });

  it('refuses container public access when the account disallows it, as Azure does', async () => {
    await create('rg-c', 'stlocked01', { allowBlobPublicAccess: false });
    await expect(
      client.blobContainers.create('rg-c', 'stlocked01', 'public', { publicAccess: 'Blob' }),
    ).rejects.toMatchObject({ statusCode: 409, code: 'PublicAccessNotPermitted' });
  });

  it('seeds a scenario keeping absent properties absent (older accounts)', async () => {
    const id = `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-legacy/providers/Microsoft.Storage/storageAccounts/stlegacy01`;
    sandbox.seed({
      resources: [
        { id, location: 'eastus', properties: { supportsHttpsTrafficOnly: false } },
        { id: `${id}/blobServices/default/containers/old`, properties: { publicAccess: 'Blob' } },
      ],
    });
    const account = await client.storageAccounts.getProperties('rg-legacy', 'stlegacy01');
    expect(account.allowBlobPublicAccess).toBeUndefined();
    expect(account.enableHttpsTrafficOnly).toBe(false);
    const container = await client.blobContainers.get('rg-legacy', 'stlegacy01', 'old');
    expect(container.publicAccess).toBe('Blob');
  });
});
