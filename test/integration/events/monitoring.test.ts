import { KeyVaultManagementClient } from '@azure/arm-keyvault';
import { MonitorClient } from '@azure/arm-monitor';
import { OperationalInsightsManagementClient } from '@azure/arm-operationalinsights';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Sandbox, Scenario, ScenarioResource } from '../../../lib/dev/arm-sandbox/index.js';
import type { EvidenceRecord } from '../../../lib/evidence/types.js';
import { restoreRemediation } from '../../../lib/remediation/restore.js';
import type { DecisionContext } from '../../../lib/remediation/types.js';
import {
  ACCOUNT,
  ALICE,
  auditSetting,
  BOB,
  baseScenario,
  clientsFor,
  createHarness,
  type Harness,
  NSG,
  RG,
  SUB,
  startSandboxWithWebhook,
  storagePatch,
  type Webhook,
  WORKSPACE,
} from './harness.js';

/**
 * The controls beyond storage and NSGs, on the event path: a drift made through the real SDKs
 * (@azure/arm-operationalinsights, @azure/arm-monitor, @azure/arm-keyvault) as alice → the
 * sandbox's Event Grid event → the webhook → re-read from ARM → revert (LAW-RETENTION) or an
 * audit-only record (DIAG-RESOURCE-LOGS, KV-HSM-KEY-PHI), with alice as the actor.
 */

const azurite = inject('azurite');
let sandbox: Sandbox;
let webhook: Webhook;
let stopSandbox: () => Promise<void>;
let harness: Harness | null = null;

const VAULT = `${RG}/providers/Microsoft.KeyVault/vaults/kv-phi`;

beforeAll(async () => {
  ({ sandbox, webhook, stop: stopSandbox } = await startSandboxWithWebhook(() => harness));
});
afterAll(() => stopSandbox());
afterEach(() => {
  harness = null;
});

async function setUp(
  scenario: Scenario = baseScenario(),
  env: Record<string, string> = {},
): Promise<Harness> {
  sandbox.reset();
  sandbox.seed(scenario);
  harness = await createHarness(sandbox, { connectionString: azurite.connectionString, env });
  await sandbox.setWebhook({ url: webhook.url, schema: 'EventGrid', retryBaseMs: 100 });
  sandbox.resetStats();
  return harness;
}

async function settle(h: Harness): Promise<EvidenceRecord[]> {
  await sandbox.waitForEventsIdle();
  expect(h.errors).toEqual([]);
  return h.records();
}

function as(claims: Record<string, string>) {
  const credential = sandbox.credential(claims);
  const options = { ...sandbox.clientOptions() };
  return {
    insights: new OperationalInsightsManagementClient(credential, SUB, options),
    monitor: new MonitorClient(credential, SUB, options),
    keyVault: new KeyVaultManagementClient(credential, SUB, options),
  };
}

/** The base estate with a PHI vault holding the key the PHI account's encryption uses. */
function withVaultKey(kty: 'RSA' | 'RSA-HSM'): Scenario {
  const base = baseScenario();
  const resources: ScenarioResource[] = base.resources.map((resource) =>
    resource.id === ACCOUNT
      ? {
          ...resource,
          properties: {
            ...resource.properties,
            encryption: {
              keySource: 'Microsoft.Keyvault',
              keyvaultproperties: { keyname: 'phi-cmk', keyvaulturi: 'https://kv-phi.vault.azure.net/' },
            },
          },
        }
      : resource,
  );
  resources.push(
    {
      id: VAULT,
      location: 'westeurope',
      tags: { 'data-classification': 'phi' },
      properties: {
        sku: { family: 'A', name: 'premium' },
        enableSoftDelete: true,
        enablePurgeProtection: true,
        publicNetworkAccess: 'Disabled',
      },
    },
    { id: `${VAULT}/keys/phi-cmk`, properties: { kty } },
  );
  return { resources };
}

const manual: DecisionContext = {
  trigger: 'manual',
  idempotencyPrefix: 'manual:hsm-check',
  eventId: null,
  correlationId: 'manual-corr',
  actor: null,
};

