/**
 * Publishes signed digests: at a fixed interval (DW_DIGEST_INTERVAL) and at the end of every
 * sweep, for every chain that changed since the previous digest, one digest naming each chain's
 * head (sequence, hash, time range), linked to the previous digest by its hash and signature.
 *
 * Which chains changed: those this process appended to (the evidence store tells the publisher,
 * no extra I/O on the append path), plus those the log index lists since the previous digest
 * (minus a clock-skew margin), which covers other instances and a process that crashed before
 * publishing. Cost per digest: one log range query over the interval's rows, one head point read
 * per changed chain, one Key Vault sign, one blob create — O(chains that changed), never
 * O(history). The very first digest lists the chain registry instead (once per deployment).
 *
 * Concurrency: digest blobs are named by sequence and created with If-None-Match: *; a publisher
 * that loses the race re-reads the latest digest, re-links and re-signs.
 */
import { odata, type TableClient } from '@azure/data-tables';
import { mapLimit } from '../evidence/concurrency.js';
import { chainFromId, HEAD_ROW, invertedMs, logPartitions, REGISTRY_PARTITION } from '../evidence/layout.js';
import { readEntity } from '../evidence/table-rows.js';
import { toError } from '../util/errors.js';
import {
  DIGEST_FORMAT,
  type Digest,
  type DigestBody,
  type DigestChain,
  digestBlobName,
  digestHash,
  digestPayload,
} from './digest.js';
import { DigestExistsError, type DigestStore } from './digest-store.js';
import type { DigestSigner } from './signer.js';

export interface DigestPublisherStats {
  /** table operations (query pages and point reads) spent finding and reading changed heads */
  tableOperations: number;
  digestsPublished: number;
  signatures: number;
}

export interface DigestPublisherOptions {
  /** the evidence table */
  table: TableClient;
  digests: DigestStore;
  signer: DigestSigner;
  clock?: () => Date;
  log?: (line: string) => void;
  /** log rows up to this much older than the previous digest are re-read (writer clock skew); default 120 s */
  skewMs?: number;
}

const MAX_ATTEMPTS = 8;

export class DigestPublisher {
  readonly stats: DigestPublisherStats = { tableOperations: 0, digestsPublished: 0, signatures: 0 };
  private readonly clock: () => Date;
  /** chains this process appended to since their last digest (chain id -> change counter) */
  private readonly dirty = new Map<string, number>();
  /** the newest digest this process knows (undefined: not read yet) */
  private latestKnown: Digest | null | undefined;
  /** chain heads as last anchored by a digest this process published or read */
  private readonly anchored = new Map<string, { sequence: number; hash: string }>();
  private running: Promise<Digest | null> | null = null;

  constructor(private readonly options: DigestPublisherOptions) {
    this.clock = options.clock ?? (() => new Date());
  }

  /** Called by the evidence store after every append (chain ids written). */
  markChanged(chainIds: Iterable<string>): void {
    for (const chainId of chainIds) this.dirty.set(chainId, (this.dirty.get(chainId) ?? 0) + 1);
  }

  /** Publishes a digest if any chain changed; null when nothing changed. One at a time per process. */
  publish(reason: DigestBody['reason'] = 'interval'): Promise<Digest | null> {
    const run = (this.running ?? Promise.resolve(null)).catch(() => null).then(() => this.publishNow(reason));
    this.running = run;
    return run;
  }

