import { NetworkManagementClient, type SecurityRule } from '@azure/arm-network';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../../lib/dev/arm-sandbox/index.js';
import { RDP_FROM_ANY } from '../../support/rules.js';
import { SUBSCRIPTION } from './helpers.js';

const httpsFromVnet: SecurityRule = {
  protocol: 'Tcp',
  sourceAddressPrefix: 'VirtualNetwork',
  sourcePortRange: '*',
  destinationAddressPrefix: '*',
  destinationPortRanges: ['443', '8443'],
  access: 'Allow',
  priority: 200,
  direction: 'Inbound',
};

describe('ARM sandbox: network security groups and rules through @azure/arm-network', () => {
  let sandbox: Sandbox;
  let client: NetworkManagementClient;

  beforeAll(async () => {
    sandbox = await startSandbox({ pageSize: 2 });
    client = new NetworkManagementClient(sandbox.credential({ upn: 'bob@contoso.com' }), SUBSCRIPTION, {
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

  const createNsg = (name: string, rules: Array<SecurityRule & { name: string }> = []) =>
    client.networkSecurityGroups.beginCreateOrUpdateAndWait('rg-net', name, {
      location: 'westeurope',
      tags: { app: 'telehealth' },
      securityRules: rules,
    });

  it('creates an NSG as an LRO with embedded rules and the six default rules', async () => {
    const nsg = await createNsg('nsg-web', [{ name: 'allow-rdp', ...RDP_FROM_ANY }]);
    expect(nsg.provisioningState).toBe('Succeeded');
    expect(nsg.etag).toMatch(/^W\/"/);
    expect(nsg.securityRules?.map((r) => r.name)).toEqual(['allow-rdp']);
    expect(nsg.securityRules?.[0]?.id).toBe(`${nsg.id}/securityRules/allow-rdp`);
    expect(nsg.defaultSecurityRules?.map((r) => r.name)).toEqual([
      'AllowVnetInBound',
      'AllowAzureLoadBalancerInBound',
      'DenyAllInBound',
      'AllowVnetOutBound',
      'AllowInternetOutBound',
      'DenyAllOutBound',
    ]);
    // the PUT answered with Azure-AsyncOperation and the SDK polled it, then re-read the NSG
    const kinds = sandbox.stats().requests.byKind;
    expect(kinds['networkSecurityGroups.put']).toBe(1);
    expect(kinds['operations.get']).toBeGreaterThanOrEqual(1);
    expect(kinds['networkSecurityGroups.get']).toBe(1);

    const rule = await client.securityRules.get('rg-net', 'nsg-web', 'allow-rdp');
    expect(rule).toMatchObject({
      name: 'allow-rdp',
      destinationPortRange: '3389',
      sourceAddressPrefixes: [],
    });
    expect(rule.etag).toBe(nsg.securityRules?.[0]?.etag);
    const defaults: string[] = [];
    for await (const d of client.defaultSecurityRules.list('rg-net', 'nsg-web')) defaults.push(d.name ?? '');
    expect(defaults).toHaveLength(6);
  });

  it('creates, updates and deletes security rules as LROs, keeping the NSG consistent', async () => {
    await createNsg('nsg-app');
    const created = await client.securityRules.beginCreateOrUpdateAndWait(
      'rg-net',
      'nsg-app',
      'allow-https',
      httpsFromVnet,
    );
    expect(created.provisioningState).toBe('Succeeded');
    expect(created.destinationPortRanges).toEqual(['443', '8443']);
    const second = await client.securityRules.beginCreateOrUpdateAndWait(
      'rg-net',
      'nsg-app',
      'allow-rdp',
      RDP_FROM_ANY,
    );

    const updated = await client.securityRules.beginCreateOrUpdateAndWait('rg-net', 'nsg-app', 'allow-rdp', {
      ...RDP_FROM_ANY,
      access: 'Deny',
    });
    expect(updated.access).toBe('Deny');
    expect(updated.etag).not.toBe(second.etag);

    let nsg = await client.networkSecurityGroups.get('rg-net', 'nsg-app');
    // as in Azure, every rule carries the NSG's ETag: changing allow-rdp changed allow-https's too
    expect(nsg.securityRules?.map((r) => [r.name, r.access, r.etag])).toEqual([
      ['allow-https', 'Allow', updated.etag],
      ['allow-rdp', 'Deny', updated.etag],
    ]);
    expect(nsg.etag).toBe(updated.etag);
    expect(created.etag).not.toBe(updated.etag);

    const listed: string[] = [];
    for await (const rule of client.securityRules.list('rg-net', 'nsg-app')) listed.push(rule.name ?? '');
    expect(listed).toEqual(['allow-https', 'allow-rdp']);

    await client.securityRules.beginDeleteAndWait('rg-net', 'nsg-app', 'allow-rdp');
    nsg = await client.networkSecurityGroups.get('rg-net', 'nsg-app');
    expect(nsg.securityRules?.map((r) => r.name)).toEqual(['allow-https']);
    await expect(client.securityRules.get('rg-net', 'nsg-app', 'allow-rdp')).rejects.toMatchObject({
      statusCode: 404,
    });
    expect(sandbox.getResource(`${nsg.id}/securityRules/allow-https`)).toMatchObject({ etag: nsg.etag });
    expect(nsg.etag).not.toBe(updated.etag);
  });

  it('returns 412 for a write with a stale If-Match ETag and accepts the current one', async () => {
    await createNsg('nsg-etag', [{ name: 'allow-rdp', ...RDP_FROM_ANY }]);
    const before = await client.securityRules.get('rg-net', 'nsg-etag', 'allow-rdp');
    // someone else changes the rule
    await client.securityRules.beginCreateOrUpdateAndWait('rg-net', 'nsg-etag', 'allow-rdp', {
      ...RDP_FROM_ANY,
      priority: 110,
    });

    await expect(
      client.securityRules.beginCreateOrUpdateAndWait(
        'rg-net',
        'nsg-etag',
        'allow-rdp',
        { ...RDP_FROM_ANY, access: 'Deny' },
        { requestOptions: { customHeaders: { 'If-Match': before.etag ?? '' } } },
      ),
    ).rejects.toMatchObject({ statusCode: 412, code: 'PreconditionFailed' });

    const current = await client.securityRules.get('rg-net', 'nsg-etag', 'allow-rdp');
    const reverted = await client.securityRules.beginCreateOrUpdateAndWait(
      'rg-net',
      'nsg-etag',
      'allow-rdp',
      { ...current, access: 'Deny' },
      { requestOptions: { customHeaders: { 'If-Match': current.etag ?? '' } } },
    );
    expect(reverted.access).toBe('Deny');
  });

  it('validates rules like Azure: priority range, per-direction uniqueness, required fields', async () => {
    await createNsg('nsg-validate', [{ name: 'allow-rdp', ...RDP_FROM_ANY }]);
    const put = (name: string, rule: SecurityRule) =>
      client.securityRules.beginCreateOrUpdateAndWait('rg-net', 'nsg-validate', name, rule);
    await expect(put('low', { ...httpsFromVnet, priority: 99 })).rejects.toMatchObject({
      statusCode: 400,
      code: 'SecurityRuleInvalidPriority',
    });
    await expect(put('high', { ...httpsFromVnet, priority: 4097 })).rejects.toMatchObject({
      code: 'SecurityRuleInvalidPriority',
    });
    await expect(put('clash', { ...httpsFromVnet, priority: 100 })).rejects.toMatchObject({
      statusCode: 400,
      code: 'SecurityRuleConflict',
    });
    // same priority in the other direction is fine
    await expect(
      put('outbound', { ...httpsFromVnet, priority: 100, direction: 'Outbound' }),
    ).resolves.toMatchObject({
      provisioningState: 'Succeeded',
    });
    const { sourceAddressPrefix: _omitted, ...noSource } = httpsFromVnet;
    await expect(put('nosource', noSource)).rejects.toMatchObject({
      code: 'SecurityRuleInvalidAddressPrefix',
    });
    await expect(
      put('badport', { ...httpsFromVnet, destinationPortRanges: ['70000'] }),
    ).rejects.toMatchObject({
      code: 'SecurityRuleInvalidPortRange',
    });
    await expect(put('noproto', { ...httpsFromVnet, protocol: undefined })).rejects.toMatchObject({
      code: 'SecurityRuleInvalidProtocol',
    });
    const nsg = await client.networkSecurityGroups.get('rg-net', 'nsg-validate');
    expect(nsg.securityRules?.map((r) => r.name)).toEqual(['allow-rdp', 'outbound']);
  });

  it('lists NSGs by subscription and resource group across pages and deletes them as LROs', async () => {
    for (let i = 0; i < 3; i++) await createNsg(`nsg-${i}`);
    await client.networkSecurityGroups.beginCreateOrUpdateAndWait('rg-other', 'nsg-x', {
      location: 'westeurope',
    });
    const all: string[] = [];
    for await (const nsg of client.networkSecurityGroups.listAll()) all.push(nsg.name ?? '');
    expect(all).toEqual(['nsg-0', 'nsg-1', 'nsg-2', 'nsg-x']);
    expect(sandbox.stats().requests.byKind['networkSecurityGroups.list']).toBe(2);
    const inGroup: string[] = [];
    for await (const nsg of client.networkSecurityGroups.list('rg-net')) inGroup.push(nsg.name ?? '');
    expect(inGroup).toEqual(['nsg-0', 'nsg-1', 'nsg-2']);

    await client.networkSecurityGroups.beginDeleteAndWait('rg-net', 'nsg-1');
    await expect(client.networkSecurityGroups.get('rg-net', 'nsg-1')).rejects.toMatchObject({
      statusCode: 404,
    });
    expect(sandbox.listResources().map((r) => r.name)).toEqual(['nsg-0', 'nsg-2', 'nsg-x']);
  });

  it('a PUT of the whole NSG replaces its rules and gives every rule the NSG’s new ETag', async () => {
    const first = await createNsg('nsg-replace', [
      { name: 'allow-rdp', ...RDP_FROM_ANY },
      { name: 'allow-https', ...httpsFromVnet },
    ]);
    const second = await createNsg('nsg-replace', [{ name: 'allow-https', ...httpsFromVnet }]);
    expect(second.securityRules?.map((r) => r.name)).toEqual(['allow-https']);
    expect(second.securityRules?.[0]?.etag).toBe(second.etag);
    expect(first.securityRules?.map((r) => r.etag)).toEqual([first.etag, first.etag]);
    expect(second.etag).not.toBe(first.etag);
  });

  it('keeps operations InProgress for lroDurationMs and the SDK waits for Succeeded', async () => {
    const slow = await startSandbox({ lroDurationMs: 300 });
    try {
      const slowClient = new NetworkManagementClient(slow.credential(), SUBSCRIPTION, {
        ...slow.clientOptions(),
      });
      const poller = await slowClient.networkSecurityGroups.beginCreateOrUpdate('rg', 'nsg-slow', {
        location: 'eastus',
      });
      expect(poller.getOperationState().status).toBe('running');
      const during = await slowClient.networkSecurityGroups.get('rg', 'nsg-slow');
      expect(during.provisioningState).toBe('Updating');
      const done = await poller.pollUntilDone();
      expect(done.provisioningState).toBe('Succeeded');
    } finally {
      await slow.stop();
    }
  });
});
