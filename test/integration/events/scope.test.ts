import { randomUUID } from 'node:crypto';
import { StorageManagementClient } from '@azure/arm-storage';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Sandbox } from '../../../lib/dev/arm-sandbox/index.js';
import type { EvidenceRecord } from '../../../lib/evidence/types.js';
import type { ResourceGateway } from '../../../lib/remediation/types.js';
import { RDP_FROM_ANY } from '../../support/rules.js';
import {
  ALICE,
  BOB,
  baseScenario,
  clientsFor,
  compliantAccount,
  createHarness,
  type Harness,
  type HarnessOptions,
  NSG,
  nsgRule,
  SELF,
  SUB,
  startSandboxWithWebhook,
  storagePatch,
  type Webhook,
} from './harness.js';

/**
 * Issue 13, reproductions 3, 5 and 6 through the event webhook: the ARM sandbox emits the events
 * of real SDK writes to the webhook, which hands them to handleResourceChange (Azurite evidence).
 */

const azurite = inject('azurite');
const OTHER_SUB = '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d';
const OTHER_ACCOUNT = `/subscriptions/${OTHER_SUB}/resourceGroups/rg-lab/providers/Microsoft.Storage/storageAccounts/labdata01`;

let sandbox: Sandbox;
let webhook: Webhook;
let stopSandbox: () => Promise<void>;
let harness: Harness | null = null;

beforeAll(async () => {
  ({ sandbox, webhook, stop: stopSandbox } = await startSandboxWithWebhook(() => harness));
});
afterAll(() => stopSandbox());
afterEach(() => {
  harness = null;
});

async function setUp(options: Partial<HarnessOptions> = {}): Promise<Harness> {
  sandbox.reset();
  const scenario = baseScenario();
  scenario.resources.push({ id: OTHER_ACCOUNT, ...compliantAccount });
  sandbox.seed(scenario);
  harness = await createHarness(sandbox, { connectionString: azurite.connectionString, ...options });
  await sandbox.setWebhook({ url: webhook.url, schema: 'EventGrid', retryBaseMs: 100 });
  sandbox.resetStats();
  return harness;
}

async function settle(h: Harness): Promise<EvidenceRecord[]> {
  await sandbox.waitForEventsIdle();
  expect(h.errors).toEqual([]);
  return h.records();
}

/** POSTs one event to the webhook as Event Grid would. */
async function deliver(event: Record<string, unknown>): Promise<number> {
  const response = await fetch(webhook.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'aeg-event-type': 'Notification' },
    body: JSON.stringify([event]),
  });
  return response.status;
}

describe('reproduction 3: honest attribution', () => {
  it("alice's rule found on the re-read of bob's NSG edit is unattributed, with bob only as a hint", async () => {
    const h = await setUp();
    // alice's event is lost (no webhook while she writes)
    await sandbox.setWebhook(null);
    await clientsFor(sandbox, ALICE).network.securityRules.beginCreateOrUpdateAndWait(
      'rg-portal',
      'nsg-web',
      'allow-rdp',
      RDP_FROM_ANY,
    );
    await sandbox.waitForEventsIdle();
    await sandbox.setWebhook({ url: webhook.url, schema: 'EventGrid', retryBaseMs: 100 });
    // bob tags the NSG (a whole-NSG write that does not touch alice's rule)
    const bob = clientsFor(sandbox, BOB).network;
    const nsg = await bob.networkSecurityGroups.get('rg-portal', 'nsg-web');
    await bob.networkSecurityGroups.beginCreateOrUpdateAndWait('rg-portal', 'nsg-web', {
      ...nsg,
      tags: { owner: 'bob' },
    });
    const records = await settle(h);
    expect(nsgRule(sandbox, 'allow-rdp').access).toBe('Deny');
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({
      controlId: 'NSG-MGMT-PORT',
      ruleName: 'allow-rdp',
      outcome: 'remediated',
      actor: null,
      actorHint: BOB.upn,
      message: expect.stringMatching(/^Found on re-read/),
    });
    expect(records[0]?.actorObjectId).toBeUndefined();
  });

  it('the caller stays the actor of what their event targets (with their object id)', async () => {
    const h = await setUp();
    await clientsFor(sandbox, ALICE).network.securityRules.beginCreateOrUpdateAndWait(
      'rg-portal',
      'nsg-web',
      'allow-rdp',
      RDP_FROM_ANY,
    );
    expect(await settle(h)).toMatchObject([
      { actor: ALICE.upn, actorObjectId: ALICE.oid, outcome: 'remediated' },
    ]);
  });
});

