/**
 * Automatic response, per control: ARM round trips per remediation and event-to-evidence latency
 * (event handed to handleResourceChange → evidence stored in Table Storage), at 0 ms and 50 ms
 * injected ARM latency. Real SDK clients against the ARM sandbox, real TableEvidenceStore on
 * Azurite (both started here). Goal: 1 read + 1 write (+ LRO polls); p50 ≤ 25 ms, p99 ≤ 60 ms at 0 ms.
 * A rule PUT is a long-running operation: its GETs include the LRO's final GET of the rule, which
 * the per-kind breakdown shows next to the status polls (operations.get).
 * Run: npx tsx -e "import('./bench/events.bench.ts').then(m=>m.run())"
 */
import { randomUUID } from 'node:crypto';
import { NetworkManagementClient } from '@azure/arm-network';
import { StorageManagementClient } from '@azure/arm-storage';
import { createApp } from '../lib/app/app.js';
import { loadConfig } from '../lib/config.js';
import { type Sandbox, type Scenario, startSandbox } from '../lib/dev/arm-sandbox/index.js';
import { startAzurite } from '../lib/dev/local/azurite.js';
import { handleResourceChange, RecentEvents } from '../lib/events/handle.js';
import { eventSink } from './event-sink.js';

export const name = 'events';

const SUB = '5e1d2c3b-4a59-4687-9a8b-7c6d5e4f3a2b';
const RG = `/subscriptions/${SUB}/resourceGroups/rg-bench`;
const ACCOUNT = `${RG}/providers/Microsoft.Storage/storageAccounts/benchacct01`;
const CONTAINER = `${ACCOUNT}/blobServices/default/containers/scans`;
const NSG = `${RG}/providers/Microsoft.Network/networkSecurityGroups/nsg-bench`;
const ALICE = { upn: 'alice@contoso.example', oid: 'a11ce000-0000-4000-8000-000000000001' };
const SELF = { oid: 'd71f7000-0000-4000-8000-00000000d00d', appid: 'd71f7000-aaaa-4000-8000-00000000a99d' };

const scenario: Scenario = {
  resources: [
    {
      id: ACCOUNT,
      location: 'westeurope',
      kind: 'StorageV2',
      sku: { name: 'Standard_LRS' },
      properties: {
        allowBlobPublicAccess: true,
        supportsHttpsTrafficOnly: true,
        minimumTlsVersion: 'TLS1_2',
      },
    },
    { id: CONTAINER, properties: { publicAccess: 'None' } },
    { id: NSG, location: 'westeurope', properties: { securityRules: [] } },
  ],
};

interface Case {
  control: string;
  /** alice's drift through the SDK; the returned event is the one to handle */
  drift(alice: { storage: StorageManagementClient; network: NetworkManagementClient }): Promise<unknown>;
  /** put the resource back in the state the drift starts from, without an event we handle */
  prepare?(self: { storage: StorageManagementClient }): Promise<unknown>;
}

const rule = (port: string, sources: string[], priority: number) => ({
  protocol: 'Tcp' as const,
  sourceAddressPrefixes: sources,
  sourcePortRange: '*',
  destinationAddressPrefix: '*',
  destinationPortRange: port,
  access: 'Allow' as const,
  priority,
  direction: 'Inbound' as const,
});

// @azure/arm-storage 20.0.0 only sends `properties` when a PascalCase marker key is present (see lib/azure/resources.ts)
const marker = { AllowBlobPublicAccess: null } as Record<string, unknown>;

const CASES: Case[] = [
  {
    control: 'STG-PUBLIC-BLOB',
    drift: (a) =>
      a.storage.storageAccounts.update('rg-bench', 'benchacct01', { allowBlobPublicAccess: true, ...marker }),
  },
  {
    control: 'STG-HTTPS-ONLY',
    drift: (a) =>
      a.storage.storageAccounts.update('rg-bench', 'benchacct01', {
        enableHttpsTrafficOnly: false,
        ...marker,
      }),
  },
  {
    control: 'STG-MIN-TLS',
    drift: (a) =>
      a.storage.storageAccounts.update('rg-bench', 'benchacct01', { minimumTlsVersion: 'TLS1_0' }),
  },
  {
    control: 'STG-CONTAINER-PUBLIC',
    // containers may only be public while the account allows it: open the account first (our own identity: loop-guarded)
    prepare: (s) =>
      s.storage.storageAccounts.update('rg-bench', 'benchacct01', { allowBlobPublicAccess: true, ...marker }),
    drift: (a) =>
      a.storage.blobContainers.update('rg-bench', 'benchacct01', 'scans', { publicAccess: 'Container' }),
  },
  {
    control: 'NSG-MGMT-PORT',
    drift: (a) =>
      a.network.securityRules.beginCreateOrUpdateAndWait(
        'rg-bench',
        'nsg-bench',
        'rdp',
        rule('3389', ['*'], 100),
      ),
  },
  {
    control: 'NSG-OPEN-INBOUND',
    drift: (a) =>
      a.network.securityRules.beginCreateOrUpdateAndWait(
        'rg-bench',
        'nsg-bench',
        'partner',
        rule('8443', ['10.1.0.0/16', '0.0.0.0/0'], 110),
      ),
  },
];

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)] as number;
}

