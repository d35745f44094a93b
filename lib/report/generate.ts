import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ControlException } from '../controls/types.js';
import { PeriodAggregator } from './aggregate.js';
import { renderPeriodHtml } from './html.js';
import { monthsOf, type Period, periodReportId } from './period.js';
import { type FileEntry, openPopulationWriters, POPULATIONS } from './populations.js';
import type { EvidenceSource, PeriodChain } from './source.js';
import type { AnchorLookup, AnchorRef, PeriodReport } from './types.js';

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
  if (input.anchors)
    verification.anchoredThrough = await anchoredThrough(chains, input.source, input.anchors);
  const withoutHtml: PeriodReport = { ...partial, verification, files };
  const html = renderPeriodHtml(withoutHtml);
  await writeFile(join(input.dir, 'report.html'), html);
  files.unshift(fileEntry('report.html', html));
  const report: PeriodReport = { ...withoutHtml, files };
  await writeFile(join(input.dir, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
  return report;
}

/**
 * The digest through which every chain of the period (each sub-chain of each subscription-month)
 * is anchored up to its head: the latest of the first digests anchoring each head, or null when
 * any head is not (yet) anchored. One chain's anchored head says nothing of another's, so every
 * head is looked up.
 */
async function anchoredThrough(
  chains: readonly PeriodChain[],
  source: EvidenceSource,
  anchors: AnchorLookup,
): Promise<AnchorRef | null> {
  let through: AnchorRef | null = null;
  for (const chain of chains) {
    const head = await source.head(chain);
    if (!head || head.sequence === 0) continue;
    const anchor = await anchors.anchorFor(chain.chainId, head.sequence);
    if (!anchor) return null;
    if (!through || Date.parse(anchor.signedAt) > Date.parse(through.signedAt)) through = anchor;
  }
  return through;
}

function fileEntry(file: string, text: string): FileEntry {
  const bytes = Buffer.from(text, 'utf8');
  return { file, bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
}