describe('LAW-RETENTION on the event path', () => {
  it('a workspace set to 30 days by alice is back at 365 within seconds, alice recorded as the actor', async () => {
    const h = await setUp();
    const started = Date.now();
    await as(ALICE).insights.workspaces.update('rg-monitoring', 'law-audit', { retentionInDays: 30 });
    const records = await settle(h);
    const elapsed = Date.now() - started;

    expect(sandbox.getResource(WORKSPACE)?.properties.retentionInDays).toBe(365);
    expect(elapsed).toBeLessThan(5_000);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({
      controlId: 'LAW-RETENTION',
      outcome: 'remediated',
      trigger: 'event',
      actor: ALICE.upn,
      resourceId: WORKSPACE,
      resourceType: 'Microsoft.OperationalInsights/workspaces',
      action: 'set retentionInDays=365',
      before: { retentionInDays: 30 },
      after: { retentionInDays: 365 },
      criteria: ['CC7.2', 'CC7.3'],
    });
    // alice's PATCH and ours; ours came back as an event and the loop guard ignored it
    expect(sandbox.stats().requests.writes).toBe(2);
    expect(h.results.some((r) => r.status === 'own-write')).toBe(true);
  });

  it('restore puts the recorded retention back (an approved exception is the on-call path around it)', async () => {
    const h = await setUp();
    await sandbox.setWebhook(null);
    await as(ALICE).insights.workspaces.update('rg-monitoring', 'law-audit', { retentionInDays: 90 });
    await h.deps.engine.handleResourceId(WORKSPACE, { ...manual, idempotencyPrefix: 'manual:law' });
    expect(sandbox.getResource(WORKSPACE)?.properties.retentionInDays).toBe(365);
    await h.deps.gateway.restoreState(WORKSPACE, { retentionInDays: 90 });
    expect(sandbox.getResource(WORKSPACE)?.properties.retentionInDays).toBe(90);
  });
});

describe('DIAG-RESOURCE-LOGS on the event path', () => {
  it("alice deletes the NSG's diagnostic setting: the delete event re-evaluates the NSG and records a finding", async () => {
    const h = await setUp();
    await as(ALICE).monitor.diagnosticSettings.delete(NSG.slice(1), 'to-law-audit');
    const records = await settle(h);

    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({
      controlId: 'DIAG-RESOURCE-LOGS',
      outcome: 'audit-only',
      trigger: 'event',
      actor: ALICE.upn,
      resourceId: NSG,
      resourceType: 'Microsoft.Network/networkSecurityGroups',
    });
    expect(records[0]?.message).toMatch(/no diagnostic setting/);
    // judged, not written: the audit-only control never creates the setting back
    expect(sandbox.stats().requests.writes).toBe(1);
  });

  it('a setting pointed at a 30-day workspace fails while the workspace is short, and passes once it is fixed', async () => {
    const h = await setUp();
    const shortWorkspace = `/subscriptions/${SUB}/resourceGroups/rg-monitoring/providers/Microsoft.OperationalInsights/workspaces/law-dev`;
    const alice = as(ALICE);
    await sandbox.setWebhook(null);
    await alice.insights.workspaces.beginCreateOrUpdateAndWait(
      'rg-monitoring',
      'law-dev',
      { location: 'westeurope', retentionInDays: 30 },
      { updateIntervalInMs: 10 },
    );
    await alice.monitor.diagnosticSettings.createOrUpdate(
      `${ACCOUNT.slice(1)}/blobServices/default`,
      'to-law-audit',
      {
        workspaceId: shortWorkspace,
        // @azure/arm-monitor 7 (api 2017-05-01-preview) knows categories, not category groups
        logs: ['StorageRead', 'StorageWrite', 'StorageDelete'].map((category) => ({
          category,
          enabled: true,
        })),
      },
    );
    const first = await h.deps.engine.handleResourceId(ACCOUNT, {
      ...manual,
      idempotencyPrefix: 'manual:diag-1',
    });
    const diag = first.find((r) => r.controlId === 'DIAG-RESOURCE-LOGS');
    expect(diag?.outcome).toBe('audit-only');
    expect(diag?.message).toMatch(/law-dev keeps 30 days/);
    await alice.insights.workspaces.update('rg-monitoring', 'law-dev', { retentionInDays: 400 });
    const second = await h.deps.engine.handleResourceId(ACCOUNT, {
      ...manual,
      idempotencyPrefix: 'manual:diag-2',
    });
    expect(second.find((r) => r.controlId === 'DIAG-RESOURCE-LOGS')?.outcome).toBe('compliant');
  });
});

