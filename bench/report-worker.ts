/**
 * One period-report run in a fresh process (so its peak RSS is its own), for bench/report.bench.ts:
 *   report-worker.ts store <connectionString> <table>   the real store (Azurite)
 *   report-worker.ts generated <records>                the generated stand-in stream
 * Prints one JSON line: {ms, maxRssMb, records, remediations}.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTableClient } from '../lib/azure/tables.js';
import { criteriaMap, scopeControls } from '../lib/report/criteria.js';
import { generatePeriodReport } from '../lib/report/generate.js';
import { parsePeriod } from '../lib/report/period.js';
import { type EvidenceSource, TableEvidenceSource } from '../lib/report/source.js';
import { BENCH_SUBS, GeneratedSource } from './report-records.js';

const [mode, a, b] = process.argv.slice(2);
const source: EvidenceSource =
  mode === 'store'
    ? new TableEvidenceSource(createTableClient({ connectionString: a ?? '' }, b ?? ''))
    : new GeneratedSource(Number(a));
const dir = await mkdtemp(join(tmpdir(), 'dw-report-bench-'));
const started = performance.now();
const report = await generatePeriodReport({
  period: parsePeriod('2025-01-01', '2025-12-31'),
  source,
  exceptions: [],
  scope: { subscriptions: BENCH_SUBS, controls: scopeControls(), criteriaMap: criteriaMap() },
  version: 'bench',
  generatedAt: new Date(),
  dir,
  onProgress: (p) => {
    if (process.env.DW_BENCH_PROGRESS) process.stderr.write(`\r${p.recordsRead} records`);
  },
});
const ms = performance.now() - started;
await rm(dir, { recursive: true, force: true });
process.stdout.write(
  `${JSON.stringify({ ms, maxRssMb: process.resourceUsage().maxRSS / 1024, records: report.verification.records, remediations: report.totals.remediated, ok: report.verification.ok })}\n`,
);
