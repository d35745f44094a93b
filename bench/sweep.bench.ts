/**
 * Monthly sweep at estate scale: 10,000 storage accounts + 10,000 NSGs in one subscription, 2%
 * drifted, 50 ms added to every ARM request, ARM-like per-subscription throttling in the sandbox
 * (reads 250 burst / 25 per s, writes 200 / 10 per s).
 *
 * Phase 1 — the ARM side, full estate: the real sweep (paged enumeration, client-side buckets,
 * the remediation engine with its write intents on Azurite) against the sandbox. The write bucket
 * bounds it: W remediation writes need (W - 200) / 10 s once the burst is spent (≈ 20 s for 400).
 * Figures: wall time next to that bound (goal ≤ 1.2×) and ARM reads spent on enumeration (goal
 * ≤ 50: list pages only, never a GET per resource). Evidence goes to an in-memory hash-chained
 * sink here, because of phase 2.
 *
 * Phase 2 — evidence throughput: the same sweep's evidence rows into the real TableEvidenceStore
 * on Azurite, through the sweep's EvidenceWriter (appendMany chunks of 500). Azurite's batch
 * transactions cost grows with the size of the partition they write (measured: 100-row batch
 * ≈ 10 ms into a fresh partition, ≈ 115 ms at 30,000 rows), and a chain is one partition per
 * subscription and month, so rows/s falls as the chain grows; real Table Storage has no such
 * growth. Phase 2 therefore writes the first EVIDENCE_SAMPLE rows and prints the first and last
 * chunk latencies beside the average, to keep the bench within a few minutes on 2 cores.
 *
 * Diagnostic settings (DIAG-RESOURCE-LOGS) are the one per-resource read: ARM lists them per
 * resource only (no subscription-wide list, and Resource Graph does not hold them), so each
 * account's blob service, vault and NSG costs one list call. Phase 1 runs with that control off so
 * its figures stay the storage/NSG enumeration; phase 1b sweeps a 1,000 + 1,000 slice with it on
 * and prints what those calls cost under the same read bucket (≈ 1 read per resource, at 25/s).
 *
 * Page size: the sandbox serves 1,000 items per list page. ARM's real list pages for storage
 * accounts and NSGs are large (hundreds to thousands of items, with nextLink beyond), so 1,000 is
 * representative; at the sandbox's default of 100, enumeration alone would take 200 reads.
 */
import { randomBytes } from 'node:crypto';
import { createApp } from '../lib/app/app.js';
import { loadConfig } from '../lib/config.js';
import { ARM_LIKE_THROTTLE, generateEstate, startSandbox } from '../lib/dev/arm-sandbox/index.js';
import { startAzurite } from '../lib/dev/local/azurite.js';
import { recordHash } from '../lib/evidence/hash.js';
import { createEvidenceStore } from '../lib/evidence/table-store.js';
import type { EvidenceInput, EvidenceRecord, EvidenceStore } from '../lib/evidence/types.js';
import { EvidenceWriter } from '../lib/sweep/evidence-writer.js';
import { runSweep } from '../lib/sweep/run.js';

export const name = 'sweep';

const STORAGE_ACCOUNTS = 10_000;
const NSGS = 10_000;
const DRIFT = 0.02;
const LATENCY_MS = 50;
const PAGE_SIZE = 1000;
const EVIDENCE_SAMPLE = 10_000;
const LIST_KINDS = new Set([
  'storageAccounts.list',
  'networkSecurityGroups.list',
  'containers.list',
  'workspaces.list',
  'vaults.list',
  'keys.list',
]);
const DIAG_SLICE = 1_000;

const fmt = (n: number, digits = 1) => n.toFixed(digits);

/** Phase 1's evidence sink: idempotent, hash-chained in memory (the CPU side of the real store, no I/O). */
class MemoryEvidence implements Pick<EvidenceStore, 'append' | 'appendMany'> {
  readonly records: EvidenceRecord[] = [];
  private readonly byKey = new Map<string, EvidenceRecord>();
  private previousHash = '0'.repeat(64);

  async append(input: EvidenceInput): Promise<EvidenceRecord> {
    const existing = this.byKey.get(input.idempotencyKey);
    if (existing) return existing;
    const sequence = this.records.length + 1;
    const unhashed = {
      ...input,
      recordId: `bench.${sequence}`,
      time: new Date().toISOString(),
      remediatorIdentity: 'bench',
      remediatorVersion: '0',
      chainId: 'bench',
      sequence,
      previousHash: this.previousHash,
    };
    const record: EvidenceRecord = { ...unhashed, hash: recordHash(unhashed) };
    this.previousHash = record.hash;
    this.records.push(record);
    this.byKey.set(input.idempotencyKey, record);
    return record;
  }