describe('KV-HSM-KEY-PHI across the account and the vault key', () => {
  it("fails when the PHI account's key is software-protected (RSA), on alice's write of the account", async () => {
    const h = await setUp(withVaultKey('RSA'));
    await clientsFor(sandbox, ALICE).storage.storageAccounts.update(
      'rg-portal',
      'phiportal01',
      storagePatch({ tags: { 'data-classification': 'phi', owner: 'alice' } }),
    );
    const records = await settle(h);
    const hsm = records.filter((r) => r.controlId === 'KV-HSM-KEY-PHI');
    expect(hsm).toHaveLength(1);
    expect(hsm[0]).toMatchObject({ outcome: 'audit-only', actor: ALICE.upn, resourceId: ACCOUNT });
    expect(hsm[0]?.message).toMatch(/software-protected \(kty RSA\)/);
  });

  it('passes when the key is RSA-HSM in a Premium vault', async () => {
    const h = await setUp(withVaultKey('RSA-HSM'));
    await sandbox.setWebhook(null);
    const records = await h.deps.engine.handleResourceId(ACCOUNT, manual);
    const hsm = records.find((r) => r.controlId === 'KV-HSM-KEY-PHI');
    expect(hsm?.outcome).toBe('compliant');
    expect(hsm?.message).toMatch(/HSM-backed \(RSA-HSM\)/);
    // the vault's own controls hold too: purge protection, soft delete, private network
    const vault = await h.deps.engine.handleResourceId(VAULT, {
      ...manual,
      idempotencyPrefix: 'manual:vault',
    });
    expect(Object.fromEntries(vault.map((r) => [r.controlId, r.outcome]))).toMatchObject({
      'KV-PURGE-PROTECTION': 'compliant',
      'KV-SOFT-DELETE': 'compliant',
      'KV-NETWORK-PHI': 'compliant',
    });
  });

  it('a key that does not exist in the vault fails; a vault outside the subscription leaves it unjudged', async () => {
    const scenario = withVaultKey('RSA-HSM');
    scenario.resources = scenario.resources.filter((r) => !r.id.endsWith('/keys/phi-cmk'));
    const h = await setUp(scenario);
    await sandbox.setWebhook(null);
    const missing = await h.deps.engine.handleResourceId(ACCOUNT, manual);
    expect(missing.find((r) => r.controlId === 'KV-HSM-KEY-PHI')?.message).toMatch(/does not exist/);
    const elsewhere = await setUp(baseScenario()); // the account points at a vault this subscription lacks
    await sandbox.setWebhook(null);
    const unknown = await elsewhere.deps.engine.handleResourceId(ACCOUNT, {
      ...manual,
      idempotencyPrefix: 'manual:hsm-2',
    });
    expect(unknown.find((r) => r.controlId === 'KV-HSM-KEY-PHI')).toBeUndefined(); // not applicable: nothing recorded
  });
});

