import type { TableClient, TableEntity } from '@azure/data-tables';
import { chunk, mapLimit } from './concurrency.js';
import { type ChainRef, chainFor, claimPartition } from './layout.js';
import { isStatus, MAX_TRANSACTION_OPERATIONS, readEntity } from './table-rows.js';

/**
 * Which chain owns an idempotency key. The (event id, control id) key must map to the same chain
 * on redelivery, but the month in the chain id comes from the clock, and Event Grid retries for
 * 24 h, across a month end. So the first writer of a key inserts a *claim* row (partition
 * `k~<first hex of sha256(key)>`, RowKey sha256(key)) naming the chain partition; insert-if-absent
 * makes the first claim win, and every later writer (redelivery next month, a crash-recovery
 * retry, a concurrent duplicate) reads the claim and appends to that chain. A claim whose writer
 * crashed before committing is harmless: the next attempt appends to the claimed chain (possibly a
 * past month's chain; the record's time is still the real time).
 */

export interface Claim {
  chain: ChainRef;
  /** claimed just now by us: nobody can have recorded the key yet */
  fresh: boolean;
}

export interface ClaimStats {
  claimTransactions: number;
}

export interface ClaimRequest {
  /** sha256 of the idempotency key (layout.keyHash) */
  hash: string;
  /** select the candidate chain */
  subscriptionId: string;
  subChain: number | null;
}

export class IdempotencyClaims {
  constructor(
    private readonly client: TableClient,
    private readonly stats: ClaimStats,
  ) {}

  /** The chain that owns a key, or null when nobody claimed it. */
  async owner(hash: string): Promise<ChainRef | null> {
    const claim = await readEntity(this.client, claimPartition(hash), hash);
    return claim ? claimedChain(claim) : null;
  }

  /** Insert-if-absent of the key's claim; the first claim fixes the chain for every later writer. */
  async claim(hash: string, candidate: ChainRef): Promise<Claim> {
    try {
      await this.client.createEntity(claimEntity(hash, candidate));
      return { chain: candidate, fresh: true };
    } catch (error) {
      if (!isStatus(error, 409)) throw error;
    }
    const existing = await readEntity(this.client, claimPartition(hash), hash);
    if (!existing) throw new Error(`idempotency claim ${hash} conflicted but cannot be read`);
    return { chain: claimedChain(existing), fresh: false };
  }

  /**
   * Claims in batches of ≤ 100 per claim partition, candidates in the chains of `now`; a batch
   * that conflicts falls back to per-key insert-or-read.
   */
  async claimMany(items: ClaimRequest[], now: Date): Promise<Map<string, Claim>> {
    const result = new Map<string, Claim>();
    const byPartition = new Map<string, ClaimRequest[]>();
    for (const item of items) {
      const key = claimPartition(item.hash);
      byPartition.set(key, [...(byPartition.get(key) ?? []), item]);
    }
    const batches = [...byPartition.values()].flatMap((group) => chunk(group, MAX_TRANSACTION_OPERATIONS));
    await mapLimit(batches, 4, async (batch) => {
      const candidates = batch.map((item) => ({
        item,
        chain: chainFor(item.subscriptionId, now, item.subChain),
      }));
      try {
        await this.client.submitTransaction(
          candidates.map(({ item, chain }) => ['create', claimEntity(item.hash, chain)]),
        );
        this.stats.claimTransactions++;
        for (const { item, chain } of candidates) result.set(item.hash, { chain, fresh: true });
      } catch (error) {
        if (!isStatus(error, 409)) throw error;
        // Some keys were claimed before (sweep re-run, redelivery): read those claims, claim the rest.
        await mapLimit(candidates, 16, async ({ item }) => {
          const existing = await readEntity(this.client, claimPartition(item.hash), item.hash);
          if (existing) result.set(item.hash, { chain: claimedChain(existing), fresh: false });
        });
        const missing = candidates.filter(({ item }) => !result.has(item.hash));
        await mapLimit(missing, 16, async ({ item, chain }) =>
          result.set(item.hash, await this.claim(item.hash, chain)),
        );
      }
    });
    return result;
  }
}

function claimedChain(claim: Record<string, unknown>): ChainRef {
  return { chainId: String(claim.chainId), partitionKey: String(claim.chainPartition) };
}

function claimEntity(hash: string, chain: ChainRef): TableEntity {
  return {
    partitionKey: claimPartition(hash),
    rowKey: hash,
    chainId: chain.chainId,
    chainPartition: chain.partitionKey,
  };
}
