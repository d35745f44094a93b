/**
 * Remediation of one drifted rule on a busy NSG, with the sandbox behaving as Azure does: every
 * rule carries the NSG's ETag (any sibling edit makes our If-Match PUT a 412) and an NSG answers
 * 429 RetryableError while another operation holds it (here each operation holds it 100 ms).
 * For N = 0, 5, 20, 50 concurrent sibling rule edits by a pipeline (real SDK client that retries
 * busy answers as deployments do), several runs each: success rate (the rule denied by this one
 * event-path call, not left to the sweep), the 412s and 429s driftwarden's own rule PUTs met,
 * its retries (after busy, after a sibling-only 412) and engine re-evaluations (the rule itself
 * changed), remediation latency p50/p99, and whether every sibling edit landed. Real SDK clients, the real engine and TableEvidenceStore on Azurite.
 * Run: npm run bench -- fidelity
 */
import { randomUUID } from 'node:crypto';
import { NetworkManagementClient, type SecurityRule } from '@azure/arm-network';
import type { PipelinePolicy } from '@azure/core-rest-pipeline';
import { createApp } from '../lib/app/app.js';
import { loadConfig } from '../lib/config.js';
import { type Sandbox, type Scenario, startSandbox } from '../lib/dev/arm-sandbox/index.js';
import { startAzurite } from '../lib/dev/local/azurite.js';

export const name = 'fidelity';

const SUB = '6f1e2d3c-4b5a-4697-8a8b-9c0d1e2f3a4b';
const RG = `/subscriptions/${SUB}/resourceGroups/rg-busy`;
const NSG = `${RG}/providers/Microsoft.Network/networkSecurityGroups/nsg-busy`;
const RULE = `${NSG}/securityRules/rdp`;
const SELF = { oid: 'd71f7000-0000-4000-8000-00000000d00d', appid: 'd71f7000-aaaa-4000-8000-00000000a99d' };
const PIPELINE = {
  oid: 'c1c1c1c1-0000-4000-8000-00000000c1c1',
  appid: 'c1c1c1c1-aaaa-4000-8000-0000000000c1',
};
const SIBLING_COUNTS = [0, 5, 20, 50];
const RUNS = Number(process.env.DW_BENCH_FIDELITY_RUNS ?? 5);
const LRO_MS = 100;

const rdpFromAny: SecurityRule = {
  protocol: 'Tcp',
  sourceAddressPrefix: '*',
  sourcePortRange: '*',
  destinationAddressPrefix: '*',
  destinationPortRange: '3389',
  access: 'Allow',
  priority: 100,
  direction: 'Inbound',
};

const sibling = (i: number): SecurityRule => ({
  protocol: 'Tcp',
  sourceAddressPrefix: '10.1.0.0/16',
  sourcePortRange: '*',
  destinationAddressPrefix: '*',
  destinationPortRange: String(20_000 + i),
  access: 'Allow',
  priority: 1000 + i,
  direction: 'Inbound',
});

const scenario: Scenario = {
  resources: [
    {
      id: NSG,
      location: 'westeurope',
      properties: { securityRules: [{ name: 'rdp', properties: { ...rdpFromAny } }] },
    },
  ],
};

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)] as number;
}

/** Counts the 412s and 429s driftwarden's own rule PUTs meet (every attempt, the SDK's retries included). */
function statusCounter(): { policy: PipelinePolicy; counts: { s412: number; s429: number; puts: number } } {
  const counts = { s412: 0, s429: 0, puts: 0 };
  return {
    counts,
    policy: {
      name: 'benchStatusCounter',
      async sendRequest(request, next) {
        const response = await next(request);
        if (request.method === 'PUT' && /\/securityRules\//i.test(request.url)) {
          counts.puts += 1;
          if (response.status === 412) counts.s412 += 1;
          if (response.status === 429) counts.s429 += 1;
        }
        return response;
      },
    },
  };
}

interface RunResult {
  success: boolean;
  failedRecorded: boolean;
  ms: number;
  s412: number;
  s429: number;
  rounds: number;
  busyRetries: number;
  siblingRetries: number;
  siblingsLanded: boolean;
}