/** The base estate with tables in the audit workspace (on the defaults, one archived for two years) and a second workspace. */
const APP_WORKSPACE = `/subscriptions/${SUB}/resourceGroups/rg-app/providers/Microsoft.OperationalInsights/workspaces/law-app`;
function withTables(): Scenario {
  const base = baseScenario();
  return {
    resources: [
      ...base.resources,
      { id: `${WORKSPACE}/tables/AzureDiagnostics`, properties: { plan: 'Analytics' } },
      { id: `${WORKSPACE}/tables/StorageBlobLogs`, properties: { plan: 'Analytics' } },
      {
        id: `${WORKSPACE}/tables/SigninLogs`,
        properties: { retentionInDays: 90, totalRetentionInDays: 730 },
      },
      { id: APP_WORKSPACE, location: 'westeurope', properties: { retentionInDays: 90 } },
      { id: `${APP_WORKSPACE}/tables/AppTraces`, properties: { plan: 'Analytics' } },
    ],
  };
}

describe('LAW-RETENTION: tables and audit workspace selection', () => {
  it("alice cuts a table to 30 days: the table's event re-reads its workspace and records the table, the workspace untouched", async () => {
    const h = await setUp(withTables());
    await as(ALICE).insights.tables.beginUpdateAndWait(
      'rg-monitoring',
      'law-audit',
      'StorageBlobLogs',
      { retentionInDays: 30 },
      { updateIntervalInMs: 10 },
    );
    const records = await settle(h);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({
      controlId: 'LAW-RETENTION',
      outcome: 'audit-only',
      action: 'none (no automatic remediation for this control)',
      trigger: 'event',
      actor: ALICE.upn,
      resourceId: WORKSPACE,
    });
    expect(records[0]?.message).toMatch(/StorageBlobLogs \(30 days\)/);
    expect(records[0]?.message).not.toMatch(/AzureDiagnostics|SigninLogs/);
    // one list of the workspace's tables, and only alice's write
    expect(sandbox.stats().requests.byKind['tables.list']).toBe(1);
    expect(sandbox.stats().requests.writes).toBe(1);
    expect(sandbox.getResource(WORKSPACE)?.properties.retentionInDays).toBe(365);
  });

  it('a table following the workspace is fixed by the workspace remediation, and not reported on its own', async () => {
    const h = await setUp(withTables());
    await as(ALICE).insights.workspaces.update('rg-monitoring', 'law-audit', { retentionInDays: 30 });
    const records = await settle(h);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ controlId: 'LAW-RETENTION', outcome: 'remediated' });
    expect(records[0]?.message).not.toMatch(/table/);
    const table = await as(BOB).insights.tables.get('rg-monitoring', 'law-audit', 'StorageBlobLogs');
    expect(table).toMatchObject({
      retentionInDays: 365,
      totalRetentionInDays: 365,
      retentionInDaysAsDefault: true,
    });
  });

  it('with DW_AUDIT_WORKSPACE_IDS set, another workspace cut to 30 days is not judged (and its tables not read)', async () => {
    const h = await setUp(withTables(), { DW_AUDIT_WORKSPACE_IDS: WORKSPACE });
    await as(ALICE).insights.workspaces.update('rg-app', 'law-app', { retentionInDays: 30 });
    expect(await settle(h)).toEqual([]);
    expect(sandbox.getResource(APP_WORKSPACE)?.properties.retentionInDays).toBe(30);
    expect(sandbox.stats().requests.byKind['tables.list']).toBeUndefined();
    // the selected one still is
    await as(ALICE).insights.workspaces.update('rg-monitoring', 'law-audit', { retentionInDays: 30 });
    const records = await settle(h);
    expect(records.map((r) => [r.resourceId, r.outcome])).toEqual([[WORKSPACE, 'remediated']]);
  });
});

