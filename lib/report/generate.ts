import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ControlException } from '../controls/types.js';
import { PeriodAggregator } from './aggregate.js';
import { renderPeriodHtml } from './html.js';
import { monthsOf, type Period, periodReportId } from './period.js';
import { type FileEntry, openPopulationWriters, POPULATIONS } from './populations.js';
import type { EvidenceSource } from './source.js';
import type { AnchorLookup, PeriodReport } from './types.js';

/**
 * Builds a period report into a directory: streams the period's chains through the aggregator
 * (population CSVs written as it goes), then writes report.html and report.json, whose `files`
 * manifest carries each other file's SHA-256.
 */

export interface PeriodProgress {
  chainsDone: number;
  chains: number;
  recordsRead: number;
  recordsInPeriod: number;
  chainId: string | null;
}

export interface GenerateInput {
  period: Period;
  source: EvidenceSource;
  exceptions: readonly ControlException[];
  scope: PeriodReport['scope'];
  version: string;
  generatedAt: Date;
  dir: string;
  anchors?: AnchorLookup;
  listLimit?: number;
  onProgress?: (progress: PeriodProgress) => void;
}

export const REPORT_FILES = ['report.html', 'report.json', ...POPULATIONS.map((p) => `${p}.csv`)] as const;

export async function generatePeriodReport(input: GenerateInput): Promise<PeriodReport> {
  await mkdir(input.dir, { recursive: true });
  const writers = openPopulationWriters(input.dir);
  const aggregator = new PeriodAggregator({
    period: input.period,
    subscriptions: input.scope.subscriptions,
    writers,
    generatedAt: input.generatedAt,
    ...(input.listLimit !== undefined ? { listLimit: input.listLimit } : {}),
  });
  const chains = await input.source.chains(monthsOf(input.period));
  const progress = (done: number, chainId: string | null) =>
    input.onProgress?.({
      chainsDone: done,
      chains: chains.length,
      recordsRead: aggregator.recordsRead,
      recordsInPeriod: aggregator.recordsInPeriod,
      chainId,
    });
  let lastTick = 0;
  for (const [index, chain] of chains.entries()) {
    aggregator.beginChain(chain);
    for await (const { position, record } of input.source.records(chain)) {
      await aggregator.add(position, record);
      if (aggregator.recordsRead - lastTick >= 5000) {
        lastTick = aggregator.recordsRead;
        progress(index, chain.chainId);
      }
    }
    aggregator.endChain(await input.source.head(chain));
    progress(index + 1, chain.chainId);
  }
  const partial = await aggregator.finish({
    id: periodReportId(input.period),
    version: input.version,
    exceptions: input.exceptions,
    scope: input.scope,
  });
  const files: FileEntry[] = [];
  for (const writer of Object.values(writers)) files.push(await writer.close());
  const verification = { ...partial.verification };
  if (input.anchors) {
    // The newest chain's last position anchored implies every earlier one (digests sign chain heads).
    const last = chains.at(-1);
    const head = last ? await input.source.head(last) : null;
    if (last && head)
      verification.anchoredThrough = await input.anchors.anchorFor(last.chainId, head.sequence);
  }
  const withoutHtml: PeriodReport = { ...partial, verification, files };
  const html = renderPeriodHtml(withoutHtml);
  await writeFile(join(input.dir, 'report.html'), html);
  files.unshift(fileEntry('report.html', html));
  const report: PeriodReport = { ...withoutHtml, files };
  await writeFile(join(input.dir, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
  return report;
}

function fileEntry(file: string, text: string): FileEntry {
  const bytes = Buffer.from(text, 'utf8');
  return { file, bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
}
