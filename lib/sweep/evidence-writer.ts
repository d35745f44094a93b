import type { EvidenceInput, EvidenceRecord } from '../evidence/types.js';

/** Stores a chunk of decisions (the engine's `record()`: appendMany, then closes their write intents). */
export type StoreEvidence = (inputs: EvidenceInput[]) => Promise<EvidenceRecord[]>;

/**
 * Feeds sweep evidence to the store in chunks as decisions arrive, with up to `maxInFlight`
 * chunks in flight (pipelined: while one chunk waits on a round trip the next is being written,
 * and the store spreads them over sub-chains and shards), so memory stays bounded (about
 * maxInFlight + 1 chunks) however large the subscription is. The store does the table batching
 * (≤ 100 entities, one partition per batch) and the idempotency; chunks of one chain are ordered
 * by the store's per-chain lane, not here. One resource's decisions always travel in the same
 * chunk, so its write intent is closed only once all of its evidence is stored.
 */
export class EvidenceWriter {
  private groups: EvidenceInput[][] = [];
  private buffered = 0;
  private readonly inFlight = new Set<Promise<void>>();
  private failure: Error | null = null;
  /** inputs that could not be stored because a chunk failed */
  dropped = 0;

  constructor(
    private readonly store: StoreEvidence,
    private readonly onRecords: (records: EvidenceRecord[]) => void,
    private readonly chunkSize = 500,
    private readonly maxInFlight = 4,
  ) {}

  get error(): Error | null {
    return this.failure;
  }

  /** Queues one resource's inputs; waits (backpressure) while a full chunk cannot be started yet. */
  async add(inputs: EvidenceInput[]): Promise<void> {
    if (inputs.length === 0) return;
    if (this.failure) {
      this.dropped += inputs.length;
      return;
    }
    this.groups.push(inputs);
    this.buffered += inputs.length;
    while (this.buffered >= this.chunkSize && !this.failure) {
      if (this.inFlight.size < this.maxInFlight) {
        this.start(this.takeChunk());
        continue;
      }
      await Promise.race(this.inFlight);
    }
  }

  /** Stores what is left; resolves when everything is stored (or the first failure is known). */
  async close(): Promise<void> {
    while (this.buffered > 0 && !this.failure) {
      if (this.inFlight.size < this.maxInFlight) this.start(this.takeChunk());
      else await Promise.race(this.inFlight);
    }
    await Promise.all(this.inFlight);
    if (this.failure) {
      this.dropped += this.buffered;
      this.groups = [];
      this.buffered = 0;
    }
  }

  private start(chunk: EvidenceInput[]): void {
    const running: Promise<void> = this.write(chunk).finally(() => this.inFlight.delete(running));
    this.inFlight.add(running);
  }

  private takeChunk(): EvidenceInput[] {
    const chunk: EvidenceInput[] = [];
    while (this.groups.length > 0 && chunk.length < this.chunkSize) {
      const group = this.groups.shift() as EvidenceInput[];
      chunk.push(...group);
    }
    this.buffered -= chunk.length;
    return chunk;
  }

  private async write(chunk: EvidenceInput[]): Promise<void> {
    try {
      this.onRecords(await this.store(chunk));
    } catch (error) {
      this.failure ??= error instanceof Error ? error : new Error(String(error));
      this.dropped += chunk.length;
    }
  }
}
