import type { ContainerClient } from '@azure/storage-blob';
import { blobAlreadyExists, containerOnce } from '../azure/blobs.js';
import { isRestError } from '../util/errors.js';
import { REPORT_FORMATS, type ReportFormat } from './report.js';
import type { SubscriptionResult, SweepReport } from './types.js';

/**
 * Sweep results and reports in the reports container, which the infra puts under a time-based
 * immutability policy (WORM). So every blob is written once (`If-None-Match: *`) and never
 * overwritten:
 *   sweeps/<sweepId>/<subscriptionId>.json      one part per subscription (first result wins)
 *   reports/<sweepId>/report.{json,csv,html}    the month's report (first complete assembly)
 *   reports/<sweepId>/revisions/<time>/report.* a later re-assembly of the same month
 */

export function partBlobName(sweepId: string, subscriptionId: string): string {
  return `sweeps/${sweepId}/${subscriptionId.toLowerCase()}.json`;
}

export function reportBlobName(sweepId: string, format: ReportFormat, revision?: string): string {
  return revision
    ? `reports/${sweepId}/revisions/${revision}/report.${format}`
    : `reports/${sweepId}/report.${format}`;
}

export class SweepReportStore {
  private readonly ensureContainer: () => Promise<unknown>;

  constructor(readonly container: ContainerClient) {
    this.ensureContainer = containerOnce(container);
  }

  /** Writes `text` unless the blob exists; true when this call created it. */
  private async writeOnce(name: string, text: string, contentType: string): Promise<boolean> {
    await this.ensureContainer();
    try {
      await this.container.getBlockBlobClient(name).upload(text, Buffer.byteLength(text), {
        conditions: { ifNoneMatch: '*' },
        blobHTTPHeaders: { blobContentType: contentType },
      });
      return true;
    } catch (error) {
      if (blobAlreadyExists(error)) return false;
      throw error;
    }
  }

  /** Stores one subscription's result; a retry of an already stored part keeps the first (WORM). */
  savePart(sweepId: string, part: SubscriptionResult): Promise<boolean> {
    return this.writeOnce(
      partBlobName(sweepId, part.subscriptionId),
      JSON.stringify(part),
      'application/json; charset=utf-8',
    );
  }

  /** Subscription ids (lower-cased) whose part is stored for this sweep. */
  async partIds(sweepId: string): Promise<Set<string>> {
    await this.ensureContainer();
    const ids = new Set<string>();
    const prefix = `sweeps/${sweepId}/`;
    for await (const blob of this.container.listBlobsFlat({ prefix })) {
      const match = /^([^/]+)\.json$/.exec(blob.name.slice(prefix.length));
      if (match?.[1]) ids.add(match[1].toLowerCase());
    }
    return ids;
  }

  async readParts(sweepId: string, subscriptionIds: Iterable<string>): Promise<SubscriptionResult[]> {
    const parts: SubscriptionResult[] = [];
    for (const id of subscriptionIds) {
      const name = partBlobName(sweepId, id);
      try {
        const body = await this.container.getBlockBlobClient(name).downloadToBuffer();
        parts.push(JSON.parse(body.toString('utf8')) as SubscriptionResult);
      } catch (error) {
        if (isRestError(error) && error.statusCode === 404) continue;
        throw error;
      }
    }
    return parts;
  }

  /**
   * Uploads the report in all three formats under the canonical names; a format already there
   * (immutable) is kept. When all three were already there, this is a re-assembly of the month
   * and goes to a timestamped revision instead.
   */
  async saveReport(report: SweepReport): Promise<{ blobs: string[]; revision: string | null }> {
    const formats = Object.keys(REPORT_FORMATS) as ReportFormat[];
    const upload = (format: ReportFormat, revision?: string) =>
      this.writeOnce(
        reportBlobName(report.sweepId, format, revision),
        REPORT_FORMATS[format].render(report),
        REPORT_FORMATS[format].contentType,
      );
    let created = 0;
    for (const format of formats) if (await upload(format)) created += 1;
    if (created > 0)
      return { blobs: formats.map((format) => reportBlobName(report.sweepId, format)), revision: null };
    const revision = report.generatedAt.replace(/[:.]/g, '-');
    for (const format of formats) await upload(format, revision);
    return { blobs: formats.map((format) => reportBlobName(report.sweepId, format, revision)), revision };
  }

  /** Whether the month's canonical report (all formats) is stored. */
  async hasReport(sweepId: string): Promise<boolean> {
    await this.ensureContainer();
    const formats = Object.keys(REPORT_FORMATS) as ReportFormat[];
    const exists = await Promise.all(
      formats.map((format) => this.container.getBlockBlobClient(reportBlobName(sweepId, format)).exists()),
    );
    return exists.every(Boolean);
  }

  async readReport(
    sweepId: string,
    format: ReportFormat = 'json',
    revision?: string,
  ): Promise<string | null> {
    try {
      const body = await this.container
        .getBlockBlobClient(reportBlobName(sweepId, format, revision))
        .downloadToBuffer();
      return body.toString('utf8');
    } catch (error) {
      if (isRestError(error) && error.statusCode === 404) return null;
      throw error;
    }
  }
}
