import { KeyVaultManagementClient } from '@azure/arm-keyvault';
import { MonitorClient } from '@azure/arm-monitor';
import { OperationalInsightsManagementClient } from '@azure/arm-operationalinsights';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Sandbox, Scenario, ScenarioResource } from '../../../lib/dev/arm-sandbox/index.js';
import type { EvidenceRecord } from '../../../lib/evidence/types.js';
import type { DecisionContext } from '../../../lib/remediation/types.js';
import {
  ACCOUNT,
  ALICE,
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

async function setUp(scenario: Scenario = baseScenario()): Promise<Harness> {
  sandbox.reset();
  sandbox.seed(scenario);
  harness = await createHarness(sandbox, { connectionString: azurite.connectionString });
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
