/**
 * Appends evidence to its hash chain. A chain is per subscription per UTC month, optionally split
 * into sub-chains by a hash of the resource id (chainId `<sub>:<yyyy-mm>[~<nn>]`, layout.ts), one
 * partition each. Its `head` entity holds {sequence, hash} of the last
 * record. An append is ONE entity-group transaction in that partition: insert the record row(s)
 * (RowKey from the sequence), insert their idempotency rows, and update the head with If-Match on
 * the ETag read (or insert the head for a new chain). A concurrent writer that read the same head
 * loses with 412/409, nothing of its batch is applied, and it retries (re-read head, recompute
 * hashes). So the chain never forks, never has a gap, and a record is never half-written. Several
 * chains (subscriptions) append in parallel; writers on one chain serialise on its head.
 *
 * Idempotency. Which chain owns a key is fixed by its claim (claims.ts). Inside the chain
 * partition the idempotency row `i~<sha256>` is inserted in the same transaction as the record, so
 * "written" is atomic with the record: a duplicate finds it (or its transaction conflicts, and the
 * retry finds it) and returns the first record without writing. findByIdempotencyKey is two point
 * reads (claim, index row) plus the record.
 *
 * One writer per chain per process. append and appendMany both queue into the chain's lane; the
 * lane's drain loop is the only code in this process that writes that chain, and it carries the
 * head (sequence, hash, ETag) from each committed transaction to the next, so a run of
 * transactions on one chain costs no head re-reads and never conflicts with itself. Lanes of
 * different chains (sub-chains, subscriptions) drain in parallel.
 *
 * appendMany (sweep). Claims are batched (claims.ts). Records are grouped by chain and written in
 * transactions of ≤ 49 records: 49 records + 49 idempotency rows + 1 head = 99 ≤ 100 operations,
 * also capped at ~3 MiB of payload (the 4 MiB batch limit). Keys that already exist are skipped
 * and their first record returned.
 *
 * Stored values. Text fields are bounded (8 Ki chars, marked when cut), lone surrogates become
 * U+FFFD and U+2028/2029 become '\n' (Azurite's batch parser rejects them); before/after are JSON
 * (lossless, replaced by a {truncated, sha256, preview} marker above 30 K chars). The hash covers
 * exactly what is stored, and append returns exactly what get() will read back.
 */
import type { TableClient, TableEntity, TransactionAction } from '@azure/data-tables';
import { type Claim, type ClaimStats, IdempotencyClaims } from './claims.js';
import { mapLimit, sleep } from './concurrency.js';
import { normalizeInput, type StoredInput, toEntity, wellFormed } from './entity.js';
import { GENESIS_HASH, recordHash } from './hash.js';
import {
  type ChainRef,
  chainFor,
  claimKeyOf,
  HEAD_ROW,
  idempotencyRow,
  keyHash,
  REGISTRY_PARTITION,
  recordIdOf,
  recordRow,
  subChainOf,
} from './layout.js';
import type { RecordReader } from './record-reader.js';
import { isStatus, readEntity } from './table-rows.js';
import type { EvidenceInput, EvidenceRecord } from './types.js';

/** 49 records + 49 idempotency rows + 1 head update = 99 operations (limit 100). */
export const RECORDS_PER_TRANSACTION = 49;
const MAX_TRANSACTION_BYTES = 3 * 1024 * 1024;

export interface ChainWriterStats extends ClaimStats {
  /** committed chain transactions (records + idempotency rows + head) */
  chainTransactions: number;
  /** chain transactions lost to a concurrent writer (412/409) and retried */
  conflicts: number;
  recordsWritten: number;
}

export interface ChainWriterOptions {
  client: TableClient;
  records: RecordReader;
  /** counters, incremented in place */
  stats: ChainWriterStats;
  clock: () => Date;
  remediatorIdentity: string;
  remediatorVersion: string;
  /** attempts per chain transaction when concurrent writers race for the head */
  maxAttempts: number;
  /** sub-chains per subscription and month (1 = the plain monthly chain); see layout.ts */
  subChains: number;
}

interface Pending {
  stored: StoredInput;
  hash: string;
  /** sha256 of the claim key (layout.claimKeyOf): a sweep's records of one resource share it */
  claimHash: string;
  /** sub-chain of the record's resource (null: one chain per subscription and month) */
  subChain: number | null;
}

