import { GENESIS_HASH, recordHash } from '../lib/evidence/hash.js';
import type { EvidenceInput, EvidenceRecord, EvidenceStore } from '../lib/evidence/types.js';

/**
 * The sweep benches' stand-in for the evidence store: idempotent and hash-chained in memory (the
 * store's CPU side, no I/O), so a run isolates what the real store costs. The sweep path calls
 * only append/appendMany. Not a bench module itself (no `.bench.ts`).
 */
export class MemoryEvidence implements Pick<EvidenceStore, 'append' | 'appendMany'> {
  private readonly byKey = new Map<string, EvidenceRecord>();
  private previousHash = GENESIS_HASH;

  /** As the store the sweep runtime takes (it uses only the two methods above). */
  asStore(): EvidenceStore {
    return this as unknown as EvidenceStore;
  }

  async append(input: EvidenceInput): Promise<EvidenceRecord> {
    const existing = this.byKey.get(input.idempotencyKey);
    if (existing) return existing;
    const sequence = this.byKey.size + 1;
    const unhashed = {
      ...input,
      recordId: `bench.${sequence}`,
      time: new Date().toISOString(),
      remediatorIdentity: 'bench',
      remediatorVersion: '0',
      chainId: 'bench',
      sequence,
      previousHash: this.previousHash,
    };
    const record: EvidenceRecord = { ...unhashed, hash: recordHash(unhashed) };
    this.previousHash = record.hash;
    this.byKey.set(input.idempotencyKey, record);
    return record;
  }

  async appendMany(inputs: EvidenceInput[]): Promise<EvidenceRecord[]> {
    const out: EvidenceRecord[] = [];
    for (const input of inputs) out.push(await this.append(input));
    return out;
  }
}
