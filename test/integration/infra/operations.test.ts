import { KeyVaultManagementClient } from '@azure/arm-keyvault';
import { MonitorClient } from '@azure/arm-monitor';
import { OperationalInsightsManagementClient } from '@azure/arm-operationalinsights';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { HANDLED_OPERATIONS } from '../../../lib/azure/operations.js';
import type { Sandbox, SandboxEvent } from '../../../lib/dev/arm-sandbox/index.js';
import { parseResourceChange } from '../../../lib/events/parse.js';
import {
  ACCOUNT,
  ALICE,
  BOB,
  baseScenario,
  CONTAINER,
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
} from '../events/harness.js';

/**
 * HANDLED_OPERATIONS (and so the Event Grid filter in infra/, which test/unit/infra keeps equal
 * to it) against the two other places that know operation names: the event router must route
 * every handled operation to the resource it names, and every operation ARM emits for our four
 * resource kinds (the sandbox emits what Azure does) must be handled — writes and deletes.
 */

const RULE = `${NSG}/securityRules/allow-rdp`;
const VAULT = `${RG}/providers/Microsoft.KeyVault/vaults/kv-ops`;
const SETTING = `${NSG}/providers/Microsoft.Insights/diagnosticSettings/to-law-audit`;
const SUBJECT: Record<string, { id: string; target: string }> = {
  'microsoft.operationalinsights/workspaces': { id: WORKSPACE, target: 'logAnalyticsWorkspace' },
  'microsoft.operationalinsights/workspaces/tables': {
    id: `${WORKSPACE}/tables/AuditLogs_CL`,
    target: 'logAnalyticsTable',
  },
  'microsoft.keyvault/vaults': { id: VAULT, target: 'keyVault' },
  'microsoft.keyvault/vaults/keys': { id: `${VAULT}/keys/cmk`, target: 'keyVaultKey' },
  'microsoft.insights/diagnosticsettings': { id: SETTING, target: 'diagnosticSetting' },
  'microsoft.storage/storageaccounts': { id: ACCOUNT, target: 'storageAccount' },
  'microsoft.storage/storageaccounts/blobservices/containers': { id: CONTAINER, target: 'blobContainer' },
  'microsoft.network/networksecuritygroups': { id: NSG, target: 'networkSecurityGroup' },
  'microsoft.network/networksecuritygroups/securityrules': { id: RULE, target: 'securityRule' },
};

function operationOf(event: SandboxEvent): string {
  const data = event.data as { operationName?: unknown };
  return String(data.operationName);
}

describe('HANDLED_OPERATIONS and the event router', () => {
  it.each(HANDLED_OPERATIONS)('%s is routed to the resource it names', (operation) => {
    const verb = operation.split('/').at(-1);
    const subject = SUBJECT[operation.slice(0, operation.lastIndexOf('/')).toLowerCase()];
    if (!subject) throw new Error(`no sample resource for ${operation}`);
    const change = parseResourceChange({
      id: `evt-${operation}`,
      eventType:
        verb === 'delete'
          ? 'Microsoft.Resources.ResourceDeleteSuccess'
          : 'Microsoft.Resources.ResourceWriteSuccess',
      subject: subject.id,
      eventTime: new Date().toISOString(),
      data: { operationName: operation, resourceUri: subject.id, claims: { upn: ALICE.upn } },
      dataVersion: '2',
    });
    expect(change).toMatchObject({ target: subject.target, change: verb, resourceId: subject.id });
  });

  it('covers writes and deletes of every resource kind (keys: write only, ARM has no key delete)', () => {
    const kinds = Object.keys(SUBJECT);
    const expected = kinds
      .flatMap((kind) => (kind.endsWith('/keys') ? [`${kind}/write`] : [`${kind}/write`, `${kind}/delete`]))
      .sort();
    expect(HANDLED_OPERATIONS.map((op) => op.toLowerCase()).sort()).toEqual(expected);
  });
});