interface Waiter {
  item: Pending & { fresh: boolean };
  resolve(record: EvidenceRecord): void;
  reject(error: unknown): void;
}

interface Head {
  sequence: number;
  hash: string;
  etag: string;
  /** time of record 1 (carried over on every head update; digests name the chain's time range) */
  firstTime: string | null;
}

function keyHashOf(idempotencyKey: string): string {
  return keyHash(wellFormed(idempotencyKey));
}

function claimHashOf(idempotencyKey: string): string {
  return keyHash(claimKeyOf(wellFormed(idempotencyKey)));
}

export class ChainWriter {
  private readonly client: TableClient;
  private readonly claims: IdempotencyClaims;
  private readonly registered = new Set<string>();
  /** chain partition -> appends waiting for the in-flight transaction (present while draining) */
  private readonly lanes = new Map<string, Waiter[]>();
  /** chain partition -> head as our last commit left it (a guess: the ETag keeps it honest) */
  private readonly heads = new Map<string, Head>();

  constructor(private readonly options: ChainWriterOptions) {
    this.client = options.client;
    this.claims = new IdempotencyClaims(options.client, options.stats);
  }

  /** One record; a new one costs (claim insert ‖ head read) plus the chain transaction. */
  async append(input: EvidenceInput): Promise<EvidenceRecord> {
    const item = this.prepare(input);
    const candidate = chainFor(item.stored.subscriptionId, this.options.clock(), item.subChain);
    // Read the candidate chain's head while claiming: saves a round trip on the event path. The
    // head is only a starting guess; the ETag on the transaction keeps it honest.
    const [{ chain, fresh }, head] = await Promise.all([
      this.claims.claim(item.claimHash, candidate),
      this.readHead(candidate),
    ]);
    const prefetched = chain.partitionKey === candidate.partitionKey ? head : undefined;
    return this.enqueue(chain, { ...item, fresh }, prefetched);
  }

  /** Many records (sweep), in input order; duplicates within the batch share one record. */
  async appendMany(inputs: EvidenceInput[]): Promise<EvidenceRecord[]> {
    const items = inputs.map((input) => this.prepare(input));
    const unique = [...new Map(items.map((item) => [item.hash, item])).values()];
    const groups = [...new Map(unique.map((item) => [item.claimHash, item])).values()];
    const claims = await this.claims.claimMany(
      groups.map((item) => ({
        hash: item.claimHash,
        subscriptionId: item.stored.subscriptionId,
        subChain: item.subChain,
      })),
      this.options.clock(),
    );
    // Every item goes through its chain's lane: the lane writes ≤ 49 per transaction, in order,
    // carrying the head; lanes of different chains (sub-chains, subscriptions) run in parallel.
    const results = new Map<string, EvidenceRecord>();
    await Promise.all(
      unique.map(async (item) => {
        const claim: Claim | undefined = claims.get(item.claimHash);
        if (!claim) throw new Error('claim missing after claimMany'); // unreachable
        results.set(item.hash, await this.enqueue(claim.chain, { ...item, fresh: claim.fresh }));
      }),
    );
    return items.map((item) => {
      const record = results.get(item.hash);
      if (!record) throw new Error('appendMany finished without a record'); // unreachable
      return record;
    });
  }

  async findByIdempotencyKey(key: string): Promise<EvidenceRecord | null> {
    const hash = keyHashOf(key);
    const chain = await this.claims.owner(claimHashOf(key));
    if (!chain) return null;
    return (await this.readExisting(chain, [hash])).get(hash) ?? null;
  }

  private prepare(input: EvidenceInput): Pending {
    if (typeof input.idempotencyKey !== 'string' || input.idempotencyKey.length === 0) {
      throw new TypeError('evidence input needs a non-empty idempotencyKey');
    }
    if (typeof input.subscriptionId !== 'string' || input.subscriptionId.length === 0) {
      throw new TypeError('evidence input needs a subscriptionId (it selects the chain)');
    }
    const stored = normalizeInput(input);
    const subChain = subChainOf(stored.resourceId, this.options.subChains);
    chainFor(stored.subscriptionId, new Date(0), subChain); // throws KeyTooLongError now rather than mid-batch
    return {
      stored,
      hash: keyHashOf(input.idempotencyKey),
      claimHash: claimHashOf(input.idempotencyKey),
      subChain,
    };
  }

