/**
 * Restore shows the approver the exact change first (dry run through the API, the ARM sandbox,
 * the production Restorer), writes back only the control's own fields; and the monthly report
 * names every chain's anchored head.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ROLES } from '../../../lib/api/auth.js';
import { createApp } from '../../../lib/app/app.js';
import { CONTROLS } from '../../../lib/controls/catalog.js';
import type { Sandbox } from '../../../lib/dev/arm-sandbox/index.js';
import { type KeyVaultStandIn, startKeyVaultStandIn } from '../../../lib/dev/key-vault/server.js';
import type { EvidenceRecord } from '../../../lib/evidence/types.js';
import { buildReport, renderCsv, renderHtml } from '../../../lib/sweep/report.js';
import { monthSweepId } from '../../../lib/sweep/run.js';
import { RDP_FROM_ANY } from '../../support/rules.js';
import { type ApiServer, call, principalHeader, startApiServer } from '../api/harness.js';
import { nsgRemediation, SUB_A, SUB_B } from '../api/seed.js';
import {
  ALICE,
  baseScenario,
  clientsFor,
  createHarness,
  type Harness,
  nsgRule,
  SELF,
  startSandboxWithWebhook,
  type Webhook,
} from '../events/harness.js';
import { createWorld } from './world.js';

const azurite = inject('azurite');
let sandbox: Sandbox;
let webhook: Webhook;
let stop: () => Promise<void>;
let harness: Harness | null = null;
let keyVault: KeyVaultStandIn;

beforeAll(async () => {
  ({ sandbox, webhook, stop } = await startSandboxWithWebhook(() => harness));
  keyVault = await startKeyVaultStandIn();
});
afterAll(async () => {
  await stop();
  await keyVault.stop();
});

describe('restore dry run', () => {
  let server: ApiServer | null = null;
  afterAll(() => server?.close());

  it('answers the exact change (access Deny → Allow), changes nothing, creates no exception', async () => {
    sandbox.reset();
    sandbox.seed(baseScenario());
    const h = await createHarness(sandbox, { connectionString: azurite.connectionString });
    harness = h;
    await sandbox.setWebhook({ url: webhook.url, schema: 'EventGrid', retryBaseMs: 100 });
    const { restorer } = createApp(h.deps.config, {
      armConnection: {
        credential: sandbox.credential(SELF),
        endpoint: sandbox.url,
        clientOptions: { ...sandbox.clientOptions() },
      },
      log: () => {},
      armPollIntervalMs: 10,
    });
    server = await startApiServer({
      evidence: h.deps.evidence,
      exceptions: h.deps.exceptions,
      controls: CONTROLS,
      config: h.deps.config,
      restorer,
      clock: () => new Date(),
      devPrincipal: null,
    });
    await clientsFor(sandbox, ALICE).network.securityRules.beginCreateOrUpdateAndWait(
      'rg-portal',
      'nsg-web',
      'allow-rdp',
      RDP_FROM_ANY,
    );
    await sandbox.waitForEventsIdle();
    const [record] = (await h.records()) as EvidenceRecord[];
    expect(record).toMatchObject({ outcome: 'remediated', ruleName: 'allow-rdp' });
    sandbox.resetStats();

    const response = await call(
      server,
      'POST',
      `remediations/${encodeURIComponent(record?.recordId ?? '')}/restore`,
      {
        principal: principalHeader('oncall.lead@contoso.example', [ROLES.approver]),
        body: { dryRun: true },
      },
    );
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      dryRun: true,
      preview: {
        recordId: record?.recordId,
        ruleName: 'allow-rdp',
        changes: [{ field: 'access', from: 'Deny', to: 'Allow' }],
      },
    });
    expect(sandbox.stats().requests.writes).toBe(0);
    expect(nsgRule(sandbox, 'allow-rdp').access).toBe('Deny');
    expect(await h.deps.exceptions.list()).toEqual([]);
    harness = null;
  });
});

describe('monthly report', () => {
  it('names every chain anchored head; the end of a sweep publishes a digest', async () => {
    const world = createWorld(keyVault, { clock: () => new Date() });
    const store = await world.app.evidence();
    const a = await store.append(nsgRemediation(1, { sub: SUB_A }));
    const b = await store.append(nsgRemediation(2, { sub: SUB_B }));
    const runtime = await world.app.sweep();
    await runtime.publishDigest?.();
    expect(world.app.anchoring()?.publisher.stats.digestsPublished).toBe(1);
    const sweepId = monthSweepId(new Date());
    const verification = await runtime.verifyMonth?.(sweepId);
    expect(verification?.ok).toBe(true);
    expect(
      verification?.anchoredHeads?.map((head) => [head.chainId, head.sequence, head.headHash]).sort(),
    ).toEqual(
      [
        [a.chainId, 1, a.hash],
        [b.chainId, 1, b.hash],
      ].sort(),
    );
    const report = buildReport({
      sweepId,
      generatedAt: new Date(),
      dryRun: false,
      expectedSubscriptions: [],
      parts: [],
      exceptions: [],
      verification: verification ?? { ok: false, error: 'no verification' },
    });
    const html = renderHtml(report);
    expect(html).toContain('Anchored chain heads');
    expect(html).toContain(a.hash);
    expect(html).toContain(b.hash);
    expect(renderCsv(report)).toMatch(new RegExp(`anchored-head,.*${a.hash}`));
  });
});
