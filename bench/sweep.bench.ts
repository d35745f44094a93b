/**
 * Monthly sweep at estate scale with the REAL evidence store: 2k+2k and 10k+10k (storage accounts
 * + NSGs) in one subscription, 2% drifted, 50 ms added to every ARM request, ARM-like
 * per-subscription throttling in the sandbox (reads 250 burst / 25 per s, writes 200 / 10 per s).
 *
 * Everything is the production path: createApp's sweep runtime (paged enumeration, client-side ARM
 * buckets, the remediation engine with its write intents) and its TableEvidenceStore (16
 * sub-chains, 16 log shards) on Azurite, behind a model of real Table Storage: the app's
 * TablePacer at the service targets (2,000 entity operations/s per partition, 20,000/s per
 * account) plus TABLE_LATENCY_MS per request (Azurite has neither targets nor network latency).
 *
 * Bound: the ARM buckets bound the sweep: W writes need (W - 200) / 10 s once the write burst is
 * spent, R reads (R - 250) / 25 s; the bound is the larger (goal: wall ≤ 1.2× bound). At 2k+2k
 * (80 drifted, ~80 writes) both buckets stay inside their bursts, so the bound is the
 * enumeration floor instead: list pages at 50 ms each, (pages) × 50 ms — printed as such.
 *
 * `npm run bench -- sweep` prints per estate exactly one line
 *   sweep real-store <estate>: <wall> s, bound <bound> s, ratio <r>x
 * (the median of the runs), then the detail lines. BENCH_SWEEP_RUNS (default 3 for 2k+2k, 1 for
 * 10k+10k) sets the runs; BENCH_SWEEP_ESTATES=2k+2k limits the estates.
 */
import { randomBytes } from 'node:crypto';
import { createApp } from '../lib/app/app.js';
import { TABLE_STORAGE_TARGETS, TablePacer } from '../lib/azure/table-pacing.js';
import { loadConfig } from '../lib/config.js';
import { ARM_LIKE_THROTTLE, generateEstate, startSandbox } from '../lib/dev/arm-sandbox/index.js';
import { type AzuriteHandle, startAzurite } from '../lib/dev/local/azurite.js';
import { recordHash } from '../lib/evidence/hash.js';
import type { EvidenceInput, EvidenceRecord, EvidenceStore } from '../lib/evidence/types.js';
import { runSweep } from '../lib/sweep/run.js';

export const name = 'sweep';

const DRIFT = 0.02;
const LATENCY_MS = 50;
const TABLE_LATENCY_MS = 5;
const PAGE_SIZE = 1000;
const LIST_KINDS = new Set(['storageAccounts.list', 'networkSecurityGroups.list', 'containers.list']);
export const ESTATES = [
  { label: '2k+2k', storageAccounts: 2_000, nsgs: 2_000, runs: 3 },
  { label: '10k+10k', storageAccounts: 10_000, nsgs: 10_000, runs: 1 },
];

const fmt = (n: number, digits = 1) => n.toFixed(digits);
const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
};

/** Isolates the store's cost: idempotent, hash-chained in memory (the CPU side, no I/O). */
class MemoryEvidence implements Pick<EvidenceStore, 'append' | 'appendMany'> {
  private readonly byKey = new Map<string, EvidenceRecord>();
  private previousHash = '0'.repeat(64);
  private sequence = 0;

  async append(input: EvidenceInput): Promise<EvidenceRecord> {
    const existing = this.byKey.get(input.idempotencyKey);
    if (existing) return existing;
    const sequence = ++this.sequence;
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
    this.byKey.set(input.idempotencyKey, record);
    return record;
  }

  async appendMany(inputs: EvidenceInput[]): Promise<EvidenceRecord[]> {
    const out: EvidenceRecord[] = [];
    for (const input of inputs) out.push(await this.append(input));
    return out;
  }
}

