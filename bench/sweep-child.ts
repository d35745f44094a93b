/**
 * The sweep half of bench/sweep.bench.ts, in its own process so its peak RSS is driftwarden's
 * alone (the ARM sandbox, holding the generated estate, stays in the parent). Argument: JSON
 * {sandboxUrl, caCertPath, connectionString, subscription, suffix, evidence, tableLatencyMs};
 * prints one JSON line of figures. Not a bench module itself (no `.bench.ts`).
 */
// as the deployed entry points do, first: V8's heap policy (lib/host/small-heap.ts)
import '../lib/host/small-heap.js';
import { readFileSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { Session } from 'node:inspector/promises';
import { setFlagsFromString, writeHeapSnapshot } from 'node:v8';
import { createApp } from '../lib/app/app.js';
import { TABLE_STORAGE_TARGETS, TablePacer } from '../lib/azure/table-pacing.js';
import { loadConfig } from '../lib/config.js';
import { sandboxCredential } from '../lib/dev/arm-sandbox/credential.js';
import { runSweep } from '../lib/sweep/run.js';
import { MemoryEvidence } from './memory-evidence.js';

interface Args {
  sandboxUrl: string;
  caCertPath: string;
  connectionString: string;
  subscription: string;
  suffix: string;
  evidence: 'real' | 'memory';
  tableLatencyMs: number;
  /** DW_CONTROL_MODES for this run ('' = the defaults) */
  modes?: string;
}

// BENCH_SWEEP_V8_FLAGS: V8 flags set at run time (as the app itself could), unlike command-line flags
if (process.env.BENCH_SWEEP_V8_FLAGS) setFlagsFromString(process.env.BENCH_SWEEP_V8_FLAGS);
const args = JSON.parse(process.argv[2] ?? '{}') as Args;
const config = loadConfig({
  DW_STORAGE: args.connectionString,
  DW_EVIDENCE_TABLE: `benchev${args.suffix}`,
  DW_EXCEPTIONS_TABLE: `benchex${args.suffix}`,
  DW_ARM_ENDPOINT: args.sandboxUrl,
  DW_SUBSCRIPTION_IDS: args.subscription,
  // the estate's modes (sweep.bench.ts ESTATES), else DW_CONTROL_MODES as an iteration aid
  ...(args.modes || process.env.DW_CONTROL_MODES
    ? { DW_CONTROL_MODES: args.modes || process.env.DW_CONTROL_MODES }
    : {}),
});
const pacer = new TablePacer({ ...TABLE_STORAGE_TARGETS, addedLatencyMs: args.tableLatencyMs });
const agent = new https.Agent({ ca: readFileSync(args.caCertPath), keepAlive: true });
const runtime = await createApp(config, {
  armConnection: {
    credential: sandboxCredential({ oid: 'bench-mi' }),
    endpoint: args.sandboxUrl,
    clientOptions: { agent },
  },
  tablePacer: pacer,
  ...(args.evidence === 'memory' ? { evidence: new MemoryEvidence().asStore() } : {}),
  log: () => {},
}).sweep();
pacer.resetStats();
const mib = (usage: NodeJS.MemoryUsage) =>
  Object.fromEntries(Object.entries(usage).map(([key, bytes]) => [key, Math.round(bytes / 2 ** 20)]));
const atBaseline = mib(process.memoryUsage());
const baselineRssMiB = process.memoryUsage().rss / 2 ** 20;
let peakHeapMiB = 0;
/** process.memoryUsage() (MiB) at the highest RSS sampled: what the peak is made of */
let atPeak: Record<string, number> = { rss: 0 };
const sampler = setInterval(() => {
  const usage = process.memoryUsage();
  peakHeapMiB = Math.max(peakHeapMiB, usage.heapUsed / 2 ** 20);
  if (usage.rss / 2 ** 20 > (atPeak.rss ?? 0)) atPeak = mib(usage);
}, 100);
// BENCH_SWEEP_TRACE_S=30: process.memoryUsage() to stderr that often (growth over the sweep)
const trace = process.env.BENCH_SWEEP_TRACE_S
  ? setInterval(
      () => process.stderr.write(`memory ${JSON.stringify(mib(process.memoryUsage()))}\n`),
      Number(process.env.BENCH_SWEEP_TRACE_S) * 1000,
    )
  : undefined;
// BENCH_SWEEP_SNAPSHOT_S=10,30: heap snapshots (after a full GC: the live set) that many seconds in
const snapshots = (process.env.BENCH_SWEEP_SNAPSHOT_S ?? '')
  .split(',')
  .filter(Boolean)
  .map((seconds) =>
    setTimeout(() => {
      process.stderr.write(`heap snapshot: ${writeHeapSnapshot()}\n`);
    }, Number(seconds) * 1000),
  );
// BENCH_SWEEP_ALLOC_PROFILE=file: a sampling profile of everything the sweep allocates (collected
// objects included), to find the churn that grows the heap
const allocations = process.env.BENCH_SWEEP_ALLOC_PROFILE ? new Session() : null;
if (allocations) {
  allocations.connect();
  await allocations.post('HeapProfiler.startSampling', {
    samplingInterval: 64 * 1024,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
}
const started = performance.now();
const result = await runSweep({
  subscriptions: [args.subscription],
  sweepId: '2026-11',
  deps: runtime,
  concurrency: 64,
});
const wallS = (performance.now() - started) / 1000;
if (allocations) {
  const { profile } = await allocations.post('HeapProfiler.stopSampling');
  writeFileSync(`${process.env.BENCH_SWEEP_ALLOC_PROFILE}.${args.evidence}`, JSON.stringify(profile));
}
clearInterval(sampler);
clearInterval(trace);
for (const snapshot of snapshots) clearTimeout(snapshot);
const sub = result.subscriptions[0];
const busiest = pacer.busiest();
console.log(
  JSON.stringify({
    wallS,
    decisions: result.totals.evaluated,
    tableRequests: pacer.stats.requests,
    tableOperations: pacer.stats.operations,
    tableWaitS: pacer.stats.waitedMs / 1000,
    busiest: { partitionKey: busiest.partitionKey, share: busiest.share },
    partitions: pacer.stats.byPartition.size,
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
    heapUsedMiB: process.memoryUsage().heapUsed / 2 ** 20,
    externalMiB: process.memoryUsage().external / 2 ** 20,
    baselineRssMiB,
    peakHeapMiB,
    atBaseline,
    atPeak,
    status: sub?.status ?? 'none',
    errors: sub?.errors.length ?? 0,
    firstError: sub?.errors[0]?.message ?? '',
  }),
);
process.exit(0);
