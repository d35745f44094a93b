/**
 * The log index: Table Storage sorts ascending by PartitionKey+RowKey only, so the log rows have
 * RowKey `<inverted epoch ms>~<recordId>` (newest first) and lower-cased filter fields
 * (subscription, resource id, control, outcome, actor) for server-side OData filters; since/until
 * become RowKey ranges.
 *
 * Sharded: a row lives in one of 16 partitions `log~<h>` (h = first hex digit of
 * sha256(recordId)), so an estate's sweep spreads its index writes over 16 partitions instead of
 * saturating one (ARCHITECTURE.md, "Evidence at scale"). RowKeys are globally unique and ordered,
 * so a query runs the same filter on every shard (plus the legacy `log` partition, read only) and
 * merges the streams by RowKey: the same pages, in the same order, as one partition would give.
 * The continuation token is still the last RowKey returned (`RowKey gt` it, on every shard).
 * Query returns the records themselves (read by recordId), never the index's copies of fields:
 * one index query per shard plus one range read per chain touched (point reads when sparse).
 *
 * Index rows are upserted right after the chain transaction (another partition, so not atomic
 * with it): see table-store.ts for how a failed upsert is repaired.
 */
import { odata, type TableClient, type TableEntity, type TransactionAction } from '@azure/data-tables';
import { chunk, mapLimit } from './concurrency.js';
import { wellFormed } from './entity.js';
import { type ChainRef, invertedMs, logPartition, logPartitions, logRow, parseRecordId } from './layout.js';
import type { RecordReader } from './record-reader.js';
import { MAX_TRANSACTION_OPERATIONS } from './table-rows.js';
import type { EvidencePage, EvidenceQuery, EvidenceRecord } from './types.js';

export const DEFAULT_QUERY_LIMIT = 50;
export const MAX_QUERY_LIMIT = 500;

export interface LogIndexStats {
  /** log index upserts (one row, or one batch of ≤ 100) */
  logWrites: number;
}

export class LogIndex {
  constructor(
    private readonly client: TableClient,
    private readonly records: RecordReader,
    /** counters, incremented in place */
    private readonly stats: LogIndexStats,
  ) {}

  /** Upserts log index rows (idempotent: a retry repairs a row a failed attempt did not write). */
  async write(records: EvidenceRecord[]): Promise<void> {
    const rows = [
      ...new Map(records.map((record) => [logRow(record.time, record.recordId), record])).entries(),
    ].map(([rowKey, record]) => logEntity(rowKey, record));
    if (rows.length === 1 && rows[0]) {
      await this.client.upsertEntity(rows[0], 'Replace');
      this.stats.logWrites++;
      return;
    }
    // one batch is one partition: group by shard, then ≤ 100 rows per batch
    const byShard = new Map<string, TableEntity[]>();
    for (const row of rows) byShard.set(row.partitionKey, [...(byShard.get(row.partitionKey) ?? []), row]);
    const batches = [...byShard.values()].flatMap((group) => chunk(group, MAX_TRANSACTION_OPERATIONS));
    await mapLimit(batches, 8, async (batch) => {
      await this.client.submitTransaction(batch.map((row): TransactionAction => ['upsert', row, 'Replace']));
      this.stats.logWrites++;
    });
  }

  /** Newest first, filtered, paged. */
  async query(query: EvidenceQuery): Promise<EvidencePage> {
    const requested = Number(query.limit ?? DEFAULT_QUERY_LIMIT);
    const wanted = Number.isFinite(requested) ? Math.floor(requested) : DEFAULT_QUERY_LIMIT;
    const limit = Math.min(MAX_QUERY_LIMIT, Math.max(1, wanted));
    const filter = logFilter(query);
    const pageSize = Math.min(1000, limit + 1);
    const shards = logPartitions().map((partition) =>
      this.shardRows(odata`PartitionKey eq ${partition}` + filter, pageSize)[Symbol.asyncIterator](),
    );
    // Read one row past the page: a continuation token then always means "more exists".
    const rows: Array<{ rowKey: string; recordId: string }> = [];
    try {
      const heads = await Promise.all(shards.map((shard) => shard.next()));
      while (rows.length <= limit) {
        let best = -1;
        for (const [index, head] of heads.entries()) {
          if (head.done) continue;
          const current = best < 0 ? undefined : heads[best];
          if (!current || current.done || head.value.rowKey < current.value.rowKey) best = index;
        }
        const chosen = best < 0 ? undefined : heads[best];
        if (!chosen || chosen.done) break;
        rows.push(chosen.value);
        if (rows.length > limit) break;
        heads[best] = await (shards[best] as AsyncIterator<{ rowKey: string; recordId: string }>).next();
      }
    } finally {
      await Promise.all(shards.map((shard) => shard.return?.(undefined)));
    }
    const more = rows.length > limit;
    const pageRows = rows.slice(0, limit);
    const items = await this.records.list(pageRows.map((row) => row.recordId));
    const last = pageRows.at(-1);
    return more && last ? { items, continuationToken: encodeToken(last.rowKey) } : { items };
  }