interface RunFigures {
  wallS: number;
  boundS: number;
  boundKind: string;
  decisions: number;
  armReads: number;
  enumerationReads: number;
  armWrites: number;
  throttled429: number;
  tableRequests: number;
  tableOperations: number;
  tableWaitS: number;
  busiest: { partitionKey: string; share: number };
  partitions: number;
  peakRssMiB: number;
  rssGrowthMiB: number;
  status: string;
  errors: number;
  firstError: string;
  drifted: number;
}

export async function sweepOnce(
  azurite: AzuriteHandle,
  estate: (typeof ESTATES)[number],
  evidence: 'real' | 'memory',
): Promise<RunFigures> {
  const scenario = generateEstate({
    subscriptions: 1,
    storageAccounts: estate.storageAccounts,
    nsgs: estate.nsgs,
    driftRatio: DRIFT,
    seed: 2026,
  });
  const subscription = scenario.subscriptions?.[0] ?? '';
  const sandbox = await startSandbox({
    pageSize: PAGE_SIZE,
    latencyMs: LATENCY_MS,
    throttle: ARM_LIKE_THROTTLE,
    scenario,
  });
  try {
    const suffix = randomBytes(4).toString('hex');
    const config = loadConfig({
      DW_STORAGE: azurite.connectionString,
      DW_EVIDENCE_TABLE: `benchev${suffix}`,
      DW_EXCEPTIONS_TABLE: `benchex${suffix}`,
      DW_ARM_ENDPOINT: sandbox.url,
      DW_SUBSCRIPTION_IDS: subscription,
    });
    const pacer = new TablePacer({ ...TABLE_STORAGE_TARGETS, addedLatencyMs: TABLE_LATENCY_MS });
    const runtime = await createApp(config, {
      armConnection: {
        credential: sandbox.credential({ oid: 'bench-mi' }),
        endpoint: sandbox.url,
        clientOptions: sandbox.clientOptions(),
      },
      tablePacer: pacer,
      ...(evidence === 'memory'
        ? { evidence: new MemoryEvidence() as unknown as EvidenceStore } // the sweep path uses only append/appendMany
        : {}),
      log: () => {},
    }).sweep();
    sandbox.resetStats();
    pacer.resetStats();
    global.gc?.();
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 50);
    const started = performance.now();
    const result = await runSweep({
      subscriptions: [subscription],
      sweepId: '2026-11',
      deps: runtime,
      concurrency: 64,
    });
    const wallS = (performance.now() - started) / 1000;
    clearInterval(sampler);
    peak = Math.max(peak, process.memoryUsage().rss);
    const stats = sandbox.stats();
    const lists = Object.entries(stats.requests.byKind).filter(([kind]) => LIST_KINDS.has(kind));
    const enumerationReads = lists.reduce((sum, [, count]) => sum + count, 0);
    const { writes, reads } = stats.requests;
    const writeBound =
      Math.max(0, writes - ARM_LIKE_THROTTLE.writes.burst) / ARM_LIKE_THROTTLE.writes.perSecond;
    const readBound = Math.max(0, reads - ARM_LIKE_THROTTLE.reads.burst) / ARM_LIKE_THROTTLE.reads.perSecond;
    // both buckets inside their burst: the list pages, one after another, are the floor
    const pages = Math.max(
      stats.requests.byKind['storageAccounts.list'] ?? 0,
      stats.requests.byKind['networkSecurityGroups.list'] ?? 0,
    );
    const floor = (pages * LATENCY_MS) / 1000;
    const [boundS, boundKind] =
      writeBound >= readBound && writeBound > floor
        ? [
            writeBound,
            `write bucket ((${writes} writes - ${ARM_LIKE_THROTTLE.writes.burst}) / ${ARM_LIKE_THROTTLE.writes.perSecond}/s)`,
          ]
        : readBound > floor
          ? [
              readBound,
              `read bucket ((${reads} reads - ${ARM_LIKE_THROTTLE.reads.burst}) / ${ARM_LIKE_THROTTLE.reads.perSecond}/s)`,
            ]
          : [
              floor,
              `enumeration floor (${pages} list pages × ${LATENCY_MS} ms; ${writes} writes and ${reads} reads fit the bursts)`,
            ];
    const sub = result.subscriptions[0];
    return {
      wallS,
      boundS,
      boundKind,
      decisions: result.totals.evaluated,
      armReads: reads,
      enumerationReads,
      armWrites: writes,
      throttled429: stats.throttled,
      tableRequests: pacer.stats.requests,
      tableOperations: pacer.stats.operations,
      tableWaitS: pacer.stats.waitedMs / 1000,
      busiest: pacer.busiest(),
      partitions: pacer.stats.byPartition.size,
      peakRssMiB: peak / 2 ** 20,
      rssGrowthMiB: (peak - baseline) / 2 ** 20,
      status: sub?.status ?? 'none',
      errors: sub?.errors.length ?? 0,
      firstError: sub?.errors[0]?.message ?? '',
      drifted: scenario.drifted?.length ?? 0,
    };
  } finally {
    await sandbox.stop();
  }
}

