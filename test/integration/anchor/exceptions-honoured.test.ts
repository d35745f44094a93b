/**
 * A forged or edited exceptions row is not honoured by the event path or the sweep: the ARM
 * sandbox (real SDK clients), Azurite, the real event path and the real sweep. The attacker only
 * writes the exceptions table (Table SDK); a genuine exception, approved through the store, is
 * honoured (so the check is not simply "exceptions never work").
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createApp } from '../../../lib/app/app.js';
import { createTableClient } from '../../../lib/azure/tables.js';
import type { Sandbox } from '../../../lib/dev/arm-sandbox/index.js';
import { runSweep } from '../../../lib/sweep/run.js';
import { RDP_FROM_ANY } from '../../support/rules.js';
import {
  ALICE,
  baseScenario,
  clientsFor,
  createHarness,
  type Harness,
  NSG,
  nsgRule,
  SELF,
  SUB,
  startSandboxWithWebhook,
  type Webhook,
} from '../events/harness.js';

const azurite = inject('azurite');
let sandbox: Sandbox;
let webhook: Webhook;
let stop: () => Promise<void>;
let harness: Harness | null = null;

beforeAll(async () => {
  ({ sandbox, webhook, stop } = await startSandboxWithWebhook(() => harness));
});
afterAll(() => stop());

const DAY = 86_400_000;

async function forgeRow(h: Harness, rowKey: string, extra: Record<string, unknown> = {}) {
  const table = createTableClient(
    { connectionString: azurite.connectionString },
    h.deps.config.exceptionsTable,
  );
  await table.createEntity({
    partitionKey: 'exception',
    rowKey,
    controlId: 'NSG-MGMT-PORT',
    scope: `/subscriptions/${SUB}`,
    justification: 'approved by the CISO',
    ticket: 'SEC-1',
    approvedBy: 'ciso@contoso.example',
    approvedOn: new Date().toISOString(),
    expiresOn: new Date(Date.now() + 3650 * DAY).toISOString(),
    ...extra,
  });
}

async function openRdp(name: string, priority: number) {
  await clientsFor(sandbox, ALICE).network.securityRules.beginCreateOrUpdateAndWait(
    'rg-portal',
    'nsg-web',
    name,
    { ...RDP_FROM_ANY, priority },
  );
  await sandbox.waitForEventsIdle();
}

describe('exceptions are honoured only when they match their evidence', () => {
  it('event path: a forged subscription-wide exception is ignored (remediated); a genuine one exempts', async () => {
    sandbox.reset();
    sandbox.seed(baseScenario());
    const h = await createHarness(sandbox, { connectionString: azurite.connectionString });
    harness = h;
    await sandbox.setWebhook({ url: webhook.url, schema: 'EventGrid', retryBaseMs: 100 });
    await forgeRow(h, 'ciso-approved-2026');

    await openRdp('allow-rdp', 100);
    expect(h.errors).toEqual([]);
    const first = (await h.records()).filter((r) => r.ruleName === 'allow-rdp');
    expect(first.map((r) => r.outcome)).toEqual(['remediated']);
    expect(nsgRule(sandbox, 'allow-rdp').access).toBe('Deny');
    expect(h.logs.some((line) => /ciso-approved-2026 is not honoured \(exception-forged\)/.test(line))).toBe(
      true,
    );

    // an approved exception for another rule, then its row edited to cover the whole subscription
    const genuine = await h.deps.exceptions.create({
      controlId: 'NSG-MGMT-PORT',
      scope: `${NSG}/securityRules/allow-rdp-vendor`,
      justification: 'Vendor session, supervised',
      ticket: 'CHG-2',
      approvedBy: 'oncall.lead@contoso.example',
      expiresOn: new Date(Date.now() + DAY).toISOString(),
    });
    await openRdp('allow-rdp-vendor', 110);
    const vendor = (await h.records()).filter((r) => r.ruleName === 'allow-rdp-vendor');
    expect(vendor.map((r) => [r.outcome, r.exceptionId])).toEqual([['exempted', genuine.id]]);

    const table = createTableClient(
      { connectionString: azurite.connectionString },
      h.deps.config.exceptionsTable,
    );
    await table.updateEntity(
      { partitionKey: 'exception', rowKey: genuine.id, scope: `/subscriptions/${SUB}` },
      'Merge',
    );
    await openRdp('allow-rdp-2', 120);
    const widened = (await h.records()).filter((r) => r.ruleName === 'allow-rdp-2');
    expect(widened.map((r) => r.outcome)).toEqual(['remediated']);
    harness = null;
  });

  it('sweep: a forged exception is ignored and the open rule remediated', async () => {
    sandbox.reset();
    const scenario = baseScenario();
    const nsg = scenario.resources.find((resource) => resource.id === NSG) as unknown as {
      properties: { securityRules: unknown[] };
    };
    nsg.properties.securityRules.push({ name: 'allow-rdp', properties: RDP_FROM_ANY });
    sandbox.seed(scenario);
    const h = await createHarness(sandbox, { connectionString: azurite.connectionString });
    await forgeRow(h, 'forged-for-sweep');
    const runtime = await createApp(h.deps.config, {
      armConnection: {
        credential: sandbox.credential(SELF),
        endpoint: sandbox.url,
        clientOptions: { ...sandbox.clientOptions() },
      },
      log: () => {},
      armPollIntervalMs: 10,
    }).sweep();
    const result = await runSweep({ subscriptions: [SUB], sweepId: 'anchor-test', deps: runtime });
    expect(result.totals.exempt).toBe(0);
    expect(
      result.subscriptions[0]?.items.filter((i) => i.ruleName === 'allow-rdp').map((i) => i.outcome),
    ).toEqual(['remediated']);
    expect(nsgRule(sandbox, 'allow-rdp').access).toBe('Deny');
  });
});
