import type { EvidenceInput, EvidenceRecord } from '../evidence/types.js';

/** Stores a chunk of decisions (the engine's `record()`: appendMany, then closes their write intents). */
export type StoreEvidence = (inputs: EvidenceInput[]) => Promise<EvidenceRecord[]>;

/**
 * Feeds sweep evidence to the store in chunks as decisions arrive, one chunk in flight at a time,
 * so memory stays bounded (about 2 chunks) however large the subscription is. The store does the
 * table batching (≤ 100 entities, one partition per batch) and the idempotency. One resource's
 * decisions always travel in the same chunk, so its write intent is closed only once all of its
 * evidence is stored.
 */
export class EvidenceWriter {
  private groups: EvidenceInput[][] = [];
  private buffered = 0;
  private inFlight: Promise<void> = Promise.resolve();
  private failure: Error | null = null;
  /** inputs that could not be stored because a chunk failed */
  dropped = 0;

  constructor(
    private readonly store: StoreEvidence,
    private readonly onRecords: (records: EvidenceRecord[]) => void,
    private readonly chunkSize = 500,
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
      const current = this.inFlight;
      await current;
      // another caller may have started the next chunk while we waited: wait for that one instead
      if (this.inFlight !== current) continue;
      if (this.buffered < this.chunkSize) break;
      this.inFlight = this.write(this.takeChunk());
    }
  }

  /** Stores what is left; resolves when everything is stored (or the first failure is known). */
  async close(): Promise<void> {
    await this.inFlight;
    while (this.buffered > 0 && !this.failure) {
      this.inFlight = this.write(this.takeChunk());
      await this.inFlight;
    }
    if (this.failure) {
      this.dropped += this.buffered;
      this.groups = [];
      this.buffered = 0;
    }
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
      this.failure = error instanceof Error ? error : new Error(String(error));
      this.dropped += chunk.length;
    }
  }
}
