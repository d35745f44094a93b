/**
 * Evidence store over Azure Table Storage (@azure/data-tables): one table (layout in layout.ts),
 * assembled from the chain writer (chain-writer.ts, claims.ts: hash chains, idempotency, group
 * commit), the log index (log-index.ts: newest-first queries by filter), record reads by id
 * (record-reader.ts) and the verify scan (verify-scan.ts).
 *
 * Append = chain transaction, then the log index upsert (another partition, so not atomic with
 * it). If that step fails, append throws, the caller fails the invocation, and the redelivery,
 * finding the record already written, re-upserts the index row: the index is repaired by the
 * retry. A new single append is 3 round trips: (claim insert ‖ head read), the chain transaction,
 * the log upsert. A duplicate is claim + index read + record read (+ the idempotent log upsert).
 *
 * Errors from Table Storage propagate unchanged (RestError with statusCode), never swallowed.
 */
import type { TableClient } from '@azure/data-tables';
import { createTableClient, ensureTable, type TableClientOptions } from '../azure/tables.js';
import type { Config } from '../config.js';
import { ChainWriter, type ChainWriterStats } from './chain-writer.js';
import { DEFAULT_SUB_CHAINS, MAX_SUB_CHAINS } from './layout.js';
import { LogIndex, type LogIndexStats } from './log-index.js';
import { RecordReader } from './record-reader.js';
import type {
  EvidenceInput,
  EvidencePage,
  EvidenceQuery,
  EvidenceRecord,
  EvidenceStore,
  VerifyResult,
} from './types.js';
import { VerifyScan } from './verify-scan.js';

export { RECORDS_PER_TRANSACTION } from './chain-writer.js';

export interface TableEvidenceStoreOptions {
  client: TableClient;
  remediatorIdentity: string;
  remediatorVersion: string;
  clock?: () => Date;
  /** attempts per chain transaction when concurrent writers race for the head (default 200) */
  maxAttempts?: number;
  /**
   * sub-chains per subscription and month for new records (default DEFAULT_SUB_CHAINS, 16; 1 = one
   * chain per subscription and month, the ids written before sub-chains). See layout.ts.
   */
  subChains?: number;
}

export type EvidenceStoreStats = ChainWriterStats & LogIndexStats;

export class TableEvidenceStore implements EvidenceStore {
  readonly stats: EvidenceStoreStats = {
    chainTransactions: 0,
    conflicts: 0,
    claimTransactions: 0,
    logWrites: 0,
    recordsWritten: 0,
  };
  private readonly client: TableClient;
  private readonly records: RecordReader;
  private readonly chains: ChainWriter;
  private readonly log: LogIndex;
  private readonly scan: VerifyScan;
  private readonly appendListeners: Array<(chainIds: Set<string>) => void> = [];

  constructor(options: TableEvidenceStoreOptions) {
    const subChains = options.subChains ?? DEFAULT_SUB_CHAINS;
    if (!Number.isInteger(subChains) || subChains < 1 || subChains > MAX_SUB_CHAINS)
      throw new RangeError(`subChains must be a whole number from 1 to ${MAX_SUB_CHAINS}, got ${subChains}`);
    this.client = options.client;
    this.records = new RecordReader(options.client);
    this.chains = new ChainWriter({
      client: options.client,
      records: this.records,
      stats: this.stats,
      clock: options.clock ?? (() => new Date()),
      remediatorIdentity: options.remediatorIdentity,
      remediatorVersion: options.remediatorVersion,
      maxAttempts: options.maxAttempts ?? 200,
      subChains,
    });
    this.log = new LogIndex(options.client, this.records, this.stats);
    this.scan = new VerifyScan(options.client, this.log);
  }

  /** Creates the table if missing (idempotent). */
  ensureTable(): Promise<void> {
    return ensureTable(this.client);
  }

  /** The raw table (the digest publisher reads heads and the log index from it). */
  get table(): TableClient {
    return this.client;
  }

  /** Tells `listener` which chains every append touched (the digest publisher's change set). */
  onAppended(listener: (chainIds: Set<string>) => void): void {
    this.appendListeners.push(listener);
  }

  async append(input: EvidenceInput): Promise<EvidenceRecord> {
    const record = await this.chains.append(input);
    this.appended([record]);
    await this.log.write([record]);
    return record;
  }

  async appendMany(inputs: EvidenceInput[]): Promise<EvidenceRecord[]> {
    const records = await this.chains.appendMany(inputs);
    this.appended(records);
    await this.log.write(records);
    return records;
  }

  private appended(records: EvidenceRecord[]): void {
    if (this.appendListeners.length === 0 || records.length === 0) return;
    const chainIds = new Set(records.map((record) => record.chainId));
    for (const listener of this.appendListeners) listener(chainIds);
  }

  findByIdempotencyKey(key: string): Promise<EvidenceRecord | null> {
    return this.chains.findByIdempotencyKey(key);
  }

  get(recordId: string): Promise<EvidenceRecord | null> {
    return this.records.get(recordId);
  }

  query(query: EvidenceQuery): Promise<EvidencePage> {
    return this.log.query(query);
  }

  verify(): Promise<VerifyResult> {
    return this.scan.verify();
  }

  /** Verifies one chain (e.g. a month of one subscription), cross-checked with its log index rows. */
  verifyChain(chainId: string): Promise<VerifyResult> {
    return this.scan.verifyChain(chainId);
  }
}

export interface CreateEvidenceStoreOptions {
  remediatorIdentity: string;
  remediatorVersion: string;
  clock?: () => Date;
  clientOptions?: TableClientOptions;
  /**
   * Sub-chains per subscription-month for new records (default DEFAULT_SUB_CHAINS, 16: no head
   * contention between resources of one subscription; Config.evidenceSubChains). Chains already
   * written, whatever their number, stay readable and verifiable: a key's claim pins its chain.
   */
  subChains?: number;
}

/** Store over the configured evidence table (created if missing). */
export async function createEvidenceStore(
  config: Pick<Config, 'storage' | 'evidenceTable'>,
  options: CreateEvidenceStoreOptions,
): Promise<TableEvidenceStore> {
  const client = createTableClient(config.storage, config.evidenceTable, options.clientOptions);
  const store = new TableEvidenceStore({ client, ...options });
  await store.ensureTable();
  return store;
}
