/**
 * The places where the sandbox behaves as real ARM does and driftwarden's correctness depends on
 * it (issue 15, "Sandbox fidelity" 1–7): shared NSG ETags, a busy NSG refusing writes, no If-Match
 * on containers, the -global- rate-limit headers, data-plane container changes without events,
 * events before an operation completes, ARM's error codes, and seeding from real exports.
 */
import { NetworkManagementClient } from '@azure/arm-network';
import { StorageManagementClient } from '@azure/arm-storage';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox, unsignedJwt } from '../../../lib/dev/arm-sandbox/index.js';
import { RDP_FROM_ANY } from '../../support/rules.js';
import { rawRequest, SUBSCRIPTION } from './helpers.js';

const RG = `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-fid`;
const NSG = `${RG}/providers/Microsoft.Network/networkSecurityGroups/nsg-fid`;
const ACCOUNT = `${RG}/providers/Microsoft.Storage/storageAccounts/stfid01`;
const CONTAINER = `${ACCOUNT}/blobServices/default/containers/scans`;
const NET_API = 'api-version=2025-05-01';
const STORAGE_API = 'api-version=2025-08-01';
const auth = { authorization: `Bearer ${unsignedJwt({ upn: 'carol@contoso.com' })}` };

const rule = (priority: number, port: string) => ({
  protocol: 'Tcp',
  sourceAddressPrefix: '10.0.0.0/8',
  sourcePortRange: '*',
  destinationAddressPrefix: '*',
  destinationPortRange: port,
  access: 'Allow',
  priority,
  direction: 'Inbound',
});

function seedEstate(sandbox: Sandbox, allowBlobPublicAccess = true): void {
  sandbox.seed({
    resources: [
      {
        id: ACCOUNT,
        location: 'westeurope',
        kind: 'StorageV2',
        sku: { name: 'Standard_LRS' },
        properties: { allowBlobPublicAccess, minimumTlsVersion: 'TLS1_2' },
      },
      { id: CONTAINER, properties: { publicAccess: 'None' } },
      {
        id: NSG,
        location: 'westeurope',
        properties: {
          securityRules: [
            { name: 'a', properties: rule(200, '443') },
            { name: 'b', properties: rule(210, '8443') },
          ],
        },
      },
    ],
  });
}

