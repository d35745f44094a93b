/**
 * Evidence and events at estate scale (issue 12), real stores on Azurite behind the model of real
 * Table Storage (lib/azure/table-pacing.ts: 2,000 entity ops/s per partition, 20,000/s per
 * account, +5 ms per request).
 *
 * 1. Head contention: 50 events at once on 50 instances (50 TableEvidenceStore objects sharing
 *    the table), one subscription, 50 different resources; before = one chain per subscription
 *    and month (subChains 1), after = 16 sub-chains. events/s, p99, head conflicts per record,
 *    Table entity operations per event. Runs: BENCH_SCALE_RUNS (default 3), min / median.
 * 2. Event storm: 2,000 events for one NSG rule in one process (the real event path: createApp,
 *    ARM sandbox with ARM-like throttling and 50 ms latency); after = per-resource coalescing;
 *    before = no coalescing, measured on the first 300 events (2,000 uncoalesced reads need
 *    ≥ 70 s of the read bucket alone). ARM calls, 429s, time to converge.
 */
import { randomUUID } from 'node:crypto';
import { NetworkManagementClient } from '@azure/arm-network';
import { createApp } from '../lib/app/app.js';
import { TABLE_STORAGE_TARGETS, TablePacer } from '../lib/azure/table-pacing.js';
import { createTableClient, ensureTable } from '../lib/azure/tables.js';
import { loadConfig } from '../lib/config.js';
import { ARM_LIKE_THROTTLE, type Scenario, startSandbox } from '../lib/dev/arm-sandbox/index.js';
import { startAzurite } from '../lib/dev/local/azurite.js';
import { ResourceCoalescer } from '../lib/events/coalesce.js';
import { handleResourceChange, RecentEvents } from '../lib/events/handle.js';
import { TableEvidenceStore } from '../lib/evidence/table-store.js';
import type { EvidenceInput } from '../lib/evidence/types.js';
import { eventSink } from './event-sink.js';

export const name = 'scale';

const SUB = '7a1d2c3b-4a59-4687-9a8b-7c6d5e4f3a2c';
const RG = `/subscriptions/${SUB}/resourceGroups/rg-storm`;
const NSG = `${RG}/providers/Microsoft.Network/networkSecurityGroups/nsg-storm`;
const ALICE = { upn: 'alice@contoso.example', oid: 'a11ce000-0000-4000-8000-000000000001' };
const SELF = { oid: 'd71f7000-0000-4000-8000-00000000d00d', appid: 'd71f7000-aaaa-4000-8000-00000000a99d' };
const TABLE_LATENCY_MS = 5;

const fmt = (n: number, digits = 1) => n.toFixed(digits);
const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)] ?? 0;
};
function percentile(sorted: number[], p: number): number {
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)] ?? Number.NaN;
}

function eventInput(i: number, run: string): EvidenceInput {
  const resourceId = `${RG}/providers/Microsoft.Network/networkSecurityGroups/nsg${i}`;
  return {
    idempotencyKey: `event:${run}-${i}:NSG-MGMT-PORT`,
    trigger: 'event',
    eventId: `${run}-${i}`,
    correlationId: null,
    subscriptionId: SUB,
    resourceId,
    resourceType: 'Microsoft.Network/networkSecurityGroups',
    controlId: 'NSG-MGMT-PORT',
    criteria: ['CC6.6'],
    outcome: 'remediated',
    action: 'deny rule rdp',
    message: 'RDP open to the internet',
    before: { access: 'Allow' },
    after: { access: 'Deny' },
    actor: ALICE.upn,
    exceptionId: null,
  };
}