async function oneRun(sandbox: Sandbox, connectionString: string, siblings: number): Promise<RunResult> {
  sandbox.reset();
  sandbox.seed(scenario);
  const logs: string[] = [];
  const counter = statusCounter();
  const suffix = randomUUID().replace(/-/g, '').slice(0, 12);
  const deps = await createApp(
    loadConfig({
      DW_STORAGE: connectionString,
      DW_EVIDENCE_TABLE: `benchfid${suffix}`,
      DW_EXCEPTIONS_TABLE: `benchfidex${suffix}`,
      DW_SELF_OBJECT_ID: SELF.oid,
      DW_SELF_APP_ID: SELF.appid,
      DW_ARM_ENDPOINT: sandbox.url,
    }),
    {
      armConnection: {
        credential: sandbox.credential(SELF),
        endpoint: sandbox.url,
        clientOptions: {
          ...sandbox.clientOptions(),
          additionalPolicies: [{ policy: counter.policy, position: 'perRetry' }],
        },
      },
      log: (line) => logs.push(line),
      armPollIntervalMs: 20,
    },
  ).eventPath();
  const pipeline = new NetworkManagementClient(sandbox.credential(PIPELINE), SUB, {
    ...sandbox.clientOptions(),
    retryOptions: { maxRetries: 500, retryDelayInMs: 50, maxRetryDelayInMs: 1000 },
  });
  const edits = Promise.all(
    Array.from({ length: siblings }, (_, i) =>
      pipeline.securityRules.beginCreateOrUpdateAndWait('rg-busy', 'nsg-busy', `pipe-${i}`, sibling(i), {
        updateIntervalInMs: 20,
      }),
    ),
  );
  const eventId = randomUUID();
  const started = performance.now();
  const records = await deps.engine.handleResourceId(RULE, {
    trigger: 'event',
    idempotencyPrefix: `event:${eventId}`,
    eventId,
    correlationId: null,
    actor: 'pipeline',
  });
  const ms = performance.now() - started;
  await edits;
  const nsg = sandbox.getResource(NSG);
  const rules = (nsg?.properties.securityRules ?? []) as Array<{ name: string; properties: SecurityRule }>;
  const rdp = rules.find((r) => r.name === 'rdp');
  const siblingsLanded = Array.from({ length: siblings }, (_, i) =>
    rules.find((r) => r.name === `pipe-${i}`),
  ).every((r, i) => r?.properties.destinationPortRange === String(20_000 + i));
  return {
    success: rdp?.properties.access === 'Deny' && records.some((r) => r.outcome === 'remediated'),
    failedRecorded: records.some((r) => r.outcome === 'remediation-failed'),
    ms,
    s412: counter.counts.s412,
    s429: counter.counts.s429,
    rounds: logs.filter((line) => line.startsWith('412 on ')).length,
    busyRetries: deps.gateway.stats.busyRetries,
    siblingRetries: deps.gateway.stats.siblingRetries,
    siblingsLanded,
  };
}

export async function run(): Promise<void> {
  const azurite = await startAzurite();
  const sandbox = await startSandbox({ lroDurationMs: LRO_MS });
  try {
    await oneRun(sandbox, azurite.connectionString, 0); // warm-up: TLS, tokens, tables
    console.log(
      `fidelity: one rule remediated on an NSG receiving N concurrent sibling edits (operations hold the NSG ${LRO_MS} ms; ${RUNS} runs each)`,
    );
    for (const siblings of SIBLING_COUNTS) {
      const results: RunResult[] = [];
      for (let i = 0; i < RUNS; i++) results.push(await oneRun(sandbox, azurite.connectionString, siblings));
      const times = results.map((r) => r.ms).sort((a, b) => a - b);
      const mean = (pick: (r: RunResult) => number) =>
        (results.reduce((sum, r) => sum + pick(r), 0) / results.length).toFixed(1);
      const succeeded = results.filter((r) => r.success).length;
      console.log(
        `fidelity: N=${String(siblings).padStart(2)}: success ${succeeded}/${results.length} ` +
          `(${results.filter((r) => r.failedRecorded).length} recorded remediation-failed for the sweep), ` +
          `per remediation ${mean((r) => r.s412)} × 412, ${mean((r) => r.s429)} × 429 met, ` +
          `retries: ${mean((r) => r.busyRetries)} after busy + ${mean((r) => r.siblingRetries)} after a sibling-only 412 (fresh ETag), ${mean((r) => r.rounds)} engine re-evaluations; ` +
          `latency p50 ${percentile(times, 50).toFixed(0)} ms, p99 ${percentile(times, 99).toFixed(0)} ms; ` +
          `sibling edits all landed: ${results.every((r) => r.siblingsLanded) ? 'yes' : 'NO'}`,
      );
    }
  } finally {
    await sandbox.stop();
    await azurite.stop();
  }
}