async function measure(
  sandbox: Sandbox,
  connectionString: string,
  latencyMs: number,
  iterations: number,
): Promise<string[]> {
  const lines: string[] = [];
  const config = loadConfig({
    DW_STORAGE: connectionString,
    DW_EVIDENCE_TABLE: `bench${randomUUID().replace(/-/g, '').slice(0, 12)}`,
    DW_EXCEPTIONS_TABLE: `benchex${randomUUID().replace(/-/g, '').slice(0, 12)}`,
    DW_SELF_OBJECT_ID: SELF.oid,
    DW_SELF_APP_ID: SELF.appid,
    DW_ARM_ENDPOINT: sandbox.url,
    DW_SUBSCRIPTION_IDS: SUB,
  });
  const deps = await createApp(config, {
    armConnection: {
      credential: sandbox.credential(SELF),
      endpoint: sandbox.url,
      clientOptions: { ...sandbox.clientOptions() },
    },
    log: () => {},
    armPollIntervalMs: 10,
  }).eventPath();
  const sink = await eventSink(ALICE.upn);
  await sandbox.setWebhook({ url: sink.url });
  const alice = {
    storage: new StorageManagementClient(sandbox.credential(ALICE), SUB, { ...sandbox.clientOptions() }),
    network: new NetworkManagementClient(sandbox.credential(ALICE), SUB, { ...sandbox.clientOptions() }),
  };
  const self = {
    storage: new StorageManagementClient(sandbox.credential(SELF), SUB, { ...sandbox.clientOptions() }),
  };
  const handlerDeps = {
    ...deps.handlerDeps(() => {}),
    recent: new RecentEvents(),
  };
  const subjectOf = (c: Case) =>
    c.control === 'STG-CONTAINER-PUBLIC'
      ? CONTAINER
      : c.control.startsWith('NSG')
        ? `${NSG}/securityRules/${c.control === 'NSG-MGMT-PORT' ? 'rdp' : 'partner'}`
        : ACCOUNT;
  // warm up connections, token cache and tables (first calls pay TLS and table creation)
  for (const c of CASES) {
    await c.prepare?.(self);
    const next = sink.next(subjectOf(c));
    await c.drift(alice);
    await handleResourceChange(await next, handlerDeps);
  }
  sandbox.setLatency(latencyMs);
  for (const c of CASES) {
    const subject = subjectOf(c);
    const times: number[] = [];
    let reads = 0;
    let writes = 0;
    let polls = 0;
    let remediated = 0;
    const byKind = new Map<string, number>();
    for (let i = 0; i < iterations; i++) {
      await c.prepare?.(self);
      const next = sink.next(subject);
      await c.drift(alice);
      const event = await next;
      sandbox.resetStats();
      const started = performance.now();
      const result = await handleResourceChange(event, handlerDeps);
      times.push(performance.now() - started);
      const stats = sandbox.stats().requests;
      polls += stats.byKind['operations.get'] ?? 0;
      reads += stats.reads - (stats.byKind['operations.get'] ?? 0);
      writes += stats.writes;
      for (const [kind, count] of Object.entries(stats.byKind))
        byKind.set(kind, (byKind.get(kind) ?? 0) + count);
      if (result.status === 'handled' && result.records.some((r) => r.outcome === 'remediated')) remediated++;
    }
    times.sort((a, b) => a - b);
    lines.push(
      `events: ${c.control.padEnd(20)} latency ${String(latencyMs).padStart(2)} ms: ` +
        `p50 ${percentile(times, 50).toFixed(1)} ms, p99 ${percentile(times, 99).toFixed(1)} ms; ` +
        `per remediation ${(reads / iterations).toFixed(2)} GET(s) + ${(writes / iterations).toFixed(2)} write(s) + ${(polls / iterations).toFixed(2)} LRO status poll(s) ` +
        `(${remediated}/${iterations} remediated; ` +
        `${[...byKind].map(([kind, count]) => `${kind} ${(count / iterations).toFixed(2)}`).join(', ')})`,
    );
  }
  sandbox.setLatency(0);
  await sandbox.setWebhook(null);
  await sink.close();
  return lines;
}

export async function run(): Promise<void> {
  const azurite = await startAzurite();
  const sandbox = await startSandbox({ scenario });
  try {
    for (const line of await measure(sandbox, azurite.connectionString, 0, 60)) console.log(line);
    for (const line of await measure(sandbox, azurite.connectionString, 50, 15)) console.log(line);
  } finally {
    await sandbox.stop();
    await azurite.stop();
  }
}
