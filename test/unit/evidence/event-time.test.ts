import { describe, expect, it } from 'vitest';
import { fromEntity, normalizeInput, toEntity } from '../../../lib/evidence/entity.js';
import { recordHash } from '../../../lib/evidence/hash.js';
import type { EvidenceInput, EvidenceRecord } from '../../../lib/evidence/types.js';

const input: EvidenceInput = {
  idempotencyKey: 'event:e1:STG-PUBLIC-BLOB',
  trigger: 'event',
  eventId: 'e1',
  correlationId: null,
  subscriptionId: 's',
  resourceId: '/subscriptions/s/x',
  resourceType: 't',
  controlId: 'STG-PUBLIC-BLOB',
  criteria: ['CC6.1'],
  outcome: 'remediated',
  action: 'a',
  message: 'm',
  before: { a: 1 },
  after: { a: 0 },
  actor: 'alice',
  exceptionId: null,
};

function record(stored: ReturnType<typeof normalizeInput>): EvidenceRecord {
  const base = {
    ...stored,
    recordId: 'r',
    time: '2026-10-01T00:00:10.000Z',
    remediatorIdentity: 'i',
    remediatorVersion: 'v',
    chainId: 's:2026-10',
    sequence: 1,
    previousHash: '0'.repeat(64),
  };
  return { ...base, hash: recordHash(base) };
}

describe('eventTime on evidence records', () => {
  it('is stored and hashed when present, and read back', () => {
    const r = record(normalizeInput({ ...input, eventTime: '2026-10-01T00:00:00.000Z' }));
    const back = fromEntity(toEntity('p', 'r~0000000001', r));
    expect(back.eventTime).toBe('2026-10-01T00:00:00.000Z');
    expect(recordHash(back)).toBe(r.hash);
  });

  it('is absent (not null) when not set, so records written before the field keep their hashes', () => {
    const stored = normalizeInput(input);
    expect('eventTime' in stored).toBe(false);
    const r = record(stored);
    const back = fromEntity(toEntity('p', 'r~0000000001', r));
    expect('eventTime' in back).toBe(false);
    expect(recordHash(back)).toBe(r.hash);
  });
});