export async function run(): Promise<void> {
  const only = process.env.BENCH_SWEEP_ESTATES?.split(',');
  const estates = ESTATES.filter((estate) => !only || only.includes(estate.label));
  const azurite = await startAzurite();
  try {
    for (const estate of estates) {
      const runs = Number(process.env.BENCH_SWEEP_RUNS ?? estate.runs);
      const figures: RunFigures[] = [];
      for (let i = 0; i < runs; i++) figures.push(await sweepOnce(azurite, estate, 'real'));
      const walls = figures.map((f) => f.wallS);
      const last = figures.at(-1) as RunFigures;
      const mid = median(walls);
      const summary = `sweep real-store ${estate.label}: ${fmt(mid)} s, bound ${fmt(last.boundS)} s, ratio ${fmt(mid / last.boundS, 2)}x`;
      console.log(summary);
      console.log(
        `  ${estate.storageAccounts} storage accounts + ${estate.nsgs} NSGs, ${last.drifted} drifted; ${runs} run(s): ` +
          `wall min ${fmt(Math.min(...walls))} / median ${fmt(mid)} s; bound = ${last.boundKind}; ` +
          `status ${last.status}, errors ${last.errors}${last.firstError ? ` (first: ${last.firstError})` : ''}`,
      );
      console.log(
        `  ${last.decisions} decisions = ${fmt(last.decisions / last.wallS, 0)} decisions/s; ARM reads ${last.armReads} ` +
          `(enumeration ${last.enumerationReads}), writes ${last.armWrites}, 429s ${last.throttled429}`,
      );
      console.log(
        `  Table (model: ${TABLE_STORAGE_TARGETS.partitionPerSecond}/s per partition, ${TABLE_STORAGE_TARGETS.accountPerSecond}/s per account, ` +
          `+${TABLE_LATENCY_MS} ms per request): ${last.tableRequests} requests, ${last.tableOperations} entity ops = ` +
          `${fmt(last.tableRequests / last.decisions, 3)} requests and ${fmt(last.tableOperations / last.decisions, 2)} entity ops per decision; ` +
          `${last.partitions} partitions; busiest ${last.busiest.partitionKey} ${fmt(last.busiest.share * 100)}% of ops; waited for targets ${fmt(last.tableWaitS)} s`,
      );
      console.log(
        `  peak RSS ${fmt(last.peakRssMiB, 0)} MiB for the whole bench process (ARM sandbox with the estate in it included), ` +
          `growth during the sweep ${fmt(last.rssGrowthMiB, 0)} MiB (driftwarden's own share; goal ≤ 256 MiB)`,
      );
      if (estate.label === '2k+2k') {
        const memory = await sweepOnce(azurite, estate, 'memory');
        console.log(
          `  same sweep, in-memory evidence (isolates the store's cost): ${fmt(memory.wallS)} s, ${fmt(memory.decisions / memory.wallS, 0)} decisions/s`,
        );
      }
    }
  } finally {
    await azurite.stop();
  }
}