describe('DIAG-RESOURCE-LOGS in remediate mode (DW_DIAG_WORKSPACE_ID)', () => {
  const remediate = { DW_CONTROL_MODES: 'DIAG-RESOURCE-LOGS=remediate', DW_DIAG_WORKSPACE_ID: WORKSPACE };
  const OURS = `${NSG}/providers/Microsoft.Insights/diagnosticSettings/driftwarden-soc2`;

  it("alice deletes the NSG's setting: driftwarden-soc2 is created sending the NSG's audit category, with before/after evidence", async () => {
    const h = await setUp(baseScenario(), remediate);
    await as(ALICE).monitor.diagnosticSettings.delete(NSG.slice(1), 'to-law-audit');
    const records = await settle(h);

    expect(records).toHaveLength(1);
    const record = records[0];
    expect(record).toMatchObject({
      controlId: 'DIAG-RESOURCE-LOGS',
      outcome: 'remediated',
      actor: ALICE.upn,
      resourceId: NSG,
      action: `created diagnostic setting driftwarden-soc2 on ${NSG} sending NetworkSecurityGroupEvent to workspace ${WORKSPACE}`,
      before: { scopeId: NSG, diagnosticSettings: [] },
      after: {
        scopeId: NSG,
        diagnosticSettings: [
          {
            id: OURS,
            name: 'driftwarden-soc2',
            workspaceId: WORKSPACE,
            logs: [{ category: 'NetworkSecurityGroupEvent', categoryGroup: null, enabled: true }],
          },
        ],
      },
    });
    expect(sandbox.getResource(OURS)?.properties).toMatchObject({
      workspaceId: WORKSPACE,
      logs: [expect.objectContaining({ category: 'NetworkSecurityGroupEvent', enabled: true })],
    });
    // alice's delete and our PUT; our write's event came back and the loop guard skipped it
    expect(sandbox.stats().requests.writes).toBe(2);
    expect(h.results.some((r) => r.status === 'own-write')).toBe(true);
  });

  it('restore deletes the setting driftwarden created, under an exception that keeps the NSG exempt', async () => {
    const h = await setUp(baseScenario(), remediate);
    await as(ALICE).monitor.diagnosticSettings.delete(NSG.slice(1), 'to-law-audit');
    const [remediated] = await settle(h);
    if (!remediated) throw new Error('no record');
    const result = await restoreRemediation(h.deps, remediated, {
      approver: BOB.upn,
      approverObjectId: BOB.oid,
      justification: 'NSG flow logs move to the SIEM this week',
      ticket: 'CHG-2040',
      expiresOn: new Date(Date.now() + 7 * 86_400_000).toISOString(),
    });
    if ('pending' in result) throw new Error('DIAG restores are single-step');
    expect(sandbox.getResource(OURS)).toBeUndefined();
    expect(result.exception).toMatchObject({ controlId: 'DIAG-RESOURCE-LOGS', scope: NSG });
    expect(result.record).toMatchObject({
      outcome: 'restored',
      action: `restored diagnostic setting driftwarden-soc2 to the before-state of record ${remediated.recordId}`,
      before: { diagnosticSettings: [expect.objectContaining({ name: 'driftwarden-soc2' })] },
      after: { scopeId: NSG, diagnosticSettings: [] },
    });
    // the delete's event is re-evaluated like anyone's: the NSG is now exempt, nothing recreated
    const after = await settle(h);
    expect(after.find((r) => r.outcome === 'exempted' && r.controlId === 'DIAG-RESOURCE-LOGS')).toBeDefined();
    expect(sandbox.getResource(OURS)).toBeUndefined();
  });

  it('a blob service without a setting gets one on the blob service, with the three storage categories', async () => {
    const scenario = baseScenario();
    scenario.resources = scenario.resources.filter(
      (r) => r.id !== auditSetting(`${ACCOUNT}/blobServices/default`).id,
    );
    const h = await setUp(scenario, remediate);
    await sandbox.setWebhook(null);
    const records = await h.deps.engine.handleResourceId(ACCOUNT, {
      ...manual,
      idempotencyPrefix: 'manual:diag-blob',
    });
    expect(records.find((r) => r.controlId === 'DIAG-RESOURCE-LOGS')?.outcome).toBe('remediated');
    expect(
      sandbox.getResource(
        `${ACCOUNT}/blobServices/default/providers/Microsoft.Insights/diagnosticSettings/driftwarden-soc2`,
      )?.properties.logs,
    ).toEqual(
      ['StorageRead', 'StorageWrite', 'StorageDelete'].map((category) =>
        expect.objectContaining({ category, enabled: true }),
      ),
    );
  });
});
