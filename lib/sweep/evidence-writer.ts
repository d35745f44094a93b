import type { EvidenceInput, EvidenceRecord, EvidenceStore } from '../evidence/types.js';

/**
 * Feeds sweep evidence to `EvidenceStore.appendMany` in chunks as decisions arrive, one chunk in
 * flight at a time, so memory stays bounded (≤ 2 chunks) however large the subscription is. The
 * store does the table batching (≤ 100 entities, one partition per batch) and the idempotency.
 */
export class EvidenceWriter {
  private buffer: EvidenceInput[] = [];
  private inFlight: Promise<void> = Promise.resolve();
  private failure: Error | null = null;
  /** inputs that could not be written because an earlier chunk failed */
  dropped = 0;

  constructor(
    private readonly store: Pick<EvidenceStore, 'appendMany'>,
    private readonly onRecords: (records: EvidenceRecord[]) => void,
    private readonly chunkSize = 500,
  ) {}

  get error(): Error | null {
    return this.failure;
  }

  /** Queues inputs; waits (backpressure) while a full chunk cannot be started yet. */
  async add(inputs: EvidenceInput[]): Promise<void> {
    if (this.failure) {
      this.dropped += inputs.length;
      return;
    }
    this.buffer.push(...inputs);
    while (this.buffer.length >= this.chunkSize && !this.failure) {
      const current = this.inFlight;
      await current;
      // another caller may have started the next chunk while we waited: wait for that one instead
      if (this.inFlight !== current) continue;
      if (this.buffer.length < this.chunkSize) break;
      this.inFlight = this.write(this.buffer.splice(0, this.chunkSize));
    }
  }

  /** Writes what is left; resolves when everything is stored (or the first failure is known). */
  async close(): Promise<void> {
    await this.inFlight;
    while (this.buffer.length > 0 && !this.failure) {
      this.inFlight = this.write(this.buffer.splice(0, this.chunkSize));
      await this.inFlight;
    }
    if (this.failure) this.dropped += this.buffer.splice(0).length;
  }

  private async write(chunk: EvidenceInput[]): Promise<void> {
    try {
      this.onRecords(await this.store.appendMany(chunk));
    } catch (error) {
      this.failure = error instanceof Error ? error : new Error(String(error));
      this.dropped += chunk.length;
    }
  }
}