  private async publishNow(reason: DigestBody['reason']): Promise<Digest | null> {
    const digests = this.options.digests;
    if (this.latestKnown === undefined) this.rememberLatest(await digests.latest());
    const dirtySnapshot = new Map(this.dirty);
    for (let attempt = 1; ; attempt++) {
      const previous = this.latestKnown ?? null;
      const candidates = new Set([...dirtySnapshot.keys(), ...(await this.changedSince(previous))]);
      const chains = (await mapLimit([...candidates].sort(), 16, (chainId) => this.headOf(chainId))).filter(
        (chain): chain is DigestChain => {
          if (!chain) return false;
          const known = this.anchored.get(chain.chainId);
          return !known || known.sequence !== chain.sequence || known.hash !== chain.headHash;
        },
      );
      if (chains.length === 0) {
        this.clearDirty(dirtySnapshot);
        return null;
      }
      const publishedAt = this.clock().toISOString();
      const keyId = await this.options.signer.keyId();
      const body: DigestBody = {
        format: DIGEST_FORMAT,
        sequence: (previous?.body.sequence ?? 0) + 1,
        publishedAt,
        reason,
        keyId,
        algorithm: 'RS256',
        previous: previous
          ? { sequence: previous.body.sequence, hash: previous.hash, signature: previous.blob.signature }
          : null,
        chains,
      };
      const payload = digestPayload(body);
      const { signature } = await this.options.signer.sign(Buffer.from(payload, 'utf8'));
      this.stats.signatures++;
      const blob = {
        payload,
        signature: signature.toString('base64'),
        algorithm: 'RS256' as const,
        keyId,
        publicKeyPem: await this.options.signer.publicKeyPem(),
      };
      const name = digestBlobName(body.sequence);
      try {
        await digests.create(name, blob, publishedAt);
      } catch (error) {
        if (!(error instanceof DigestExistsError) || attempt >= MAX_ATTEMPTS) throw error;
        // another instance published this sequence first: link to it and try the next one
        this.rememberLatest(await digests.latest());
        continue;
      }
      const digest: Digest = { name, body, blob, hash: digestHash(payload) };
      this.rememberLatest(digest);
      this.clearDirty(dirtySnapshot);
      this.stats.digestsPublished++;
      return digest;
    }
  }

  /** Publishes, logging instead of throwing (timers: the next tick retries, verify reports the gap). */
  async publishQuietly(reason: DigestBody['reason']): Promise<Digest | null> {
    try {
      return await this.publish(reason);
    } catch (error) {
      this.options.log?.(`warning: digest publication failed: ${toError(error).message}`);
      return null;
    }
  }

  private rememberLatest(digest: Digest | null): void {
    this.latestKnown = digest;
    for (const chain of digest?.body.chains ?? [])
      this.anchored.set(chain.chainId, { sequence: chain.sequence, hash: chain.headHash });
  }

  private clearDirty(snapshot: Map<string, number>): void {
    for (const [chainId, count] of snapshot) {
      if (this.dirty.get(chainId) === count) this.dirty.delete(chainId); // unchanged since the snapshot
    }
  }

  /** Chains the log index lists since the previous digest; every registered chain before the first. */
  private async changedSince(previous: Digest | null): Promise<Set<string>> {
    const chains = new Set<string>();
    const table = this.options.table;
    if (!previous) {
      const pages = table
        .listEntities<{ chainId: string }>({
          queryOptions: { filter: odata`PartitionKey eq ${REGISTRY_PARTITION}`, select: ['chainId'] },
        })
        .byPage({ maxPageSize: 1000 });
      for await (const page of pages) {
        this.stats.tableOperations++;
        for (const row of page) chains.add(String(row.chainId));
      }
      return chains;
    }
    const since = Date.parse(previous.body.publishedAt) - (this.options.skewMs ?? 120_000);
    // log RowKeys are inverted ms: time >= since  <=>  RowKey < inverted(since - 1)
    // one query per log shard (lib/evidence/layout.ts): each holds part of the interval's rows
    for (const partition of logPartitions()) {
      const filter = odata`PartitionKey eq ${partition} and RowKey lt ${invertedMs(since - 1)}`;
      const pages = table
        .listEntities<{ chain: string }>({ queryOptions: { filter, select: ['chain'] } })
        .byPage({ maxPageSize: 1000 });
      for await (const page of pages) {
        this.stats.tableOperations++;
        for (const row of page) if (row.chain) chains.add(String(row.chain));
      }
    }
    return chains;
  }

  private async headOf(chainId: string): Promise<DigestChain | null> {
    const chain = chainFromId(chainId);
    if (!chain) return null;
    this.stats.tableOperations++;
    const head = await readEntity(this.options.table, chain.partitionKey, HEAD_ROW);
    if (!head || typeof head.sequence !== 'number' || typeof head.hash !== 'string') return null;
    return {
      chainId,
      sequence: head.sequence,
      headHash: head.hash,
      firstTime: typeof head.firstTime === 'string' ? head.firstTime : null,
      lastTime: typeof head.time === 'string' ? head.time : null,
    };
  }
}