  /**
   * Group commit: appends to one chain from this instance queue up while a transaction is in
   * flight and go together in the next one (≤ 49), instead of racing each other for the head.
   * Writers in other instances still race, and the ETag settles it.
   */
  private enqueue(
    chain: ChainRef,
    item: Pending & { fresh: boolean },
    prefetched?: Head | null,
  ): Promise<EvidenceRecord> {
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { item, resolve, reject };
      const lane = this.lanes.get(chain.partitionKey);
      if (lane) {
        lane.push(waiter);
        return;
      }
      this.lanes.set(chain.partitionKey, [waiter]);
      void this.drain(chain, prefetched);
    });
  }

  private async drain(chain: ChainRef, prefetched?: Head | null): Promise<void> {
    const lane = this.lanes.get(chain.partitionKey) ?? [];
    // a fresh read (event path) beats our memory; our memory beats a read (sweep: no round trip)
    let head: Head | null | undefined = prefetched ?? this.heads.get(chain.partitionKey);
    await Promise.resolve(); // let appends enqueued in the same tick (appendMany) join the first transaction
    while (lane.length > 0) {
      // only the head of the lane is measured: a long lane (sweep) is not re-serialised per transaction
      const size =
        transactionChunks(lane.slice(0, RECORDS_PER_TRANSACTION).map((waiter) => waiter.item))[0]?.length ??
        1;
      const waiters = lane.splice(0, size);
      try {
        const unique = [...new Map(waiters.map((waiter) => [waiter.item.hash, waiter.item])).values()];
        const fresh = new Set(
          waiters.filter((waiter) => waiter.item.fresh).map((waiter) => waiter.item.hash),
        );
        const { done, head: next } = await this.appendChunk(chain, unique, fresh, head);
        head = next; // the head our commit left (undefined: unknown, read it next time)
        for (const waiter of waiters) {
          const record = done.get(waiter.item.hash);
          if (record) waiter.resolve(record);
          else waiter.reject(new Error('evidence append finished without a record')); // unreachable
        }
      } catch (error) {
        head = undefined;
        for (const waiter of waiters) waiter.reject(error); // every caller fails its invocation: redelivery retries
      }
      if (head) this.heads.set(chain.partitionKey, head);
      else this.heads.delete(chain.partitionKey);
    }
    this.lanes.delete(chain.partitionKey); // synchronous after the last check: no waiter can be stranded
  }

  /**
   * Appends items (≤ one transaction's worth) to a chain, retrying on head conflicts. Items whose
   * key is already recorded are returned as written. `fresh` = keys we just claimed ourselves, so
   * on the first attempt nobody can have recorded them yet and the index read is skipped.
   */
  private async appendChunk(
    chain: ChainRef,
    items: Pending[],
    fresh: ReadonlySet<string>,
    prefetchedHead?: Head | null,
  ): Promise<{ done: Map<string, EvidenceRecord>; head?: Head }> {
    const done = new Map<string, EvidenceRecord>();
    let pending = items;
    for (let attempt = 1; ; attempt++) {
      const first = attempt === 1;
      const toCheck = first ? pending.filter((item) => !fresh.has(item.hash)) : pending;
      const [head, existing] = await Promise.all([
        first && prefetchedHead !== undefined ? prefetchedHead : this.readHead(chain),
        this.readExisting(
          chain,
          toCheck.map((item) => item.hash),
        ),
      ]);
      for (const [hash, record] of existing) done.set(hash, record);
      pending = pending.filter((item) => !done.has(item.hash));
      if (pending.length === 0) return head ? { done, head } : { done };
      if (!head) await this.register(chain);

      const time = this.options.clock().toISOString();
      let sequence = head?.sequence ?? 0;
      let previousHash = head?.hash ?? GENESIS_HASH;
      const actions: TransactionAction[] = [];
      const built: Array<[string, EvidenceRecord]> = [];
      for (const item of pending) {
        sequence++;
        const record = this.buildRecord(item.stored, chain, sequence, previousHash, time);
        previousHash = record.hash;
        actions.push(['create', toEntity(chain.partitionKey, recordRow(sequence), record)]);
        actions.push([
          'create',
          {
            partitionKey: chain.partitionKey,
            rowKey: idempotencyRow(item.hash),
            recordId: record.recordId,
            sequence,
          },
        ]);
        built.push([item.hash, record]);
      }
      const headEntity: TableEntity = {
        partitionKey: chain.partitionKey,
        rowKey: HEAD_ROW,
        chainId: chain.chainId,
        sequence,
        hash: previousHash,
        time, // the head record's time and the chain's first: what a digest names as its time range
        firstTime: head?.firstTime ?? time,
      };
      actions.push(head ? ['update', headEntity, 'Replace', { etag: head.etag }] : ['create', headEntity]);
      let etag: string | undefined;
      try {
        const response = await this.client.submitTransaction(actions);
        // the head is the last action; its sub-response carries the new ETag (the SDK keeps a CR)
        etag = response.subResponses.at(-1)?.etag?.trim() || undefined;
      } catch (error) {
        // 412: the head moved; 409: head created or key recorded by a concurrent writer. Re-read, retry.
        if (!isStatus(error, 409, 412) || attempt >= this.options.maxAttempts) throw error;
        this.options.stats.conflicts++;
        await sleep(Math.random() * Math.min(50, 2 ** attempt));
        continue;
      }
      this.options.stats.chainTransactions++;
      this.options.stats.recordsWritten += built.length;
      for (const [hash, record] of built) done.set(hash, record);
      return etag
        ? { done, head: { sequence, hash: previousHash, etag, firstTime: head?.firstTime ?? time } }
        : { done };
    }
  }

  private buildRecord(
    stored: StoredInput,
    chain: ChainRef,
    sequence: number,
    previousHash: string,
    time: string,
  ): EvidenceRecord {
    const unsigned: Omit<EvidenceRecord, 'hash'> = {
      recordId: recordIdOf(chain.chainId, sequence),
      time,
      ...stored,
      remediatorIdentity: this.options.remediatorIdentity,
      remediatorVersion: this.options.remediatorVersion,
      chainId: chain.chainId,
      sequence,
      previousHash,
    };
    return { ...unsigned, hash: recordHash(unsigned) };
  }

  private async readHead(chain: ChainRef): Promise<Head | null> {
    const entity = await readEntity(this.client, chain.partitionKey, HEAD_ROW);
    if (!entity) return null;
    return {
      sequence: Number(entity.sequence),
      hash: String(entity.hash),
      etag: String(entity.etag),
      firstTime: typeof entity.firstTime === 'string' ? entity.firstTime : null,
    };
  }

  /** Records already written for these key hashes in this chain: index point reads, then the records. */
  private async readExisting(chain: ChainRef, hashes: string[]): Promise<Map<string, EvidenceRecord>> {
    const indexed = new Map<string, string>(); // hash -> recordId
    await mapLimit(hashes, 16, async (hash) => {
      const index = await readEntity(this.client, chain.partitionKey, idempotencyRow(hash));
      if (index) indexed.set(hash, recordIdOf(chain.chainId, Number(index.sequence)));
    });
    if (indexed.size === 0) return new Map();
    const byId = await this.options.records.byId([...indexed.values()]);
    const found = new Map<string, EvidenceRecord>();
    for (const [hash, recordId] of indexed) {
      const record = byId.get(recordId);
      if (!record) throw new Error(`evidence record ${recordId} is indexed but missing (run verify)`);
      found.set(hash, record);
    }
    return found;
  }

  /** Lists a new chain in the registry partition, so verify finds it even with no log row. */
  private async register(chain: ChainRef): Promise<void> {
    if (this.registered.has(chain.partitionKey)) return;
    await this.client.upsertEntity(
      { partitionKey: REGISTRY_PARTITION, rowKey: chain.partitionKey, chainId: chain.chainId },
      'Replace',
    );
    this.registered.add(chain.partitionKey);
  }
}

/** Splits one chain's items into transactions: ≤ 49 records and ≤ ~3 MiB of payload each. */
function transactionChunks(items: Pending[]): Pending[][] {
  const chunks: Pending[][] = [];
  let current: Pending[] = [];
  let bytes = 0;
  for (const item of items) {
    const size = Buffer.byteLength(JSON.stringify(item.stored)) + 2048;
    if (
      current.length > 0 &&
      (current.length === RECORDS_PER_TRANSACTION || bytes + size > MAX_TRANSACTION_BYTES)
    ) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(item);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}