describe('operations ARM emits for our resource kinds are all handled; a delete is recorded', () => {
  const azurite = inject('azurite');
  let sandbox: Sandbox;
  let webhook: Webhook;
  let stopSandbox: () => Promise<void>;
  let harness: Harness | null = null;

  beforeAll(async () => {
    ({ sandbox, webhook, stop: stopSandbox } = await startSandboxWithWebhook(() => harness));
  });
  afterAll(() => stopSandbox());

  it('every emitted operationName is in HANDLED_OPERATIONS, and each handled one is emitted', async () => {
    sandbox.reset();
    const scenario = baseScenario();
    scenario.resources.push({ id: VAULT, location: 'westeurope', properties: { enableSoftDelete: true } });
    sandbox.seed(scenario);
    const { storage, network } = clientsFor(sandbox, BOB);
    const credential = sandbox.credential(BOB);
    const insights = new OperationalInsightsManagementClient(credential, SUB, sandbox.clientOptions());
    const monitor = new MonitorClient(credential, SUB, sandbox.clientOptions());
    const keyVault = new KeyVaultManagementClient(credential, SUB, sandbox.clientOptions());
    await monitor.diagnosticSettings.createOrUpdate(NSG.slice(1), 'to-law-audit', {
      workspaceId: WORKSPACE,
      logs: [{ category: 'NetworkSecurityGroupEvent', enabled: true }],
    });
    await monitor.diagnosticSettings.delete(NSG.slice(1), 'to-law-audit');
    await keyVault.keys.createIfNotExist('rg-portal', 'kv-ops', 'cmk', { properties: { kty: 'RSA' } });
    await keyVault.vaults.update('rg-portal', 'kv-ops', { properties: { enablePurgeProtection: true } });
    await keyVault.vaults.delete('rg-portal', 'kv-ops');
    const poll = { updateIntervalInMs: 10 };
    await insights.tables.beginCreateOrUpdateAndWait(
      'rg-monitoring',
      'law-audit',
      'AuditLogs_CL',
      {
        totalRetentionInDays: 400,
        schema: { name: 'AuditLogs_CL', columns: [{ name: 'TimeGenerated', type: 'datetime' }] },
      },
      poll,
    );
    await insights.tables.beginDeleteAndWait('rg-monitoring', 'law-audit', 'AuditLogs_CL', poll);
    await insights.workspaces.update('rg-monitoring', 'law-audit', { retentionInDays: 400 });
    await insights.workspaces.beginDeleteAndWait('rg-monitoring', 'law-audit', { updateIntervalInMs: 10 });
    await storage.storageAccounts.update(
      'rg-portal',
      'phiportal01',
      storagePatch({ minimumTlsVersion: 'TLS1_2' }),
    );
    await storage.blobContainers.update('rg-portal', 'phiportal01', 'scans', { publicAccess: 'None' });
    await storage.blobContainers.delete('rg-portal', 'phiportal01', 'scans');
    const rule = { ...(await network.securityRules.get('rg-portal', 'nsg-web', 'allow-https-vnet')) };
    await network.securityRules.beginCreateOrUpdateAndWait('rg-portal', 'nsg-web', 'allow-https-vnet', rule);
    await network.securityRules.beginDeleteAndWait('rg-portal', 'nsg-web', 'allow-https-vnet');
    const nsg = await network.networkSecurityGroups.get('rg-portal', 'nsg-web');
    await network.networkSecurityGroups.beginCreateOrUpdateAndWait('rg-portal', 'nsg-web', {
      location: nsg.location,
    });
    await network.networkSecurityGroups.beginDeleteAndWait('rg-portal', 'nsg-web');
    await storage.storageAccounts.delete('rg-portal', 'phiportal01');

    const emitted = new Set(sandbox.emittedEvents().map(operationOf));
    const handled = new Set<string>(HANDLED_OPERATIONS);
    expect([...emitted].filter((op) => !handled.has(op))).toEqual([]);
    expect([...handled].filter((op) => !emitted.has(op))).toEqual([]);
  });

  it('bob deletes a security rule: the delete event is handled and recorded as resource-gone', async () => {
    sandbox.reset();
    sandbox.seed(baseScenario());
    const h = await createHarness(sandbox, { connectionString: azurite.connectionString });
    harness = h;
    await sandbox.setWebhook({ url: webhook.url, schema: 'EventGrid', retryBaseMs: 100 });
    sandbox.resetStats();
    await clientsFor(sandbox, BOB).network.securityRules.beginDeleteAndWait(
      'rg-portal',
      'nsg-web',
      'allow-https-vnet',
    );
    await sandbox.waitForEventsIdle();
    expect(h.errors).toEqual([]);
    expect(await h.records()).toMatchObject([
      {
        outcome: 'resource-gone',
        actor: BOB.upn,
        resourceId: `${NSG}/securityRules/allow-https-vnet`,
        trigger: 'event',
      },
    ]);
    expect(sandbox.stats().requests.writes).toBe(1); // bob's delete; driftwarden only read
    harness = null;
  });
});
