import { describe, expect, it } from 'vitest';
import { canonicalJson, GENESIS_HASH, recordHash, sha256Hex } from '../../../lib/evidence/hash.js';
import type { EvidenceRecord } from '../../../lib/evidence/types.js';

function sample(): EvidenceRecord {
  return {
    recordId: 'abc.1',
    time: '2026-11-03T10:00:00.000Z',
    idempotencyKey: 'event:e1:STG-PUBLIC-BLOB',
    trigger: 'event',
    eventId: 'e1',
    correlationId: null,
    subscriptionId: '00000000-0000-0000-0000-000000000001',
    resourceId:
      '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/sa',
    resourceType: 'Microsoft.Storage/storageAccounts',
    controlId: 'STG-PUBLIC-BLOB',
    criteria: ['CC6.1', 'CC6.6'],
    outcome: 'remediated',
    action: 'set allowBlobPublicAccess=false',
    message: 'public blob access was enabled',
    before: { allowBlobPublicAccess: true, nested: { b: 1, a: [1, 2] } },
    after: { allowBlobPublicAccess: false },
    actor: 'alice@contoso.example',
    exceptionId: null,
    sweepId: null,
    ruleName: null,
    remediatorIdentity: 'mi-driftwarden',
    remediatorVersion: '0.1.0',
    chainId: '00000000-0000-0000-0000-000000000001:2026-11',
    sequence: 1,
    previousHash: GENESIS_HASH,
    hash: '',
  };
}

describe('canonical JSON', () => {
  it('sorts keys at every depth and ignores insertion order', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: null } })).toBe(
      '{"a":{"c":null,"d":[3,{"y":2,"z":1}]},"b":1}',
    );
    expect(canonicalJson({ x: 1, y: 2 })).toBe(canonicalJson({ y: 2, x: 1 }));
  });

  it('drops undefined members, maps non-finite numbers and undefined array items to null', () => {
    expect(canonicalJson({ a: undefined, b: [undefined, Number.NaN, Number.POSITIVE_INFINITY] })).toBe(
      '{"b":[null,null,null]}',
    );
    expect(canonicalJson(undefined)).toBe('null');
  });

  it('matches JSON.stringify for plain values (strings with hostile characters escaped the same way)', () => {
    const value = { s: '\u0000"\\\ud800😀', n: -0.5, t: true };
    expect(JSON.parse(canonicalJson(value))).toEqual(value);
  });
});

describe('record hash', () => {
  it('is SHA-256 over every field but hash, stable under key order', () => {
    const record = sample();
    const hash = recordHash(record);
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    const { hash: _h, ...rest } = record;
    expect(hash).toBe(sha256Hex(canonicalJson(rest)));
    const reordered = Object.fromEntries(Object.entries(record).reverse()) as unknown as EvidenceRecord;
    expect(recordHash(reordered)).toBe(hash);
    expect(recordHash({ ...record, hash: 'anything' })).toBe(hash);
  });

  it('changes when any field changes, including nested state and chain fields', () => {
    const base = recordHash(sample());
    const edits: Array<Partial<EvidenceRecord>> = [
      { outcome: 'compliant' },
      { actor: 'mallory' },
      { before: { allowBlobPublicAccess: true, nested: { b: 1, a: [2, 1] } } },
      { sequence: 2 },
      { previousHash: 'f'.repeat(64) },
      { chainId: 'other:2026-11' },
      { sweepId: '2026-11' },
    ];
    for (const edit of edits)
      expect(recordHash({ ...sample(), ...edit }), JSON.stringify(edit)).not.toBe(base);
  });

  it('genesis is 64 zeros', () => {
    expect(GENESIS_HASH).toBe('0'.repeat(64));
  });
});