describe('ARM sandbox fidelity (as real ARM behaves)', () => {
  let sandbox: Sandbox;
  let network: NetworkManagementClient;
  let storage: StorageManagementClient;

  beforeAll(async () => {
    sandbox = await startSandbox();
    network = new NetworkManagementClient(sandbox.credential(), SUBSCRIPTION, { ...sandbox.clientOptions() });
    storage = new StorageManagementClient(sandbox.credential(), SUBSCRIPTION, { ...sandbox.clientOptions() });
  });
  afterAll(async () => {
    await sandbox.stop();
  });
  beforeEach(() => {
    sandbox.reset();
    sandbox.setThrottle(false);
    seedEstate(sandbox);
  });

  it('1. every rule carries the NSG ETag; a change to one rule changes every sibling’s, and If-Match compares against it', async () => {
    const before = await network.networkSecurityGroups.get('rg-fid', 'nsg-fid');
    expect(before.securityRules?.map((r) => r.etag)).toEqual([before.etag, before.etag]);
    const b = await network.securityRules.get('rg-fid', 'nsg-fid', 'b');
    expect(b.etag).toBe(before.etag);

    await network.securityRules.beginCreateOrUpdateAndWait('rg-fid', 'nsg-fid', 'a', rule(200, '444'));
    const after = await network.networkSecurityGroups.get('rg-fid', 'nsg-fid');
    expect(after.etag).not.toBe(before.etag);
    expect(after.securityRules?.map((r) => r.etag)).toEqual([after.etag, after.etag]);
    expect(after.defaultSecurityRules?.every((r) => r.etag === after.etag)).toBe(true);

    // b itself did not change, yet its ETag from before the sibling edit is stale now
    await expect(
      network.securityRules.beginCreateOrUpdateAndWait('rg-fid', 'nsg-fid', 'b', rule(210, '9443'), {
        requestOptions: { customHeaders: { 'If-Match': b.etag ?? '' } },
      }),
    ).rejects.toMatchObject({ statusCode: 412 });
    const accepted = await network.securityRules.beginCreateOrUpdateAndWait(
      'rg-fid',
      'nsg-fid',
      'b',
      rule(210, '9443'),
      { requestOptions: { customHeaders: { 'If-Match': after.etag ?? '' } } },
    );
    expect(accepted.destinationPortRange).toBe('9443');
  });

  it('2. while an operation holds the NSG, other writes to it or its rules answer 429 RetryableError with details and Retry-After', async () => {
    const slow = await startSandbox({ lroDurationMs: 600 });
    try {
      seedEstate(slow);
      const client = new NetworkManagementClient(slow.credential(), SUBSCRIPTION, {
        ...slow.clientOptions(),
      });
      const poller = await client.securityRules.beginCreateOrUpdate(
        'rg-fid',
        'nsg-fid',
        'a',
        rule(200, '444'),
      );
      const ruleUrl = `${slow.url}${NSG}/securityRules/b?${NET_API}`;
      const refused = await rawRequest(ruleUrl, slow.caCertPem, {
        method: 'PUT',
        headers: auth,
        body: { properties: rule(210, '9443') },
      });
      expect(refused.status).toBe(429);
      expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(refused.body).toMatchObject({
        error: {
          code: 'RetryableError',
          details: [
            {
              code: 'RetryableErrorDueToAnotherOperation',
              message: expect.stringMatching(
                /^Operation PutSecurityRuleOperation \(.+\) is updating resource /,
              ),
            },
          ],
        },
      });
      // the NSG itself (tags PATCH, whole PUT) and rule deletes are refused too
      const patch = await rawRequest(`${slow.url}${NSG}?${NET_API}`, slow.caCertPem, {
        method: 'PATCH',
        headers: auth,
        body: { tags: { x: '1' } },
      });
      expect(patch.status).toBe(429);
      const del = await rawRequest(ruleUrl, slow.caCertPem, { method: 'DELETE', headers: auth });
      expect(del.status).toBe(429);
      // reads are served meanwhile, showing the operation running
      expect((await client.securityRules.get('rg-fid', 'nsg-fid', 'a')).provisioningState).toBe('Updating');

      await poller.pollUntilDone();
      const retried = await rawRequest(ruleUrl, slow.caCertPem, {
        method: 'PUT',
        headers: auth,
        body: { properties: rule(210, '9443') },
      });
      expect(retried.status).toBe(200);
      // the SDK's own retry policy honours the 429's Retry-After and gets through once it is over
      await client.securityRules.beginCreateOrUpdate('rg-fid', 'nsg-fid', 'a', rule(200, '445'));
      const b = await client.securityRules.beginCreateOrUpdateAndWait(
        'rg-fid',
        'nsg-fid',
        'b',
        rule(210, '9444'),
      );
      expect(b.destinationPortRange).toBe('9444');
    } finally {
      await slow.stop();
    }
  });

  it('2b. the injected 409 AnotherOperationInProgress carries details like ARM', async () => {
    sandbox.setFaults({ rate: 1, kinds: ['409'] });
    try {
      const response = await rawRequest(`${sandbox.url}${NSG}?${NET_API}`, sandbox.caCertPem, {
        headers: auth,
      });
      expect(response.status).toBe(409);
      expect(response.body).toMatchObject({
        error: { code: 'AnotherOperationInProgress', details: [{ code: 'AnotherOperationInProgress' }] },
      });
    } finally {
      sandbox.setFaults(undefined);
    }
  });

  it('3. container create/update ignore If-Match (the storage spec declares none)', async () => {
    const url = `${sandbox.url}${CONTAINER}?${STORAGE_API}`;
    const patched = await rawRequest(url, sandbox.caCertPem, {
      method: 'PATCH',
      headers: { ...auth, 'if-match': '"0x8DSTALE"' },
      body: { properties: { publicAccess: 'Blob' } },
    });
    expect(patched.status).toBe(200);
    const created = await rawRequest(
      `${sandbox.url}${ACCOUNT}/blobServices/default/containers/new?${STORAGE_API}`,
      sandbox.caCertPem,
      {
        method: 'PUT',
        headers: { ...auth, 'if-match': '"0x8DSTALE"' },
        body: { properties: {} },
      },
    );
    expect(created.status).toBe(201);
    expect((await storage.blobContainers.get('rg-fid', 'stfid01', 'scans')).publicAccess).toBe('Blob');
  });

  it('4. reports the caller’s and the global subscription buckets on reads and writes', async () => {
    sandbox.setThrottle({ reads: { burst: 10, perSecond: 1 }, writes: { burst: 4, perSecond: 1 } });
    const read = await rawRequest(`${sandbox.url}${NSG}?${NET_API}`, sandbox.caCertPem, { headers: auth });
    expect(read.headers['x-ms-ratelimit-remaining-subscription-reads']).toBe('9');
    expect(read.headers['x-ms-ratelimit-remaining-subscription-global-reads']).toBe('149');
    // another caller has its own bucket but shares the global one
    const other = { authorization: `Bearer ${unsignedJwt({ upn: 'dave@contoso.com' })}` };
    const second = await rawRequest(`${sandbox.url}${NSG}?${NET_API}`, sandbox.caCertPem, { headers: other });
    expect(second.headers['x-ms-ratelimit-remaining-subscription-reads']).toBe('9');
    expect(second.headers['x-ms-ratelimit-remaining-subscription-global-reads']).toBe('148');
    const write = await rawRequest(`${sandbox.url}${CONTAINER}?${STORAGE_API}`, sandbox.caCertPem, {
      method: 'PATCH',
      headers: auth,
      body: { properties: { publicAccess: 'None' } },
    });
    expect(write.headers['x-ms-ratelimit-remaining-subscription-writes']).toBe('3');
    expect(write.headers['x-ms-ratelimit-remaining-subscription-global-writes']).toBe('59');
  });

  it('5. a data-plane public-access change alters the container without any ARM event; refused when the account disallows it', async () => {
    const etag = (await storage.blobContainers.get('rg-fid', 'stfid01', 'scans')).etag;
    const emitted = sandbox.emittedEvents().length;
    const changed = sandbox.setContainerAccessFromDataPlane(CONTAINER, 'Container');
    expect(changed.properties.publicAccess).toBe('Container');
    const read = await storage.blobContainers.get('rg-fid', 'stfid01', 'scans');
    expect(read.publicAccess).toBe('Container');
    expect(read.etag).not.toBe(etag);
    expect(sandbox.emittedEvents()).toHaveLength(emitted);

    // through the admin API too (a sandbox in another process)
    const viaAdmin = await rawRequest(
      `${sandbox.url}/_sandbox/dataplane/container-access`,
      sandbox.caCertPem,
      {
        method: 'PUT',
        body: { id: CONTAINER, publicAccess: 'None' },
      },
    );
    expect(viaAdmin.status).toBe(200);
    expect(sandbox.getResource(CONTAINER)?.properties.publicAccess).toBe('None');

    await storage.storageAccounts.update('rg-fid', 'stfid01', {
      allowBlobPublicAccess: false,
      AllowBlobPublicAccess: null,
    } as Parameters<StorageManagementClient['storageAccounts']['update']>[2]);
    expect(() => sandbox.setContainerAccessFromDataPlane(CONTAINER, 'Blob')).toThrow(/not permitted/);
    const refused = await rawRequest(
      `${sandbox.url}/_sandbox/dataplane/container-access`,
      sandbox.caCertPem,
      {
        method: 'PUT',
        body: { id: CONTAINER, publicAccess: 'Blob' },
      },
    );
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ error: { code: 'PublicAccessNotPermitted' } });
  });

  it('6. with eventTiming "accept", the event is out while a re-read still shows Updating', async () => {
    const early = await startSandbox({ lroDurationMs: 500, eventTiming: 'accept' });
    try {
      seedEstate(early);
      const client = new NetworkManagementClient(early.credential(), SUBSCRIPTION, {
        ...early.clientOptions(),
      });
      const poller = await client.securityRules.beginCreateOrUpdate('rg-fid', 'nsg-fid', 'rdp', RDP_FROM_ANY);
      expect(early.emittedEvents()).toHaveLength(1);
      expect(JSON.stringify(early.emittedEvents()[0])).toContain('/securityRules/rdp');
      expect((await client.securityRules.get('rg-fid', 'nsg-fid', 'rdp')).provisioningState).toBe('Updating');
      await poller.pollUntilDone();
      expect((await client.securityRules.get('rg-fid', 'nsg-fid', 'rdp')).provisioningState).toBe(
        'Succeeded',
      );
      expect(early.emittedEvents()).toHaveLength(1); // not again at completion
    } finally {
      await early.stop();
    }
  });

  it('7. ARM’s error codes: ResourceGroupNotFound, ParentResourceNotFound, the network RP’s NotFound for a rule', async () => {
    await expect(network.networkSecurityGroups.get('rg-nowhere', 'nsg-fid')).rejects.toMatchObject({
      statusCode: 404,
      code: 'ResourceGroupNotFound',
    });
    await expect(network.networkSecurityGroups.get('rg-fid', 'nsg-none')).rejects.toMatchObject({
      statusCode: 404,
      code: 'ResourceNotFound',
    });
    await expect(network.securityRules.get('rg-fid', 'nsg-none', 'a')).rejects.toMatchObject({
      statusCode: 404,
      code: 'ParentResourceNotFound',
    });
    await expect(network.securityRules.get('rg-fid', 'nsg-fid', 'zz')).rejects.toMatchObject({
      statusCode: 404,
      code: 'NotFound',
    });
    await expect(storage.storageAccounts.getProperties('rg-nowhere', 'stfid01')).rejects.toMatchObject({
      statusCode: 404,
      code: 'ResourceGroupNotFound',
    });
    // a group outlives its last resource, as in ARM
    await network.networkSecurityGroups.beginDeleteAndWait('rg-fid', 'nsg-fid');
    await storage.storageAccounts.delete('rg-fid', 'stfid01');
    await expect(network.networkSecurityGroups.get('rg-fid', 'nsg-fid')).rejects.toMatchObject({
      code: 'ResourceNotFound',
    });
  });

  it('7b. seeding from an export keeps subnets, networkInterfaces, flowLogs and empty-string prefixes; a PUT keeps the associations', async () => {
    const subnet = `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-fid/providers/Microsoft.Network/virtualNetworks/vnet/subnets/app`;
    const nic = `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-fid/providers/Microsoft.Network/networkInterfaces/vm1-nic`;
    const flowLog = `/subscriptions/${SUBSCRIPTION}/resourceGroups/NetworkWatcherRG/providers/Microsoft.Network/networkWatchers/nw/flowLogs/fl`;
    const exported = `${RG}/providers/Microsoft.Network/networkSecurityGroups/nsg-exported`;
    sandbox.seed({
      resources: [
        {
          id: exported,
          location: 'westeurope',
          properties: {
            subnets: [{ id: subnet }],
            networkInterfaces: [{ id: nic }],
            flowLogs: [{ id: flowLog }],
            securityRules: [
              {
                name: 'partner',
                properties: {
                  ...rule(300, '8443'),
                  sourceAddressPrefix: '',
                  sourceAddressPrefixes: ['10.20.0.0/16', '0.0.0.0/0'],
                },
              },
            ],
          },
        },
      ],
    });
    const nsg = await network.networkSecurityGroups.get('rg-fid', 'nsg-exported');
    expect(nsg.subnets?.map((s) => s.id)).toEqual([subnet]);
    expect(nsg.networkInterfaces?.map((n) => n.id)).toEqual([nic]);
    expect(nsg.flowLogs?.map((f) => f.id)).toEqual([flowLog]);
    expect(nsg.securityRules?.[0]).toMatchObject({
      sourceAddressPrefix: '',
      sourceAddressPrefixes: ['10.20.0.0/16', '0.0.0.0/0'],
    });
    // associations are read-only: a whole-NSG PUT without them keeps them
    const put = await network.networkSecurityGroups.beginCreateOrUpdateAndWait('rg-fid', 'nsg-exported', {
      location: 'westeurope',
      securityRules: [],
    });
    expect(put.subnets?.map((s) => s.id)).toEqual([subnet]);
    expect(put.flowLogs?.map((f) => f.id)).toEqual([flowLog]);
  });
});
