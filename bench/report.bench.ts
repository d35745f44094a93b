/**
 * Period report over a year (12 months × 8 subscriptions): time and peak RSS, min/median of 3
 * fresh processes each. Real store: N records appended to a private Azurite through the evidence
 * store, then read back by the report. Stand-in: the same aggregation, verification and CSV/HTML
 * writing over a generated hash-chained record stream (bench/report-records.ts), for volumes
 * Azurite cannot be filled with in bench time on this machine.
 *   DW_BENCH_REPORT_STORE=25000 (records written to Azurite: filling it is the slow part, ~200 s for
 *   25k on 2 shared cores; 100k did not finish in 22 min), DW_BENCH_REPORT_GENERATED=100000,1000000
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { createTableClient, ensureTable } from '../lib/azure/tables.js';
import { startAzurite } from '../lib/dev/local/azurite.js';
import { TableEvidenceStore } from '../lib/evidence/table-store.js';
import { BENCH_SUBS, benchInput, YEAR_MS, YEAR_START } from './report-records.js';

export const name = 'report';

const WORKER = fileURLToPath(new URL('./report-worker.ts', import.meta.url));

interface Run {
  ms: number;
  maxRssMb: number;
  records: number;
  remediations: number;
  ok: boolean;
}

function worker(args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', WORKER, ...args], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`report worker exited ${code}`));
      else resolve(JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as Run);
    });
  });
}

async function three(label: string, args: string[]): Promise<void> {
  const runs: Run[] = [];
  for (let i = 0; i < 3; i++) runs.push(await worker(args));
  const sorted = (key: 'ms' | 'maxRssMb') => runs.map((r) => r[key]).sort((x, y) => x - y);
  const [tMin, tMed] = [sorted('ms')[0] ?? 0, sorted('ms')[1] ?? 0];
  const [rMin, rMed] = [sorted('maxRssMb')[0] ?? 0, sorted('maxRssMb')[1] ?? 0];
  const first = runs[0] as Run;
  console.log(
    `report: ${label.padEnd(44)} ${first.records} records (${first.remediations} remediations, chains ${first.ok ? 'ok' : 'NOT ok'}): ` +
      `time min ${(tMin / 1000).toFixed(1)} s / median ${(tMed / 1000).toFixed(1)} s (${Math.round(first.records / (tMed / 1000))} records/s), ` +
      `peak RSS min ${rMin.toFixed(0)} MB / median ${rMed.toFixed(0)} MB`,
  );
}

function sizes(name: string, fallback: string): number[] {
  return (process.env[name] ?? fallback)
    .split(',')
    .map(Number)
    .filter((n) => Number.isInteger(n) && n > 0);
}

export async function run(): Promise<void> {
  for (const n of sizes('DW_BENCH_REPORT_STORE', '25000')) {
    const azurite = await startAzurite();
    try {
      const table = `rbench${randomUUID().replace(/-/g, '').slice(0, 12)}`;
      const client = createTableClient({ connectionString: azurite.connectionString }, table);
      await ensureTable(client);
      let now = YEAR_START;
      const store = new TableEvidenceStore({
        client,
        remediatorIdentity: 'bench',
        remediatorVersion: '0',
        clock: () => new Date(now),
      });
      const started = performance.now();
      const chunk = 1000;
      for (let i = 0; i < n; i += chunk) {
        now = YEAR_START + Math.floor((i / n) * YEAR_MS);
        const sub = BENCH_SUBS[(i / chunk) % BENCH_SUBS.length] as string;
        const inputs = Array.from({ length: Math.min(chunk, n - i) }, (_, j) => benchInput(sub, i + j, now));
        await store.appendMany(inputs);
      }
      console.log(
        `report: filled Azurite with ${n} records in ${((performance.now() - started) / 1000).toFixed(0)} s (setup, not measured)`,
      );
      await three(`real store (Azurite), ${n} records`, ['store', azurite.connectionString, table]);
    } finally {
      await azurite.stop();
    }
  }
  for (const n of sizes('DW_BENCH_REPORT_GENERATED', '100000,1000000'))
    await three(`stand-in (generated stream), ${n} records`, ['generated', String(n)]);
}
