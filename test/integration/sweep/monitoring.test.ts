import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Scenario, ScenarioResource } from '../../../lib/dev/arm-sandbox/index.js';
import { runSweep } from '../../../lib/sweep/run.js';
import type { SweepResult } from '../../../lib/sweep/types.js';
import { accountId, auditSettingOf, type Harness, nsgIdOf, rg, startHarness } from './harness.js';

/**
 * The sweep covers workspaces, vaults (and the keys PHI accounts use) and diagnostic settings:
 * it lists them (paged), remediates LAW-RETENTION, reports the audit-only controls, and judges
 * DIAG-RESOURCE-LOGS against workspaces at the retention this very sweep left them at.
 */

const SUB = 'bbbbbbbb-0000-4000-8000-000000000001';
const workspaceId = (name: string) => `${rg(SUB)}/providers/Microsoft.OperationalInsights/workspaces/${name}`;
const vaultId = (name: string) => `${rg(SUB)}/providers/Microsoft.KeyVault/vaults/${name}`;
const SECURE = { allowBlobPublicAccess: false, supportsHttpsTrafficOnly: true, minimumTlsVersion: 'TLS1_2' };

function setting(scope: string, workspace: string): ScenarioResource {
  return {
    id: `${scope}/providers/Microsoft.Insights/diagnosticSettings/to-${workspace.split('/').at(-1)}`,
    properties: { workspaceId: workspace, logs: [{ categoryGroup: 'audit', enabled: true }] },
  };
}

function estate(): Scenario {
  const phi = { 'data-classification': 'phi' };
  const cmk = (vault: string, key: string) => ({
    ...SECURE,
    publicNetworkAccess: 'Disabled',
    encryption: {
      keySource: 'Microsoft.Keyvault',
      keyvaultproperties: { keyname: key, keyvaulturi: `https://${vault}.vault.azure.net/` },
    },
  });
  const resources: ScenarioResource[] = [
    { id: workspaceId('law-audit'), location: 'eastus', properties: { retentionInDays: 365 } },
    // drifted to the default: the sweep sets it back to 365
    { id: workspaceId('law-ops'), location: 'eastus', properties: { retentionInDays: 30 } },
    // tables: law-audit's follow the workspace; law-ops has one kept 60 days by its own setting
    { id: `${workspaceId('law-audit')}/tables/AzureDiagnostics`, properties: {} },
    { id: `${workspaceId('law-ops')}/tables/AzureDiagnostics`, properties: {} },
    {
      id: `${workspaceId('law-ops')}/tables/OpsAudit_CL`,
      properties: { retentionInDays: 30, totalRetentionInDays: 60 },
    },
    {
      id: vaultId('kv-phi'),
      location: 'eastus',
      tags: phi,
      properties: {
        sku: { family: 'A', name: 'premium' },
        enableSoftDelete: true,
        enablePurgeProtection: true,
        publicNetworkAccess: 'Disabled',
      },
    },
    { id: `${vaultId('kv-phi')}/keys/cmk-hsm`, properties: { kty: 'RSA-HSM' } },
    { id: `${vaultId('kv-phi')}/keys/cmk-soft`, properties: { kty: 'RSA' } },
    // no purge protection, soft delete off, PHI and open to every network: three audit findings
    { id: vaultId('kv-legacy'), location: 'eastus', tags: phi, properties: { enableSoftDelete: false } },
    {
      id: accountId(SUB, 'stphihsm'),
      location: 'eastus',
      kind: 'StorageV2',
      sku: { name: 'Standard_LRS' },
      tags: phi,
      properties: cmk('kv-phi', 'cmk-hsm'),
    },
    {
      id: accountId(SUB, 'stphisoft'),
      location: 'eastus',
      kind: 'StorageV2',
      sku: { name: 'Standard_LRS' },
      tags: phi,
      properties: cmk('kv-phi', 'cmk-soft'),
    },
    { id: nsgIdOf(SUB, 'nsg-logged'), location: 'eastus', properties: { securityRules: [] } },
    // no diagnostic setting at all
    { id: nsgIdOf(SUB, 'nsg-dark'), location: 'eastus', properties: { securityRules: [] } },
    setting(`${accountId(SUB, 'stphihsm')}/blobServices/default`, workspaceId('law-audit')),
    // sends to the 30-day workspace: compliant once the sweep has fixed that workspace
    setting(`${accountId(SUB, 'stphisoft')}/blobServices/default`, workspaceId('law-ops')),
    setting(vaultId('kv-phi'), workspaceId('law-audit')),
    setting(vaultId('kv-legacy'), workspaceId('law-audit')),
    {
      ...auditSettingOf(nsgIdOf(SUB, 'nsg-logged'), 'allLogs'),
      properties: {
        workspaceId: workspaceId('law-audit'),
        logs: [{ categoryGroup: 'allLogs', enabled: true }],
      },
    },
  ];
  return { resources };
}