async function contention(connectionString: string, subChains: number) {
  const pacer = new TablePacer({ ...TABLE_STORAGE_TARGETS, addedLatencyMs: TABLE_LATENCY_MS });
  const table = `scale${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  const client = createTableClient({ connectionString }, table, {
    additionalPolicies: [{ policy: pacer.policy(), position: 'perRetry' }],
  });
  await ensureTable(client);
  const instances = Array.from(
    { length: 50 },
    () => new TableEvidenceStore({ client, remediatorIdentity: 'bench', remediatorVersion: '0', subChains }),
  );
  const run = randomUUID().slice(0, 8);
  pacer.resetStats();
  const times: number[] = [];
  const started = performance.now();
  await Promise.all(
    instances.map(async (store, i) => {
      const t0 = performance.now();
      await store.append(eventInput(i, run));
      times.push(performance.now() - t0);
    }),
  );
  const wallS = (performance.now() - started) / 1000;
  const conflicts = instances.reduce((sum, store) => sum + store.stats.conflicts, 0);
  const verified = await (instances[0] as TableEvidenceStore).verify();
  times.sort((a, b) => a - b);
  return {
    eventsPerS: 50 / wallS,
    p99: percentile(times, 99),
    conflictsPerRecord: conflicts / 50,
    opsPerEvent: pacer.stats.operations / 50,
    ok: verified.ok && verified.records === 50,
    chains: verified.chains,
  };
}

const scenario: Scenario = {
  resources: [{ id: NSG, location: 'westeurope', properties: { securityRules: [] } }],
};

async function storm(connectionString: string, events: number, coalesce: boolean) {
  const sandbox = await startSandbox({ scenario, latencyMs: 50, throttle: ARM_LIKE_THROTTLE });
  const sink = await eventSink(ALICE.upn);
  try {
    await sandbox.setWebhook({ url: sink.url });
    const suffix = randomUUID().replace(/-/g, '').slice(0, 12);
    const config = loadConfig({
      DW_STORAGE: connectionString,
      DW_EVIDENCE_TABLE: `storm${suffix}`,
      DW_EXCEPTIONS_TABLE: `stormex${suffix}`,
      DW_SELF_OBJECT_ID: SELF.oid,
      DW_SELF_APP_ID: SELF.appid,
      DW_ARM_ENDPOINT: sandbox.url,
    });
    const app = createApp(config, {
      armConnection: {
        credential: sandbox.credential(SELF),
        endpoint: sandbox.url,
        clientOptions: sandbox.clientOptions(),
      },
      tablePacer: new TablePacer({ ...TABLE_STORAGE_TARGETS, addedLatencyMs: TABLE_LATENCY_MS }),
      log: () => {},
      armPollIntervalMs: 50,
    });
    const deps = await app.eventPath();
    const alice = new NetworkManagementClient(sandbox.credential(ALICE), SUB, sandbox.clientOptions());
    const next = sink.next();
    await alice.securityRules.beginCreateOrUpdateAndWait('rg-storm', 'nsg-storm', 'rdp', {
      protocol: 'Tcp',
      sourceAddressPrefix: '*',
      sourcePortRange: '*',
      destinationAddressPrefix: '*',
      destinationPortRange: '3389',
      access: 'Allow',
      priority: 100,
      direction: 'Inbound',
    });
    const template = (await next) as Record<string, unknown>;
    const storm = Array.from({ length: events }, () => ({ ...template, id: randomUUID() }));
    sandbox.resetStats();
    const shared = new ResourceCoalescer();
    const started = performance.now();
    const results = await Promise.allSettled(
      storm.map((event) =>
        handleResourceChange(event, {
          engine: deps.engine,
          selfObjectId: SELF.oid,
          selfAppId: SELF.appid,
          subscriptions: [SUB],
          ownWrites: deps.intents,
          clock: () => new Date(),
          log: () => {},
          recent: new RecentEvents(),
          coalescer: coalesce ? shared : new ResourceCoalescer(), // a fresh one each = no coalescing
        }),
      ),
    );
    const convergeS = (performance.now() - started) / 1000;
    const stats = sandbox.stats();
    const rule = await alice.securityRules.get('rg-storm', 'nsg-storm', 'rdp');
    return {
      convergeS,
      reads: stats.requests.reads,
      writes: stats.requests.writes,
      throttled: stats.throttled,
      failed: results.filter((result) => result.status === 'rejected').length,
      remediated: results.filter(
        (r) =>
          r.status === 'fulfilled' &&
          r.value.status === 'handled' &&
          r.value.records.some((x) => x.outcome === 'remediated'),
      ).length,
      denied: rule.access === 'Deny',
      clientWaitS: app.throttle.stats.waitedMs / 1000,
    };
  } finally {
    await sandbox.setWebhook(null).catch(() => {});
    await sink.close();
    await sandbox.stop();
  }
}

export async function run(): Promise<void> {
  const azurite = await startAzurite();
  try {
    const runs = Number(process.env.BENCH_SCALE_RUNS ?? 3);
    for (const [label, subChains] of [
      ['before (1 chain per subscription)', 1],
      ['after (16 sub-chains)', 16],
    ] as const) {
      const figures = [];
      for (let i = 0; i < runs; i++) figures.push(await contention(azurite.connectionString, subChains));
      const rates = figures.map((f) => f.eventsPerS);
      const p99s = figures.map((f) => f.p99);
      const conflicts = figures.map((f) => f.conflictsPerRecord);
      const ops = figures.map((f) => f.opsPerEvent);
      console.log(
        `scale: 50 concurrent events, 50 instances, one subscription, ${label}: ` +
          `${fmt(Math.min(...rates), 0)}/${fmt(median(rates), 0)} events/s (min/median of ${runs}), ` +
          `p99 ${fmt(Math.min(...p99s), 0)}/${fmt(median(p99s), 0)} ms, ` +
          `head conflicts per record ${fmt(Math.min(...conflicts), 2)}/${fmt(median(conflicts), 2)}, ` +
          `entity ops per event ${fmt(Math.min(...ops), 1)}/${fmt(median(ops), 1)}; ` +
          `verify ok ${figures.every((f) => f.ok)}, chains ${figures[0]?.chains}`,
      );
    }
    for (const [label, events, coalesce] of [
      ['before (no coalescing)', 300, false],
      ['after (coalesced per resource)', 2000, true],
    ] as const) {
      const s = await storm(azurite.connectionString, events, coalesce);
      console.log(
        `scale: event storm, ${events} events on one NSG rule, ${label}: converged in ${fmt(s.convergeS)} s; ` +
          `ARM ${s.reads} reads + ${s.writes} writes, 429s ${s.throttled}, client bucket wait ${fmt(s.clientWaitS)} s; ` +
          `${s.remediated} event(s) recorded the remediation, ${s.failed} invocation(s) failed; rule denied: ${s.denied}`,
      );
    }
  } finally {
    await azurite.stop();
  }
}
