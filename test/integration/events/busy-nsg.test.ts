/**
 * A busy NSG, as Azure makes it: a deployment pipeline adds 50 rules to the NSG (real SDK client,
 * all at once) while a drifted rule on the same NSG is being remediated through the event path.
 * In Azure every rule carries the NSG's ETag (so each sibling edit makes our If-Match write a 412)
 * and a write while another operation holds the NSG answers 429 RetryableError. The drifted rule
 * must end remediated and none of the pipeline's 50 rules may be lost or altered.
 */
import { NetworkManagementClient, type SecurityRule } from '@azure/arm-network';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../../lib/dev/arm-sandbox/index.js';
import { RDP_FROM_ANY } from '../../support/rules.js';
import {
  ALICE,
  BOB,
  baseScenario,
  createHarness,
  type Harness,
  NSG,
  nsgRule,
  SUB,
  startWebhook,
  type Webhook,
  waitFor,
} from './harness.js';

const azurite = inject('azurite');
const PIPELINE_RULES = 50;
let sandbox: Sandbox;
let webhook: Webhook;
let harness: Harness | null = null;

beforeAll(async () => {
  // every NSG operation holds the NSG for 100 ms: long enough for writes to collide
  sandbox = await startSandbox({ lroDurationMs: 100 });
  webhook = await startWebhook((event) => {
    if (!harness) throw new Error('no harness');
    return harness.handle(event);
  });
});
afterAll(async () => {
  await sandbox.setWebhook(null);
  await webhook.close();
  await sandbox.stop();
});

const rulesNow = () => ((sandbox.getResource(NSG)?.properties.securityRules ?? []) as unknown[]).length;

const pipelineRule = (i: number): SecurityRule => ({
  protocol: 'Tcp',
  sourceAddressPrefix: '10.1.0.0/16',
  sourcePortRange: '*',
  destinationAddressPrefix: '*',
  destinationPortRange: String(20_000 + i),
  access: 'Allow',
  priority: 1000 + i,
  direction: 'Inbound',
});

describe('busy NSG: remediation while a pipeline adds 50 rules', () => {
  it('the drifted rule ends remediated and no sibling change is lost', { timeout: 120_000 }, async () => {
    sandbox.reset();
    sandbox.seed(baseScenario());
    harness = await createHarness(sandbox, { connectionString: azurite.connectionString });
    const h = harness;
    await sandbox.setWebhook({ url: webhook.url, retryBaseMs: 100 });
    sandbox.resetStats();

    // the pipeline retries busy answers as Azure deployments do (the SDK honours Retry-After)
    const pipeline = new NetworkManagementClient(sandbox.credential(ALICE), SUB, {
      ...sandbox.clientOptions(),
      retryOptions: { maxRetries: 200, retryDelayInMs: 50, maxRetryDelayInMs: 1000 },
    });
    const bob = new NetworkManagementClient(sandbox.credential(BOB), SUB, {
      ...sandbox.clientOptions(),
      retryOptions: { maxRetries: 200, retryDelayInMs: 50, maxRetryDelayInMs: 1000 },
    });
    // the pipeline starts first; bob's drift lands in the middle of it, so its event is handled
    // while the pipeline's writes keep the NSG busy and its ETag moving
    const started = Date.now();
    let pipelineDone = 0;
    const writes = Promise.all(
      Array.from({ length: PIPELINE_RULES }, (_, i) =>
        pipeline.securityRules.beginCreateOrUpdateAndWait(
          'rg-portal',
          'nsg-web',
          `pipe-${String(i).padStart(2, '0')}`,
          pipelineRule(i),
          { updateIntervalInMs: 20 },
        ),
      ),
    ).then(() => {
      pipelineDone = Date.now();
    });
    await waitFor(() => rulesNow() >= 5, 30_000, 'the pipeline under way');
    await bob.securityRules.beginCreateOrUpdateAndWait('rg-portal', 'nsg-web', 'allow-rdp', RDP_FROM_ANY, {
      updateIntervalInMs: 20,
    });
    await writes;
    const pipelineMs = pipelineDone - started;
    await waitFor(() => nsgRule(sandbox, 'allow-rdp').access === 'Deny', 60_000, 'allow-rdp remediated');
    await sandbox.waitForEventsIdle();

    // the drifted rule: denied, sources untouched, recorded once as remediated
    expect(nsgRule(sandbox, 'allow-rdp')).toMatchObject({ access: 'Deny', sourceAddressPrefix: '*' });
    const records = await h.records();
    const forRdp = records.filter((r) => r.ruleName === 'allow-rdp');
    const remediated = forRdp.filter((r) => r.outcome === 'remediated');
    expect(remediated).toHaveLength(1);
    expect(forRdp.every((r) => r.outcome === 'remediated' || r.outcome === 'remediation-failed')).toBe(true);
    // no pipeline rule lost or altered, the seeded one still there
    for (let i = 0; i < PIPELINE_RULES; i++) {
      const name = `pipe-${String(i).padStart(2, '0')}`;
      expect({ name, ...nsgRule(sandbox, name) }).toMatchObject({ name, ...pipelineRule(i) });
    }
    expect(nsgRule(sandbox, 'allow-https-vnet').access).toBe('Allow');
    const rules = (sandbox.getResource(NSG)?.properties.securityRules ?? []) as unknown[];
    expect(rules).toHaveLength(PIPELINE_RULES + 2);

    const remediatedAt = Date.parse(remediated[0]?.time ?? '');
    const conflicts = h.logs.filter((line) => line.startsWith('412 on ')).length;
    console.log(
      `busy NSG: pipeline ${PIPELINE_RULES} rules in ${pipelineMs} ms; remediation: ${conflicts} × 412 re-read, ` +
        `${h.deps.gateway.stats.busyRetries} busy retries, ${h.deps.gateway.stats.siblingRetries} sibling-only 412 retries, ${h.deps.gateway.stats.settleWaits} settle waits; ` +
        `${sandbox.stats().requests.byKind['securityRules.put'] ?? 0} rule PUTs in all; ` +
        `remediated ${remediatedAt - started} ms after the pipeline started, ${pipelineDone - remediatedAt} ms before it finished`,
    );
    // it really was remediated while the pipeline was still writing
    expect(remediatedAt).toBeLessThan(pipelineDone);
  });
});
