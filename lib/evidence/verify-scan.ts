/**
 * Reads chains back for `driftwarden verify`: lists chains from the registry partition `chains`
 * plus every chain the log index mentions, reads each chain partition and judges it with
 * verifyChainRows (verify.ts): edited (hash mismatch), deleted (gaps, missing head, indexed
 * records that vanished), inserted (rows beyond the head or out of place) and broken-link
 * (previousHash mismatch).
 */
import { odata, type TableClient } from '@azure/data-tables';
import { mapLimit } from './concurrency.js';
import { type ChainRef, chainFromId, REGISTRY_PARTITION } from './layout.js';
import type { LogIndex } from './log-index.js';
import type { ChainProblem, VerifyResult } from './types.js';
import { type ChainReport, verifyChainRows } from './verify.js';

export class VerifyScan {
  constructor(
    private readonly client: TableClient,
    private readonly log: LogIndex,
  ) {}

  /** Every chain. */
  async verify(): Promise<VerifyResult> {
    const chains = new Map<string, ChainRef>();
    for await (const row of this.client.listEntities<{ chainId: string }>({
      queryOptions: { filter: odata`PartitionKey eq ${REGISTRY_PARTITION}`, select: ['chainId'] },
    })) {
      const chain = chainFromId(String(row.chainId));
      if (chain) chains.set(chain.chainId, chain);
    }
    const indexed = await this.log.indexedChains();
    for (const { chain } of indexed.values()) chains.set(chain.chainId, chain);
    const reports = await mapLimit([...chains.values()], 4, (chain) =>
      this.verifyChainRef(chain, indexed.get(chain.chainId)?.sequences ?? []),
    );
    const problems: ChainProblem[] = reports.flatMap((report) => report.problems);
    return {
      ok: problems.length === 0,
      chains: reports.length,
      records: reports.reduce((sum, report) => sum + report.records, 0),
      problems,
    };
  }

  /** One chain (e.g. a month of one subscription), cross-checked with its log index rows. */
  async verifyChain(chainId: string): Promise<VerifyResult> {
    const chain = chainFromId(chainId);
    if (!chain) throw new TypeError(`not a chain id: ${JSON.stringify(chainId)}`);
    const report = await this.verifyChainRef(chain, await this.log.indexedSequences(chainId));
    return {
      ok: report.problems.length === 0,
      chains: 1,
      records: report.records,
      problems: report.problems,
    };
  }

  private async verifyChainRef(chain: ChainRef, indexedSequences: number[]): Promise<ChainReport> {
    const entities: Array<Record<string, unknown>> = [];
    for await (const entity of this.client.listEntities({
      queryOptions: { filter: odata`PartitionKey eq ${chain.partitionKey}` },
    })) {
      entities.push(entity);
    }
    return verifyChainRows({ chainId: chain.chainId, entities, indexedSequences });
  }
}
