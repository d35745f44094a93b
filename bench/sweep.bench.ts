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
 * driftwarden runs in a child process (bench/sweep-child.ts, bundled with scripts/build.mjs's esbuild
 * options and run on plain node, as deployed; BENCH_SWEEP_TSX=1 runs the sources under tsx), so its
 * peak RSS is its own. Memory switches for the child: BENCH_SWEEP_HEAP_MIB (old-space cap),
 * BENCH_SWEEP_NODE_FLAGS, BENCH_SWEEP_V8_FLAGS (set at run time), BENCH_SWEEP_TRACE_S,
 * BENCH_SWEEP_SNAPSHOT_S, BENCH_SWEEP_ALLOC_PROFILE (see sweep-child.ts); DW_CONTROL_MODES passes through.
 *
 * `npm run bench -- sweep` prints per estate exactly one line
 *   sweep real-store <estate>: <wall> s, bound <bound> s, ratio <r>x
 * (the median of the runs), then the detail lines. BENCH_SWEEP_RUNS (default 3 for 2k+2k, 1 for
 * the others) sets the runs; BENCH_SWEEP_ESTATES=2k+2k limits the estates (labels, comma-separated);
 * BENCH_SWEEP_SKIP_MEMORY=1 skips the in-memory comparison run.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { TABLE_STORAGE_TARGETS } from '../lib/azure/table-pacing.js';
import { createTableClient, ensureTable } from '../lib/azure/tables.js';
import { ARM_LIKE_THROTTLE, generateEstate, startSandbox } from '../lib/dev/arm-sandbox/index.js';
import { type AzuriteHandle, startAzurite } from '../lib/dev/local/azurite.js';

export const name = 'sweep';

const DRIFT = 0.02;
const LATENCY_MS = 50;
const TABLE_LATENCY_MS = 5;
const PAGE_SIZE = 1000;
const LIST_KINDS = new Set(['storageAccounts.list', 'networkSecurityGroups.list', 'containers.list']);
/**
 * The tracked 2k+2k and 10k+10k lines measure the store against the ARM write bound (issue 12), so
 * they sweep with DIAG-RESOURCE-LOGS off: with it on, its one diagnostic-settings read per
 * resource makes the read bucket the bound (20k reads ≈ 13 min at 25/s) and hides the store's
 * cost. The last estate sweeps 2k+2k with every control at its default, DIAG included, to show
 * that cost (also `npm run bench -- sweep-diagnostics`).
 */
const WRITE_BOUND_MODES = 'DIAG-RESOURCE-LOGS=off';
export const ESTATES = [
  { label: '2k+2k', storageAccounts: 2_000, nsgs: 2_000, runs: 3, modes: WRITE_BOUND_MODES },
  { label: '10k+10k', storageAccounts: 10_000, nsgs: 10_000, runs: 1, modes: WRITE_BOUND_MODES },
  { label: '2k+2k default controls', storageAccounts: 2_000, nsgs: 2_000, runs: 1, modes: '' },
];

const fmt = (n: number, digits = 1) => n.toFixed(digits);
const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
};

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
  peakHeapMiB: number;
  baselineRssMiB: number;
  /** V8 heap reserved (heapTotal) at the highest RSS sampled */
  heapAtPeakMiB: number;
  status: string;
  errors: number;
  firstError: string;
  drifted: number;
  /** Azurite's raw insert rate (entity ops/s) into the sweep's table afterwards, and into an empty one */
  azuriteRate: { full: number; empty: number } | null;
}

interface ChildFigures {
  wallS: number;
  decisions: number;
  tableRequests: number;
  tableOperations: number;
  tableWaitS: number;
  busiest: { partitionKey: string; share: number };
  partitions: number;
  peakRssMiB: number;
  peakHeapMiB: number;
  baselineRssMiB: number;
  atPeak: { heapTotal?: number };
  status: string;
  errors: number;
  firstError: string;
}

