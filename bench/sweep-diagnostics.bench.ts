/**
 * `npm run bench -- sweep-diagnostics`: what DIAG-RESOURCE-LOGS costs a sweep. Diagnostic settings
 * are the one per-resource read: ARM lists them per resource only (no subscription-wide list, and
 * Resource Graph does not hold them), so each account's blob service, vault and NSG costs one list
 * call. This sweeps a 1,000 + 1,000 slice with the control on, under ARM-like read buckets, and
 * prints what those calls cost (≈ 1 read per resource, at 25/s). Evidence goes to an in-memory
 * chain (the real-store headline is `npm run bench -- sweep`): this isolates the ARM read cost.
 */
import { randomBytes } from 'node:crypto';
import { createApp } from '../lib/app/app.js';
import { loadConfig } from '../lib/config.js';
import { ARM_LIKE_THROTTLE, generateEstate, startSandbox } from '../lib/dev/arm-sandbox/index.js';
import { startAzurite } from '../lib/dev/local/azurite.js';
import { runSweep } from '../lib/sweep/run.js';
import { MemoryEvidence } from './memory-evidence.js';

export const name = 'sweep-diagnostics';

const STORAGE_ACCOUNTS = 10_000;
const NSGS = 10_000;
const DRIFT = 0.02;
const LATENCY_MS = 50;
const PAGE_SIZE = 1000;
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
      evidence: new MemoryEvidence().asStore(),
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
  const azurite = await startAzurite();
  try {
    await runDiagnosticsSlice(azurite.connectionString);
  } finally {
    await azurite.stop();
  }
}