describe('reproduction 5: the loop guard is driftwarden itself, and every write is confirmed', () => {
  it("a principal with driftwarden's app id but another object id is not driftwarden: its drift is remediated", async () => {
    const h = await setUp();
    const borrower = { oid: 'bad00000-0000-4000-8000-00000000beef', appid: SELF.appid };
    await clientsFor(sandbox, borrower).network.securityRules.beginCreateOrUpdateAndWait(
      'rg-portal',
      'nsg-web',
      'allow-rdp',
      RDP_FROM_ANY,
    );
    const records = await settle(h);
    expect(nsgRule(sandbox, 'allow-rdp').access).toBe('Deny');
    expect(records).toMatchObject([{ outcome: 'remediated', actorObjectId: borrower.oid }]);
    expect(h.results.filter((r) => r.status === 'own-write')).toHaveLength(1); // only our own revert
  });

  it('a write ARM answers 200 without the state taking is recorded remediation-failed, not remediated', async () => {
    // ARM accepts the PUT and reports the rule unchanged (e.g. a policy with a modify effect)
    const ignoring = (base: ResourceGateway): ResourceGateway => ({
      read: (id) => base.read(id),
      apply: async (_plan, current) => current,
      restoreState: (id, before, etag) => base.restoreState(id, before, etag),
    });
    const h = await setUp({ gateway: ignoring });
    await clientsFor(sandbox, ALICE).network.securityRules.beginCreateOrUpdateAndWait(
      'rg-portal',
      'nsg-web',
      'allow-rdp',
      RDP_FROM_ANY,
    );
    const records = await settle(h);
    expect(nsgRule(sandbox, 'allow-rdp').access).toBe('Allow');
    expect(records).toMatchObject([
      {
        controlId: 'NSG-MGMT-PORT',
        outcome: 'remediation-failed',
        message: expect.stringMatching(/did not take/),
        after: { access: 'Allow' },
      },
    ]);
  });
});

describe('reproduction 6: event scope', () => {
  it('an event for a subscription not in DW_SUBSCRIPTION_IDS is ignored with a log line, and ARM is not read', async () => {
    const h = await setUp();
    const otherClient = new StorageManagementClient(sandbox.credential(ALICE), OTHER_SUB, {
      ...sandbox.clientOptions(),
    });
    sandbox.resetStats();
    await otherClient.storageAccounts.update(
      'rg-lab',
      'labdata01',
      storagePatch({ allowBlobPublicAccess: true }),
    );
    await settle(h);
    expect(sandbox.getResource(OTHER_ACCOUNT)?.properties.allowBlobPublicAccess).toBe(true);
    expect(h.results.at(-1)).toMatchObject({ status: 'ignored', reason: 'subscription not configured' });
    expect(
      h.logs.some((line) =>
        /event ignored: .*subscription 9a8b7c6d.* is not in DW_SUBSCRIPTION_IDS/.test(line),
      ),
    ).toBe(true);
    expect(sandbox.stats().requests.reads).toBe(0);
    expect((await h.records()).filter((r) => r.subscriptionId === OTHER_SUB)).toEqual([]);
  });

  it.each([
    'Microsoft.Resources.ResourceActionSuccess',
    'Microsoft.Resources.ResourceWriteFailure',
    'Microsoft.ResourceNotifications.HealthResources.AvailabilityStatusChanged',
  ])('%s is ignored, not logged as malformed', async (eventType) => {
    const h = await setUp();
    const status = await deliver({
      id: randomUUID(),
      topic: `/subscriptions/${SUB}`,
      subject: NSG,
      eventType,
      eventTime: new Date().toISOString(),
      data: { operationName: 'Microsoft.Network/networkSecurityGroups/write', subscriptionId: SUB },
      dataVersion: '2',
      metadataVersion: '1',
    });
    expect(status).toBe(200);
    expect(h.results.at(-1)).toMatchObject({ status: 'ignored' });
    expect(h.logs.some((line) => line.startsWith('event ignored: ') && line.includes(eventType))).toBe(true);
    expect(h.logs.some((line) => line.startsWith('event rejected: '))).toBe(false);
    expect(sandbox.stats().requests.reads).toBe(0);
  });
});