/**
 * bench/sweep-child.ts bundled the way scripts/build.mjs bundles the deployed code (same esbuild
 * options, lazily loaded chunks), so the child runs on plain node: its RSS is the deployed code's,
 * without tsx's transpiler and its cache of transformed sources. Once per bench process.
 */
let bundled: Promise<string> | null = null;
function bundleChild(): Promise<string> {
  bundled ??= (async () => {
    const esbuild = await import('esbuild');
    const { BUNDLE_OPTIONS } = await import('../scripts/build.mjs');
    await esbuild.build({
      ...BUNDLE_OPTIONS,
      entryPoints: ['bench/sweep-child.ts'],
      outdir: 'dist/bench',
      entryNames: '[name]',
      splitting: true,
      chunkNames: 'chunks/[name]-[hash]',
      write: true,
    });
    return fileURLToPath(new URL('../dist/bench/sweep-child.js', import.meta.url));
  })();
  return bundled;
}

/**
 * Runs the sweep child (the sweep, nothing else) and returns what it printed. BENCH_SWEEP_TSX=1
 * runs the TypeScript sources under tsx instead (what the figures were before the bundle).
 */
async function runChild(args: Record<string, unknown>): Promise<ChildFigures> {
  const entry = process.env.BENCH_SWEEP_TSX
    ? ['--import', 'tsx', fileURLToPath(new URL('./sweep-child.ts', import.meta.url))]
    : [await bundleChild()];
  return new Promise((resolve, reject) => {
    // BENCH_SWEEP_HEAP_MIB caps the child's old space: shows the live set, not V8's lazy collection
    const heap = process.env.BENCH_SWEEP_HEAP_MIB
      ? [`--max-old-space-size=${process.env.BENCH_SWEEP_HEAP_MIB}`]
      : [];
    // BENCH_SWEEP_NODE_FLAGS: more node/V8 flags for the child alone (GC experiments)
    const flags = process.env.BENCH_SWEEP_NODE_FLAGS?.split(' ').filter(Boolean) ?? [];
    const child = spawn(process.execPath, [...heap, ...flags, ...entry, JSON.stringify(args)], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, NODE_EXTRA_CA_CERTS: String(args.caCertPath) },
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.once('error', reject);
    child.once('exit', (code) => {
      const line = out.trim().split('\n').at(-1) ?? '';
      if (code !== 0) reject(new Error(`sweep child exited ${code}: ${out.slice(-500)}`));
      else {
        if (process.env.BENCH_SWEEP_DEBUG) console.log(line);
        resolve(JSON.parse(line) as ChildFigures);
      }
    });
  });
}

/**
 * Azurite's own insert rate, with nothing of driftwarden in the way: 10 batches of 100 new
 * entities (one partition each, one batch at a time) into `table`. Run into the sweep's table
 * after the sweep and into an empty one, it shows what the table's size costs Azurite per
 * operation (LokiJS keeps one collection per table with binary indices on PartitionKey and RowKey,
 * updated on every insert), which real Table Storage does not charge.
 */
