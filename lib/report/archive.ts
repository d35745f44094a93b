import { createReadStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ContainerClient } from '@azure/storage-blob';
import { blobAlreadyExists, containerOnce } from '../azure/blobs.js';
import { isRestError } from '../util/errors.js';

/**
 * Reports in the reports container (WORM: every blob written once, `If-None-Match: *`), under ids
 * that fit one URL path segment:
 *   period-<from>-<to>            periods/<id>/<file>
 *   period-<from>-<to>@<rev>      periods/<id>/revisions/<rev>/<file>   (a re-generation)
 *   sweep-<sweepId>               reports/<sweepId>/report.<fmt>        (the monthly sweep's report)
 *   sweep-<sweepId>@<rev>         reports/<sweepId>/revisions/<rev>/report.<fmt>
 */

export interface ReportEntry {
  id: string;
  kind: 'period' | 'sweep';
  files: string[];
  /** when its first file was stored */
  created: string;
}

const ID = /^(period|sweep)-([A-Za-z0-9][A-Za-z0-9._-]{0,79})(?:@([A-Za-z0-9._-]{1,40}))?$/;
const FILE = /^[a-z0-9][a-z0-9-]{0,40}\.(html|json|csv)$/;

export const CONTENT_TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  json: 'application/json; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
};

export function isReportId(id: string): boolean {
  return ID.test(id);
}

export function isReportFile(file: string): boolean {
  return FILE.test(file);
}

/** The blob folder of a report id, or null for a malformed one. */
export function reportPrefix(id: string): string | null {
  const match = ID.exec(id);
  if (!match?.[1] || !match[2]) return null;
  const base = match[1] === 'period' ? `periods/${match[0].split('@')[0]}` : `reports/${match[2]}`;
  return match[3] ? `${base}/revisions/${match[3]}/` : `${base}/`;
}

/** Report id and file of a blob name, or null for blobs that are not report files (sweep parts). */
export function parseBlobName(name: string): { id: string; kind: ReportEntry['kind']; file: string } | null {
  const period = /^periods\/(period-[^/]+)\/(?:revisions\/([^/]+)\/)?([^/]+)$/.exec(name);
  if (period?.[1] && period[3]) {
    const id = period[2] ? `${period[1]}@${period[2]}` : period[1];
    return isReportId(id) && isReportFile(period[3]) ? { id, kind: 'period', file: period[3] } : null;
  }
  const sweep = /^reports\/([^/]+)\/(?:revisions\/([^/]+)\/)?(report\.(?:json|csv|html))$/.exec(name);
  if (sweep?.[1] && sweep[3]) {
    const id = sweep[2] ? `sweep-${sweep[1]}@${sweep[2]}` : `sweep-${sweep[1]}`;
    return isReportId(id) ? { id, kind: 'sweep', file: sweep[3] } : null;
  }
  return null;
}

export class ReportArchive {
  private readonly ensureContainer: () => Promise<unknown>;

  constructor(readonly container: ContainerClient) {
    this.ensureContainer = containerOnce(container);
  }

  /**
   * Uploads a generated report directory under `id`; when that id is already stored (immutable),
   * under `id@<revision>` instead. Returns the id it was stored under. report.json goes last, so
   * a listed report.json means the report is complete.
   */
  async store(id: string, dir: string, files: readonly string[], revision: string): Promise<string> {
    await this.ensureContainer();
    const ordered = [
      ...files.filter((f) => f !== 'report.json'),
      ...files.filter((f) => f === 'report.json'),
    ];
    for (const candidate of [id, `${id}@${revision}`]) {
      const prefix = reportPrefix(candidate);
      if (!prefix) throw new Error(`invalid report id ${JSON.stringify(candidate)}`);
      if (await this.container.getBlockBlobClient(`${prefix}report.json`).exists()) continue;
      for (const file of ordered) {
        const path = join(dir, file);
        const blob = this.container.getBlockBlobClient(`${prefix}${file}`);
        try {
          await blob.uploadStream(createReadStream(path), 4 * 1024 * 1024, 4, {
            conditions: { ifNoneMatch: '*' },
            blobHTTPHeaders: {
              blobContentType: CONTENT_TYPES[file.split('.').pop() ?? ''] ?? 'application/octet-stream',
            },
          });
        } catch (error) {
          if (!blobAlreadyExists(error)) throw error; // a file of an interrupted upload: keep the first
        }
      }
      return candidate;
    }
    throw new Error(`report ${id} revision ${revision} is already stored`);
  }

  /** Every stored report, newest first. */
  async list(): Promise<ReportEntry[]> {
    await this.ensureContainer();
    const entries = new Map<string, ReportEntry>();
    for (const prefix of ['periods/', 'reports/']) {
      for await (const blob of this.container.listBlobsFlat({ prefix })) {
        const parsed = parseBlobName(blob.name);
        if (!parsed) continue;
        const created = (blob.properties.createdOn ?? blob.properties.lastModified).toISOString();
        const entry = entries.get(parsed.id) ?? { id: parsed.id, kind: parsed.kind, files: [], created };
        entry.files.push(parsed.file);
        if (created < entry.created) entry.created = created;
        entries.set(parsed.id, entry);
      }
    }
    for (const entry of entries.values()) entry.files.sort();
    return [...entries.values()].sort(
      (a, b) => b.created.localeCompare(a.created) || a.id.localeCompare(b.id),
    );
  }

  /** One file of a report, or null when the id, the file or the blob does not exist. */
  async get(id: string, file: string): Promise<{ body: Buffer; contentType: string } | null> {
    const prefix = reportPrefix(id);
    if (!prefix || !isReportFile(file)) return null;
    try {
      const body = await this.container.getBlockBlobClient(`${prefix}${file}`).downloadToBuffer();
      return { body, contentType: CONTENT_TYPES[file.split('.').pop() ?? ''] ?? 'application/octet-stream' };
    } catch (error) {
      if (isRestError(error) && error.statusCode === 404) return null;
      throw error;
    }
  }

  /** Downloads every file of a report into `dir`; the files written (empty when the id is unknown). */
  async download(id: string, dir: string): Promise<string[]> {
    const prefix = reportPrefix(id);
    if (!prefix) return [];
    await this.ensureContainer();
    const files: string[] = [];
    for await (const blob of this.container.listBlobsFlat({ prefix })) {
      if (parseBlobName(blob.name)?.id === id) files.push(blob.name.slice(prefix.length));
    }
    if (files.length > 0) await mkdir(dir, { recursive: true });
    for (const file of files) {
      const found = await this.get(id, file);
      if (found) await writeFile(join(dir, file), found.body);
    }
    return files.sort();
  }
}
