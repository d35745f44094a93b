import { GENESIS_HASH, recordHash } from '../../../lib/evidence/hash.js';
import { recordIdOf } from '../../../lib/evidence/layout.js';
import type { EvidenceInput, EvidenceRecord } from '../../../lib/evidence/types.js';
import type { ChainHead, EvidenceSource, PeriodChain, PositionedRecord } from '../../../lib/report/source.js';

/** Hash-chained records in memory, chained per subscription per month like the table store. */
export class MemorySource implements EvidenceSource {
  readonly byChain = new Map<string, EvidenceRecord[]>();
  readonly heads = new Map<string, ChainHead>();

  append(
    input: Partial<EvidenceInput> & Pick<EvidenceInput, 'subscriptionId' | 'outcome'>,
    time: string,
  ): EvidenceRecord {
    const chainId = `${input.subscriptionId}:${time.slice(0, 7)}`;
    const chain = this.byChain.get(chainId) ?? [];
    const sequence = chain.length + 1;
    const base: Omit<EvidenceRecord, 'hash'> = {
      idempotencyKey: `k${chainId}${sequence}`,
      trigger: 'sweep',
      eventId: null,
      correlationId: null,
      resourceId: `/subscriptions/${input.subscriptionId}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/sa`,
      resourceType: 'Microsoft.Storage/storageAccounts',
      controlId: 'STG-PUBLIC-BLOB',
      criteria: ['CC6.1'],
      action: 'none',
      message: 'test',
      before: null,
      after: null,
      actor: null,
      exceptionId: null,
      sweepId: null,
      ruleName: null,
      ...input,
      recordId: recordIdOf(chainId, sequence),
      time,
      remediatorIdentity: 'test',
      remediatorVersion: '0',
      chainId,
      sequence,
      previousHash: chain.at(-1)?.hash ?? GENESIS_HASH,
    };
    const record = { ...base, hash: recordHash(base) } as EvidenceRecord;
    chain.push(record);
    this.byChain.set(chainId, chain);
    this.heads.set(chainId, { sequence, hash: record.hash });
    return record;
  }

  async chains(months: readonly string[]): Promise<PeriodChain[]> {
    return [...this.byChain.keys()]
      .map((chainId) => {
        const month = chainId.slice(-7);
        return { chainId, subscriptionId: chainId.slice(0, -8), month };
      })
      .filter((c) => months.includes(c.month))
      .sort((a, b) => a.month.localeCompare(b.month) || a.subscriptionId.localeCompare(b.subscriptionId));
  }

  async *records(chain: PeriodChain): AsyncIterable<PositionedRecord> {
    for (const record of this.byChain.get(chain.chainId) ?? []) yield { position: record.sequence, record };
  }

  async head(chain: PeriodChain): Promise<ChainHead | null> {
    return this.heads.get(chain.chainId) ?? null;
  }
}
