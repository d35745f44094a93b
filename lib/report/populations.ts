import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import { csvCell } from '../sweep/report.js';

/**
 * The populations an auditor samples from, one CSV file each, written row by row while the
 * evidence streams past (buffered, with back-pressure): a year of records never sits in memory.
 * Each file's SHA-256 is computed as it is written, for the report's file manifest.
 */

export const POPULATION_COLUMNS = {
  remediations: [
    'record_id',
    'subscription_id',
    'control_id',
    'criteria',
    'resource_id',
    'rule_name',
    'detected_by',
    'event_id',
    'detected_at',
    'reverted_at',
    'time_to_remediate_s',
    'actor',
    'action',
    'chain_id',
    'sequence',
    'hash',
  ],
  failures: [
    'record_id',
    'subscription_id',
    'control_id',
    'resource_id',
    'rule_name',
    'outcome',
    'first_seen',
    'last_seen',
    'occurrences',
    'ended',
    'ended_at',
    'ended_record_id',
    'message',
    'chain_id',
    'sequence',
    'hash',
  ],
  restores: [
    'record_id',
    'time',
    'subscription_id',
    'control_id',
    'resource_id',
    'rule_name',
    'approver',
    'exception_id',
    'justification',
    'restored_record',
    'chain_id',
    'sequence',
    'hash',
  ],
  exceptions: [
    'exception_id',
    'control_id',
    'scope',
    'rule_name',
    'justification',
    'ticket',
    'requested_by',
    'approved_by',
    'approved_on',
    'expires_on',
    'revoked_on',
    'revoked_by',
    'ended',
    'uses_in_period',
    'origin',
  ],
  sweeps: [
    'month',
    'subscription_id',
    'status',
    'sweep_id',
    'records',
    'first_record',
    'last_record',
    'pass',
    'remediated',
    'audit',
    'failed',
    'exempt',
  ],
} as const;

export type PopulationName = keyof typeof POPULATION_COLUMNS;
export const POPULATIONS = Object.keys(POPULATION_COLUMNS) as PopulationName[];
export type PopulationRow<P extends PopulationName> = Partial<
  Record<(typeof POPULATION_COLUMNS)[P][number], string | number | null>
>;

export interface FileEntry {
  file: string;
  bytes: number;
  sha256: string;
  rows?: number;
}

const FLUSH_AT = 64 * 1024;

/** One CSV file: header first, RFC 4180 rows (formula-injection guarded, sweep/report.ts csvCell). */
export class CsvWriter<P extends PopulationName> {
  private buffer = '';
  private readonly hash = createHash('sha256');
  private bytes = 0;
  rows = 0;
  private readonly stream: WriteStream;

  constructor(
    readonly file: string,
    path: string,
    private readonly columns: readonly string[],
  ) {
    this.stream = createWriteStream(path);
    this.buffer = `${columns.join(',')}\r\n`;
  }

  async write(row: PopulationRow<P>): Promise<void> {
    const cells = row as Record<string, string | number | null | undefined>;
    this.buffer += `${this.columns.map((column) => csvCell(cells[column])).join(',')}\r\n`;
    this.rows += 1;
    if (this.buffer.length >= FLUSH_AT) await this.flush();
  }

  private async flush(): Promise<void> {
    if (!this.buffer) return;
    const chunk = Buffer.from(this.buffer, 'utf8');
    this.buffer = '';
    this.hash.update(chunk);
    this.bytes += chunk.length;
    if (!this.stream.write(chunk)) await once(this.stream, 'drain');
  }

  async close(): Promise<FileEntry> {
    await this.flush();
    await new Promise<void>((resolve, reject) => {
      this.stream.once('error', reject);
      this.stream.end(() => resolve());
    });
    return { file: this.file, bytes: this.bytes, sha256: this.hash.digest('hex'), rows: this.rows };
  }
}

export type PopulationWriters = { [P in PopulationName]: CsvWriter<P> };

export function openPopulationWriters(dir: string): PopulationWriters {
  const open = <P extends PopulationName>(name: P) =>
    new CsvWriter<P>(`${name}.csv`, `${dir}/${name}.csv`, POPULATION_COLUMNS[name]);
  return {
    remediations: open('remediations'),
    failures: open('failures'),
    restores: open('restores'),
    exceptions: open('exceptions'),
    sweeps: open('sweeps'),
  };
}