  /** One shard's rows for a filter, in RowKey order, fetched a page at a time as the merge needs them. */
  private async *shardRows(
    filter: string,
    pageSize: number,
  ): AsyncGenerator<{ rowKey: string; recordId: string }> {
    const pages = this.client
      .listEntities<{ recordId: string }>({ queryOptions: { filter, select: ['RowKey', 'recordId'] } })
      .byPage({ maxPageSize: pageSize });
    for await (const page of pages) {
      for (const row of page) yield { rowKey: String(row.rowKey), recordId: String(row.recordId) };
    }
  }

  /** Record ids the index lists, from every shard, for an extra filter ('' = all). */
  private async indexedIds(extra: string): Promise<string[]> {
    const perShard = await mapLimit(logPartitions(), 4, async (partition) => {
      const ids: string[] = [];
      for await (const row of this.client.listEntities<{ recordId: string }>({
        queryOptions: { filter: odata`PartitionKey eq ${partition}` + extra, select: ['recordId'] },
      })) {
        ids.push(String(row.recordId));
      }
      return ids;
    });
    return perShard.flat();
  }

  /** Every chain the index mentions, with the sequences it lists (verify's truncation cross-check). */
  async indexedChains(): Promise<Map<string, { chain: ChainRef; sequences: number[] }>> {
    const chains = new Map<string, { chain: ChainRef; sequences: number[] }>();
    for (const recordId of await this.indexedIds('')) {
      const parsed = parseRecordId(recordId);
      if (!parsed) continue;
      const entry = chains.get(parsed.chain.chainId) ?? { chain: parsed.chain, sequences: [] };
      entry.sequences.push(parsed.sequence);
      chains.set(parsed.chain.chainId, entry);
    }
    return chains;
  }

  /** The sequences the index lists for one chain. */
  async indexedSequences(chainId: string): Promise<number[]> {
    const sequences: number[] = [];
    for (const recordId of await this.indexedIds(odata` and chain eq ${chainId}`)) {
      const parsed = parseRecordId(recordId);
      if (parsed && parsed.chain.chainId === chainId) sequences.push(parsed.sequence);
    }
    return sequences;
  }
}

function lower(value: string | null): string {
  return (value ?? '').toLowerCase();
}

function logEntity(rowKey: string, record: EvidenceRecord): TableEntity {
  return {
    partitionKey: logPartition(record.recordId),
    rowKey,
    recordId: record.recordId,
    chain: record.chainId,
    time: record.time,
    subscription: lower(record.subscriptionId),
    resource: lower(record.resourceId),
    control: lower(record.controlId),
    outcome: lower(record.outcome),
    actor: lower(record.actor),
  };
}

function parseTime(name: string, value: string): number {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new TypeError(`${name} is not a date/time: ${JSON.stringify(value)}`);
  return ms;
}

/** The smallest string greater than every string starting with `prefix`. */
function prefixEnd(prefix: string): string {
  return prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
}

/** The filter after `PartitionKey eq <shard>` (each part starts with ' and '). */
function logFilter(query: EvidenceQuery): string {
  const parts: string[] = [];
  if (query.continuationToken) parts.push(odata`RowKey gt ${decodeToken(query.continuationToken)}`);
  if (query.until) parts.push(odata`RowKey ge ${invertedMs(parseTime('until', query.until))}`);
  // time >= since  <=>  inverted <= inverted(since)  <=>  RowKey < inverted(since) + 1
  if (query.since) parts.push(odata`RowKey lt ${invertedMs(parseTime('since', query.since) - 1)}`);
  if (query.subscription) parts.push(odata`subscription eq ${query.subscription.toLowerCase()}`);
  if (query.resource) {
    const prefix = wellFormed(query.resource.toLowerCase());
    parts.push(odata`resource ge ${prefix} and resource lt ${prefixEnd(prefix)}`);
  }
  if (query.control) parts.push(odata`control eq ${query.control.toLowerCase()}`);
  if (query.outcome) parts.push(odata`outcome eq ${query.outcome.toLowerCase()}`);
  if (query.outcomes?.length)
    parts.push(
      `(${query.outcomes.map((outcome) => odata`outcome eq ${outcome.toLowerCase()}`).join(' or ')})`,
    );
  for (const outcome of query.excludeOutcomes ?? []) parts.push(odata`outcome ne ${outcome.toLowerCase()}`);
  if (query.actor) parts.push(odata`actor eq ${query.actor.toLowerCase()}`);
  return parts.map((part) => ` and ${part}`).join('');
}

function encodeToken(rowKey: string): string {
  return Buffer.from(JSON.stringify({ v: 1, after: rowKey }), 'utf8').toString('base64url');
}

function decodeToken(token: string): string {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    const after = (parsed as { after?: unknown } | null)?.after;
    if (typeof after === 'string' && /^\d{13}~/.test(after)) return after;
  } catch {
    // fall through to the error below
  }
  throw new TypeError('invalid continuationToken');
}