async function azuriteInsertRate(azurite: AzuriteHandle, table: string): Promise<number> {
  const client = createTableClient({ connectionString: azurite.connectionString }, table);
  await ensureTable(client);
  const payload = 'x'.repeat(600);
  const started = performance.now();
  for (let batch = 0; batch < 10; batch++) {
    const partitionKey = `probe~${randomBytes(4).toString('hex')}`;
    await client.submitTransaction(
      Array.from({ length: 100 }, (_, row) => [
        'create',
        { partitionKey, rowKey: String(row).padStart(4, '0'), payload },
      ]),
    );
  }
  return 1000 / ((performance.now() - started) / 1000);
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
    // driftwarden runs in a child process, so its peak RSS is its own (the sandbox holds the estate here)
    sandbox.resetStats();
    const suffix = randomBytes(4).toString('hex');
    const child = await runChild({
      sandboxUrl: sandbox.url,
      caCertPath: sandbox.caCertPath,
      connectionString: azurite.connectionString,
      subscription,
      suffix,
      evidence,
      tableLatencyMs: TABLE_LATENCY_MS,
      modes: estate.modes,
    });
    const wallS = child.wallS;
    const azuriteProbe =
      evidence === 'real'
        ? {
            full: await azuriteInsertRate(azurite, `benchev${suffix}`),
            empty: await azuriteInsertRate(azurite, `benchprobe${suffix}`),
          }
        : null;
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
    return {
      wallS,
      boundS,
      boundKind,
      decisions: child.decisions,
      armReads: reads,
      enumerationReads,
      armWrites: writes,
      throttled429: stats.throttled,
      tableRequests: child.tableRequests,
      tableOperations: child.tableOperations,
      tableWaitS: child.tableWaitS,
      busiest: child.busiest,
      partitions: child.partitions,
      peakRssMiB: child.peakRssMiB,
      peakHeapMiB: child.peakHeapMiB,
      baselineRssMiB: child.baselineRssMiB,
      heapAtPeakMiB: child.atPeak.heapTotal ?? 0,
      status: child.status,
      errors: child.errors,
      firstError: child.firstError,
      drifted: scenario.drifted?.length ?? 0,
      azuriteRate: azuriteProbe,
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
      const runtime = process.env.BENCH_SWEEP_TSX
        ? 'tsx running the TypeScript sources'
        : 'plain node running the esbuild bundle, as deployed';
      console.log(
        `  peak RSS of the sweep's own process (${runtime}: app, engine, evidence store, SDKs; the sandbox runs elsewhere): ` +
          `${figures.map((f) => fmt(f.peakRssMiB, 0)).join(' / ')} MiB (goal ≤ 256 MiB); before the sweep ` +
          `${fmt(last.baselineRssMiB, 0)} MiB (Node and driftwarden's code loaded, app created); ` +
          `V8 heap reserved at the peak ${figures.map((f) => fmt(f.heapAtPeakMiB, 0)).join(' / ')} MiB, ` +
          `peak JS heap used ${figures.map((f) => fmt(f.peakHeapMiB, 0)).join(' / ')} MiB` +
          (process.env.BENCH_SWEEP_HEAP_MIB
            ? ` (old space capped at ${process.env.BENCH_SWEEP_HEAP_MIB} MiB)`
            : '') +
          (process.env.BENCH_SWEEP_NODE_FLAGS ? ` (node flags: ${process.env.BENCH_SWEEP_NODE_FLAGS})` : '') +
          (process.env.BENCH_SWEEP_V8_FLAGS
            ? ` (V8 flags set at run time: ${process.env.BENCH_SWEEP_V8_FLAGS})`
            : '') +
          (estate.modes || process.env.DW_CONTROL_MODES
            ? ` (DW_CONTROL_MODES=${estate.modes || process.env.DW_CONTROL_MODES})`
            : ' (every control at its default mode)'),
      );
      if (last.azuriteRate)
        console.log(
          `  Azurite alone (100-entity batches, one at a time, nothing of driftwarden): ${fmt(last.azuriteRate.empty, 0)} entity ops/s into an empty table, ` +
            `${fmt(last.azuriteRate.full, 0)}/s into this sweep's table after it (~${last.tableOperations} rows written); the sweep's ${last.tableOperations} ops at that rate alone ≈ ` +
            `${fmt(last.tableOperations / last.azuriteRate.full)} s of Azurite, one request at a time`,
        );
      if (estate.modes && !process.env.BENCH_SWEEP_SKIP_MEMORY) {
        const memory = await sweepOnce(azurite, estate, 'memory');
        console.log(
          `  same sweep, in-memory evidence (isolates the store's cost): ${fmt(memory.wallS)} s, ${fmt(memory.decisions / memory.wallS, 0)} decisions/s, ` +
            `${fmt(memory.wallS / memory.boundS, 2)}x its bound of ${fmt(memory.boundS)} s`,
        );
      }
    }
  } finally {
    await azurite.stop();
  }
}