  async appendMany(inputs: EvidenceInput[]): Promise<EvidenceRecord[]> {
    const out: EvidenceRecord[] = [];
    for (const input of inputs) out.push(await this.append(input));
    return out;
  }
}

/** A 1,000-account + 1,000-NSG sweep with DIAG-RESOURCE-LOGS on: the cost of its per-resource reads. */
async function runDiagnosticsSlice(connectionString: string): Promise<void> {
  const estate = generateEstate({
    subscriptions: 1,
    storageAccounts: DIAG_SLICE,
    nsgs: DIAG_SLICE,
    driftRatio: DRIFT,
    seed: 2027,
  });
  const subscription = estate.subscriptions?.[0] ?? '';
  const sandbox = await startSandbox({
    pageSize: PAGE_SIZE,
    latencyMs: LATENCY_MS,
    throttle: ARM_LIKE_THROTTLE,
    scenario: estate,
  });
  try {
    const suffix = randomBytes(4).toString('hex');
    const config = loadConfig({
      DW_STORAGE: connectionString,
      DW_EVIDENCE_TABLE: `benchdg${suffix}`,
      DW_EXCEPTIONS_TABLE: `benchdx${suffix}`,
      DW_ARM_ENDPOINT: sandbox.url,
      DW_SUBSCRIPTION_IDS: subscription,
    });
    const runtime = await createApp(config, {
      armConnection: {
        credential: sandbox.credential({ oid: 'bench-mi' }),
        endpoint: sandbox.url,
        clientOptions: sandbox.clientOptions(),
      },
      evidence: new MemoryEvidence() as unknown as EvidenceStore,
      log: () => {},
    }).sweep();
    sandbox.resetStats();
    const started = performance.now();
    const result = await runSweep({
      subscriptions: [subscription],
      sweepId: '2026-11',
      deps: runtime,
      concurrency: 64,
    });
    const wallS = (performance.now() - started) / 1000;
    const byKind = sandbox.stats().requests.byKind;
    const diag = byKind['diagnosticSettings.list'] ?? 0;
    const lists = Object.entries(byKind).filter(([kind]) => LIST_KINDS.has(kind));
    const perResourceGets = Object.entries(byKind).filter(
      ([kind]) => kind.endsWith('.get') && !kind.startsWith('operations'),
    );
    const { burst, perSecond } = ARM_LIKE_THROTTLE.reads;
    console.log(
      `phase 1b (DIAG-RESOURCE-LOGS on, ${DIAG_SLICE} accounts + ${DIAG_SLICE} NSGs): ${fmt(wallS)} s; ` +
        `diagnosticSettings.list ${diag} (one per account blob service / NSG; read-bucket bound ${fmt(Math.max(0, diag - burst) / perSecond)} s); ` +
        `list pages ${lists.map(([k, c]) => `${k} ${c}`).join(', ')}; per-resource GETs: ${perResourceGets.map(([k, c]) => `${k} ${c}`).join(', ') || 'none'}; ` +
        `DIAG-RESOURCE-LOGS audit ${result.byControl['DIAG-RESOURCE-LOGS']?.audit ?? 0}; ` +
        `at ${STORAGE_ACCOUNTS} + ${NSGS} that is ≥ ${fmt((STORAGE_ACCOUNTS + NSGS - burst) / perSecond / 60)} min of reads per subscription`,
    );
  } finally {
    await sandbox.stop();
  }
}