describe('monthly sweep over workspaces, vaults, keys and diagnostic settings', () => {
  let harness: Harness;
  let result: SweepResult;
  let reads: Record<string, number>;

  beforeAll(async () => {
    // page size 1: every paged list (vaults, keys, accounts, NSGs) needs nextLink
    harness = await startHarness({ subscriptions: [SUB], scenario: estate(), sandbox: { pageSize: 1 } });
    harness.sandbox.resetStats();
    result = await runSweep({ subscriptions: [SUB], sweepId: '2026-12', deps: harness.runtime });
    reads = harness.sandbox.stats().requests.byKind;
    console.log('sweep ARM requests by kind:', JSON.stringify(reads));
  });
  afterAll(async () => harness?.stop());

  it('lists and decides every new type', () => {
    expect(result.subscriptions[0]).toMatchObject({ status: 'ok', errors: [] });
    // 2 workspaces + 2 vaults + 2 accounts + 2 NSGs (keys and settings are looked up, not decided)
    expect(result.subscriptions[0]?.resources).toBe(8);
    const outcome = (control: string) => result.byControl[control as keyof typeof result.byControl];
    expect(outcome('LAW-RETENTION')).toMatchObject({ remediated: 1, pass: 1 });
    expect(outcome('KV-PURGE-PROTECTION')).toMatchObject({ audit: 1, pass: 1 });
    expect(outcome('KV-SOFT-DELETE')).toMatchObject({ audit: 1, pass: 1 });
    expect(outcome('KV-NETWORK-PHI')).toMatchObject({ audit: 1, pass: 1 });
    expect(outcome('KV-HSM-KEY-PHI')).toMatchObject({ audit: 1, pass: 1 });
    // nsg-dark fails; stphisoft passes because law-ops was remediated first in this sweep
    expect(outcome('DIAG-RESOURCE-LOGS')).toMatchObject({ audit: 1, pass: 5 });
    const dark = result.subscriptions[0]?.items.find((i) => i.controlId === 'DIAG-RESOURCE-LOGS');
    expect(dark?.resourceId).toBe(nsgIdOf(SUB, 'nsg-dark'));
    const soft = result.subscriptions[0]?.items.find((i) => i.controlId === 'KV-HSM-KEY-PHI');
    expect(soft?.resourceId).toBe(accountId(SUB, 'stphisoft'));
    expect(harness.sandbox.getResource(workspaceId('law-ops'))?.properties.retentionInDays).toBe(365);
    // the workspace is remediated; its short table is named in the record, and left as it is
    const ops = result.subscriptions[0]?.items.find((i) => i.controlId === 'LAW-RETENTION');
    expect(ops).toMatchObject({ resourceId: workspaceId('law-ops'), outcome: 'remediated' });
    expect(ops?.message).toMatch(/OpsAudit_CL \(60 days\)/);
    expect(ops?.message).not.toMatch(/AzureDiagnostics/);
  });

  it('reads ARM through list pages; diagnostic settings are one list per judged resource, keys one list per CMK vault', () => {
    expect(reads['workspaces.list']).toBe(1); // Workspaces_List: one response
    expect(reads['vaults.list']).toBeGreaterThan(1); // nextLink followed
    expect(reads['keys.list']).toBe(2); // kv-phi only (two pages of one key), once for both accounts
    // 2 accounts (blob service) + 2 vaults + 2 NSGs
    expect(reads['diagnosticSettings.list']).toBe(6);
    for (const perResourceGet of ['workspaces.get', 'vaults.get', 'keys.get', 'diagnosticSettings.get'])
      expect(reads[perResourceGet] ?? 0, perResourceGet).toBe(0);
    expect(reads['workspaces.patch']).toBe(1);
    expect(reads['tables.list']).toBe(2); // one per (audit) workspace: Tables_ListByWorkspace has no nextLink
    expect(reads['tables.get'] ?? 0).toBe(0);
  });
});
