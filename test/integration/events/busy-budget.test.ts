/**
 * Rule writes on an NSG that keeps changing, and events that arrive before their write is done:
 * - a sibling edit lands before each of our writes (Azure: the shared NSG ETag makes each one a
 *   412): after the bounded, jittered re-read rounds the engine records a clear
 *   `remediation-failed` with the reason instead of retrying for ever, and the next event on the
 *   rule finishes the job;
 * - an event delivered while its write still runs (`provisioningState: Updating`) is judged on
 *   the state after the operation, not mid-flight.
 */
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { startSandbox } from '../../../lib/dev/arm-sandbox/index.js';
import type { ResourceGateway } from '../../../lib/remediation/types.js';
import { RDP_FROM_ANY } from '../../support/rules.js';
import {
  ALICE,
  BOB,
  baseScenario,
  clientsFor,
  createHarness,
  type Harness,
  nsgRule,
  startWebhook,
  type Webhook,
} from './harness.js';

const azurite = inject('azurite');
let harness: Harness | null = null;
let webhook: Webhook;

beforeAll(async () => {
  webhook = await startWebhook((event) => {
    if (!harness) throw new Error('no harness');
    return harness.handle(event);
  });
});
afterAll(() => webhook.close());
afterEach(() => {
  harness = null;
});

describe('rule writes on a busy NSG', () => {
  it('a sibling edit before every write: remediation-failed with the reason after the budget; the next event remediates', async () => {
    const sandbox = await startSandbox();
    try {
      sandbox.seed(baseScenario());
      const bob = clientsFor(sandbox, BOB).network;
      let storm = true;
      let edits = 0;
      // bob's pipeline edits a sibling rule right before each of our writes while the storm lasts
      const siblingBeforeEachWrite = (base: ResourceGateway): ResourceGateway => ({
        read: (id) => base.read(id),
        async apply(plan, current) {
          if (storm) {
            edits += 1;
            const https = await bob.securityRules.get('rg-portal', 'nsg-web', 'allow-https-vnet');
            await bob.securityRules.beginCreateOrUpdateAndWait('rg-portal', 'nsg-web', 'allow-https-vnet', {
              ...https,
              description: `pipeline run ${edits}`,
            });
          }
          return base.apply(plan, current);
        },
        restoreState: (id, before, etag) => base.restoreState(id, before, etag),
      });
      harness = await createHarness(sandbox, {
        connectionString: azurite.connectionString,
        gateway: siblingBeforeEachWrite,
      });
      const h = harness;
      await sandbox.setWebhook({ url: webhook.url, retryBaseMs: 50 });

      const alice = clientsFor(sandbox, ALICE).network;
      await alice.securityRules.beginCreateOrUpdateAndWait('rg-portal', 'nsg-web', 'allow-rdp', RDP_FROM_ANY);
      await sandbox.waitForEventsIdle();
      expect(h.errors).toEqual([]);
      // 1 write + 5 re-read rounds (the default budget), each refused because a sibling changed
      expect(edits).toBe(6);
      expect(h.logs.filter((line) => line.startsWith('412 on ')).length).toBe(5);
      expect(nsgRule(sandbox, 'allow-rdp').access).toBe('Allow');
      expect(nsgRule(sandbox, 'allow-https-vnet').description).toBe('pipeline run 6'); // every sibling edit kept
      const failed = await h.records();
      expect(failed).toMatchObject([
        {
          controlId: 'NSG-MGMT-PORT',
          ruleName: 'allow-rdp',
          outcome: 'remediation-failed',
          actor: ALICE.upn,
        },
      ]);
      expect(failed[0]?.message).toMatch(
        /kept changing .* 6 conflicting writes \(412\) in a row; the next event or the sweep retries/,
      );

      // the storm is over; the next event on the rule (alice touches it again) finishes the job
      storm = false;
      await alice.securityRules.beginCreateOrUpdateAndWait('rg-portal', 'nsg-web', 'allow-rdp', {
        ...RDP_FROM_ANY,
        description: 'alice: vendor access',
      });
      await sandbox.waitForEventsIdle();
      expect(h.errors).toEqual([]);
      expect(nsgRule(sandbox, 'allow-rdp')).toMatchObject({
        access: 'Deny',
        description: 'alice: vendor access',
      });
      const records = await h.records();
      expect(records.map((r) => r.outcome).sort()).toEqual(['remediated', 'remediation-failed']);
    } finally {
      await sandbox.stop();
    }
  });

  it('an event that arrives while its write still runs is judged after the operation completes', async () => {
    // Azure may deliver ResourceWriteSuccess while the operation runs: the event comes on accept here
    const sandbox = await startSandbox({ lroDurationMs: 400, eventTiming: 'accept' });
    try {
      sandbox.seed(baseScenario());
      harness = await createHarness(sandbox, { connectionString: azurite.connectionString });
      const h = harness;
      await sandbox.setWebhook({ url: webhook.url, retryBaseMs: 50 });
      const alice = clientsFor(sandbox, ALICE).network;
      await alice.securityRules.beginCreateOrUpdateAndWait('rg-portal', 'nsg-web', 'allow-rdp', RDP_FROM_ANY);
      await sandbox.waitForEventsIdle();
      expect(h.errors).toEqual([]);
      // the handler saw Updating, waited for the operation, then judged and remediated the final state
      expect(h.deps.gateway.stats.settleWaits).toBeGreaterThan(0);
      expect(nsgRule(sandbox, 'allow-rdp')).toMatchObject({ access: 'Deny', provisioningState: 'Succeeded' });
      const [record, ...rest] = await h.records();
      expect(rest.filter((r) => r.outcome !== 'remediated')).toEqual([]);
      expect(record).toMatchObject({ outcome: 'remediated', ruleName: 'allow-rdp' });
      expect(record?.before).toMatchObject({ provisioningState: 'Succeeded' });
    } finally {
      await sandbox.stop();
    }
  });
});
