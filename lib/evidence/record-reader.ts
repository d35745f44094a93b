import { odata, type TableClient } from '@azure/data-tables';
import { mapLimit } from './concurrency.js';
import { fromEntity } from './entity.js';
import { type ChainRef, parseRecordId, recordIdOf, recordRow, sequenceOfRow } from './layout.js';
import { readEntity } from './table-rows.js';
import type { EvidenceRecord } from './types.js';

/**
 * Records by id. recordId = base64url(chainId) + '.' + sequence (layout.ts), so one record is one
 * point read, and a page of ids from one chain is one RowKey range read.
 */
export class RecordReader {
  constructor(private readonly client: TableClient) {}

  async get(recordId: string): Promise<EvidenceRecord | null> {
    const parsed = typeof recordId === 'string' ? parseRecordId(recordId) : null;
    if (!parsed) return null;
    const entity = await readEntity(this.client, parsed.chain.partitionKey, recordRow(parsed.sequence));
    return entity ? fromEntity(entity) : null;
  }

  /**
   * Records by id, in the given order (missing ones dropped). Ids of one chain that are nearly
   * contiguous (the usual log page) are fetched with one RowKey range query instead of N point
   * reads; sparse ones (a selective filter) fall back to parallel point reads.
   */
  async list(recordIds: string[]): Promise<EvidenceRecord[]> {
    const found = await this.byId(recordIds);
    return recordIds.flatMap((recordId) => {
      const record = found.get(recordId);
      return record ? [record] : [];
    });
  }

  /** Records keyed by the requested id (their position), missing ones absent. */
  async byId(recordIds: string[]): Promise<Map<string, EvidenceRecord>> {
    const found = new Map<string, EvidenceRecord>();
    const byChain = new Map<string, { chain: ChainRef; sequences: number[] }>();
    for (const recordId of recordIds) {
      const parsed = parseRecordId(recordId);
      if (!parsed) continue;
      const group = byChain.get(parsed.chain.partitionKey) ?? { chain: parsed.chain, sequences: [] };
      group.sequences.push(parsed.sequence);
      byChain.set(parsed.chain.partitionKey, group);
    }
    const pointReads: string[] = [];
    await mapLimit([...byChain.values()], 4, async ({ chain, sequences }) => {
      const low = Math.min(...sequences);
      const high = Math.max(...sequences);
      if (high - low + 1 > 2 * sequences.length + 10) {
        pointReads.push(...sequences.map((sequence) => recordIdOf(chain.chainId, sequence)));
        return;
      }
      const filter = odata`PartitionKey eq ${chain.partitionKey} and RowKey ge ${recordRow(low)} and RowKey le ${recordRow(high)}`;
      for await (const entity of this.client.listEntities({ queryOptions: { filter } })) {
        const sequence = sequenceOfRow(String(entity.rowKey));
        // keyed by position, not by the stored recordId field (which verify, not query, judges)
        if (sequence !== null) found.set(recordIdOf(chain.chainId, sequence), fromEntity(entity));
      }
    });
    await mapLimit(pointReads, 16, async (recordId) => {
      const record = await this.get(recordId);
      if (record) found.set(recordId, record);
    });
    return found;
  }
}