export async function run(): Promise<void> {
  const estate = generateEstate({
    subscriptions: 1,
    storageAccounts: STORAGE_ACCOUNTS,
    nsgs: NSGS,
    driftRatio: DRIFT,
    seed: 2026,
  });
  const subscription = estate.subscriptions?.[0] ?? '';
  const azurite = await startAzurite();
  const sandbox = await startSandbox({
    pageSize: PAGE_SIZE,
    latencyMs: LATENCY_MS,
    throttle: ARM_LIKE_THROTTLE,
    scenario: estate,
  });
  try {
    const suffix = randomBytes(4).toString('hex');
    const config = loadConfig({
      DW_STORAGE: azurite.connectionString,
      DW_EVIDENCE_TABLE: `benchev${suffix}`,
      DW_EXCEPTIONS_TABLE: `benchex${suffix}`,
      DW_ARM_ENDPOINT: sandbox.url,
      DW_SUBSCRIPTION_IDS: subscription,
      // phase 1 measures enumeration; the per-resource diagnostic-settings reads are phase 1b
      DW_CONTROL_MODES: 'DIAG-RESOURCE-LOGS=off',
    });
    const memory = new MemoryEvidence();
    const runtime = await createApp(config, {
      armConnection: {
        credential: sandbox.credential({ oid: 'bench-mi' }),
        endpoint: sandbox.url,
        clientOptions: sandbox.clientOptions(),
      },
      evidence: memory as unknown as EvidenceStore, // only append/appendMany are used on the sweep path
      log: () => {},
    }).sweep();

    // ---- phase 1: the ARM side, full estate
    sandbox.resetStats();
    const started = performance.now();
    const result = await runSweep({
      subscriptions: [subscription],
      sweepId: '2026-11',
      deps: runtime,
      concurrency: 64,
    });
    const wallS = (performance.now() - started) / 1000;
    const stats = sandbox.stats();
    const lists = Object.entries(stats.requests.byKind).filter(([kind]) => LIST_KINDS.has(kind));
    const enumerationReads = lists.reduce((sum, [, count]) => sum + count, 0);
    const writes = stats.requests.writes;
    const burst = ARM_LIKE_THROTTLE.writes.burst;
    const boundS = Math.max(0, writes - burst) / ARM_LIKE_THROTTLE.writes.perSecond;
    const sub = result.subscriptions[0];
    const t = result.totals;
    console.log(
      `estate: ${STORAGE_ACCOUNTS} storage accounts + ${NSGS} NSGs, ${estate.drifted?.length ?? 0} drifted (${DRIFT * 100}%), ` +
        `${LATENCY_MS} ms ARM latency, ARM-like throttle, list page size ${PAGE_SIZE}`,
    );
    console.log(
      `phase 1 wall time: ${fmt(wallS)} s   write-bucket bound: ${fmt(boundS)} s ((${writes} writes - ${burst} burst) / ` +
        `${ARM_LIKE_THROTTLE.writes.perSecond} per s)   ratio ${boundS > 0 ? fmt(wallS / boundS, 2) : 'n/a'}× (goal ≤ 1.2×)`,
    );
    console.log(
      `ARM reads: ${stats.requests.reads} total; enumeration ${enumerationReads} (goal ≤ 50: ${lists.map(([k, c]) => `${k} ${c}`).join(', ')}); ` +
        `${stats.requests.reads - enumerationReads} LRO polls / re-reads`,
    );
    console.log(
      `ARM writes: ${writes}   429s from ARM: ${stats.throttled}   client-side bucket wait (sum): ${fmt(runtime.throttle.stats.waitedMs / 1000)} s`,
    );
    console.log(
      `decisions: ${t.evaluated} (pass ${t.pass}, remediated ${t.remediated}, audit ${t.audit}, failed ${t.failed}, exempt ${t.exempt}) ` +
        `= ${fmt(t.evaluated / wallS, 0)} evidence rows/s into the in-memory chain; resources ${sub?.resources ?? 0}, ` +
        `status ${sub?.status}, errors ${sub?.errors.length ?? 0}${sub?.errors[0] ? ` (first: ${sub.errors[0].message})` : ''}`,
    );

    // ---- phase 1b: DIAG-RESOURCE-LOGS on, over a slice: one diagnostic-settings list per resource
    await runDiagnosticsSlice(azurite.connectionString);

    // ---- phase 2: the same rows into the real evidence store on Azurite
    const store = await createEvidenceStore(config, { remediatorIdentity: 'bench', remediatorVersion: '0' });
    const sample = memory.records.slice(0, EVIDENCE_SAMPLE);
    const latencies: number[] = [];
    let stored = 0;
    const writer = new EvidenceWriter(
      async (inputs) => {
        const t0 = performance.now();
        const records = await store.appendMany(inputs);
        latencies.push(performance.now() - t0);
        return records;
      },
      (records) => {
        stored += records.length;
      },
    );
    const evidenceStarted = performance.now();
    for (const {
      recordId: _r,
      time: _t,
      remediatorIdentity: _i,
      remediatorVersion: _v,
      chainId: _c,
      sequence: _s,
      previousHash: _p,
      hash: _h,
      ...input
    } of sample) {
      await writer.add([input]);
    }
    await writer.close();
    const evidenceS = (performance.now() - evidenceStarted) / 1000;
    console.log(
      `phase 2 evidence (real TableEvidenceStore on Azurite): ${stored} rows in ${fmt(evidenceS)} s = ${fmt(stored / evidenceS, 0)} rows/s; ` +
        `appendMany(500) first ${fmt(latencies[0] ?? 0, 0)} ms, last ${fmt(latencies.at(-1) ?? 0, 0)} ms (single-partition chain on Azurite)` +
        (writer.error ? `; error: ${writer.error.message}` : ''),
    );
  } finally {
    await sandbox.stop();
    await azurite.stop();
  }
}
