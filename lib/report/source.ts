import { odata, type TableClient } from '@azure/data-tables';
import { fromEntity } from '../evidence/entity.js';
import {
  chainFromId,
  HEAD_ROW,
  parseChainId,
  REGISTRY_PARTITION,
  recordRow,
  sequenceOfRow,
} from '../evidence/layout.js';
import { readEntity } from '../evidence/table-rows.js';
import type { EvidenceRecord } from '../evidence/types.js';

/**
 * Evidence read for a period, chain by chain: a chain is one subscription's UTC month, or one of
 * its sub-chains (layout.ts), so a period is the chains of its months (every sub-chain, from the
 * registry), each read in sequence order as a RowKey range — records arrive oldest first per
 * chain, with their chain position, one page (≤ 1000 entities) at a time. A resource and its
 * children always share a sub-chain, so each one's history still arrives in order. Nothing is
 * loaded whole: memory is one page, whatever the period's size.
 */

export interface PeriodChain {
  chainId: string;
  subscriptionId: string;
  /** YYYY-MM */
  month: string;
  /** the sub-chain (null or absent: the plain monthly chain, written before sub-chains) */
  subChain?: number | null;
}

/** By month, then subscription, then sub-chain (the plain chain first). */
export function comparePeriodChains(a: PeriodChain, b: PeriodChain): number {
  return (
    a.month.localeCompare(b.month) ||
    a.subscriptionId.localeCompare(b.subscriptionId) ||
    (a.subChain ?? -1) - (b.subChain ?? -1)
  );
}

export interface ChainHead {
  sequence: number;
  hash: string;
}

/** A record and the position its row holds in the chain (the row key, which verify trusts). */
export interface PositionedRecord {
  position: number;
  record: EvidenceRecord;
}

export interface EvidenceSource {
  /** the chains of these months, by month then subscription */
  chains(months: readonly string[]): Promise<PeriodChain[]>;
  /** one chain's records, sequence ascending */
  records(chain: PeriodChain): AsyncIterable<PositionedRecord>;
  /** the chain's head row, or null when it is missing */
  head(chain: PeriodChain): Promise<ChainHead | null>;
}

export class TableEvidenceSource implements EvidenceSource {
  constructor(private readonly client: TableClient) {}

  async chains(months: readonly string[]): Promise<PeriodChain[]> {
    const wanted = new Set(months);
    const found = new Map<string, PeriodChain>();
    for await (const row of this.client.listEntities<{ chainId: string }>({
      queryOptions: { filter: odata`PartitionKey eq ${REGISTRY_PARTITION}`, select: ['chainId'] },
    })) {
      const chainId = String(row.chainId);
      const parts = parseChainId(chainId);
      if (parts && wanted.has(parts.month) && chainFromId(chainId))
        found.set(chainId, {
          chainId,
          subscriptionId: parts.subscriptionId,
          month: parts.month,
          subChain: parts.subChain,
        });
    }
    return [...found.values()].sort(comparePeriodChains);
  }

  async *records(chain: PeriodChain): AsyncIterable<PositionedRecord> {
    const ref = chainFromId(chain.chainId);
    if (!ref) return;
    const filter = odata`PartitionKey eq ${ref.partitionKey} and RowKey ge ${recordRow(0)} and RowKey le ${recordRow(9_999_999_999)}`;
    for await (const page of this.client
      .listEntities({ queryOptions: { filter } })
      .byPage({ maxPageSize: 1000 })) {
      for (const entity of page) {
        const position = sequenceOfRow(String(entity.rowKey));
        if (position !== null) yield { position, record: fromEntity(entity) };
      }
    }
  }

  async head(chain: PeriodChain): Promise<ChainHead | null> {
    const ref = chainFromId(chain.chainId);
    if (!ref) return null;
    const entity = await readEntity(this.client, ref.partitionKey, HEAD_ROW);
    if (!entity) return null;
    return { sequence: Number(entity.sequence), hash: String(entity.hash) };
  }
}
