import { createServer } from 'node:net';
import type { TableEntity } from '@azure/data-tables';
import { describe, expect, it } from 'vitest';
import { createTableClient } from '../../../lib/azure/tables.js';
import { chainFromId, HEAD_ROW, parseChainId, recordRow } from '../../../lib/evidence/layout.js';
import { TableEvidenceStore } from '../../../lib/evidence/table-store.js';
import type { EvidenceRecord } from '../../../lib/evidence/types.js';
import { input, manualClock, newStore, oneResource, uniqueTableName } from './helpers.js';

function partitionOf(record: EvidenceRecord): string {
  const chain = chainFromId(record.chainId);
  if (!chain) throw new Error('bad chain id');
  return chain.partitionKey;
}

async function chainOf(count: number) {
  const { store, client } = await newStore();
  const records: EvidenceRecord[] = [];
  // one resource: every record in one (sub-)chain
  for (let i = 0; i < count; i++) records.push(await store.append(input({ resourceId: oneResource() })));
  expect((await store.verify()).ok).toBe(true);
  return { store, client, records, pk: partitionOf(records[0] as EvidenceRecord) };
}

describe('verify', () => {
  it('detects an edited row', async () => {
    const { store, client, records, pk } = await chainOf(5);
    await client.updateEntity({ partitionKey: pk, rowKey: recordRow(2), outcome: 'compliant' }, 'Merge');
    const result = await store.verify();
    expect(result.ok).toBe(false);
    expect(result.problems).toEqual([
      expect.objectContaining({ kind: 'edited', sequence: 2, recordId: records[1]?.recordId }),
    ]);
  });

  it('detects an edited state and a removed property', async () => {
    const { store, client, pk } = await chainOf(4);
    await client.updateEntity(
      { partitionKey: pk, rowKey: recordRow(1), after: '{"allowBlobPublicAccess":true}' },
      'Merge',
    );
    const row = await client.getEntity<Record<string, unknown>>(pk, recordRow(3));
    const { actor: _removed, ...rest } = row;
    await client.updateEntity(rest as TableEntity, 'Replace');
    const kinds = (await store.verify()).problems.map((p) => `${p.kind}@${p.sequence}`);
    expect(kinds).toEqual(['edited@1', 'edited@3']);
  });

  it('detects a deleted row', async () => {
    const { store, client, records, pk } = await chainOf(5);
    await client.deleteEntity(pk, recordRow(3));
    const result = await store.verify();
    expect(result.problems).toEqual([
      expect.objectContaining({ kind: 'deleted', sequence: 3, recordId: records[2]?.recordId }),
    ]);
    expect(result.records).toBe(4);
  });

  it('detects a truncated tail even when the head is rewound (log index cross-check)', async () => {
    const { store, client, records, pk } = await chainOf(5);
    await client.deleteEntity(pk, recordRow(5));
    await client.updateEntity(
      { partitionKey: pk, rowKey: HEAD_ROW, sequence: 4, hash: records[3]?.hash },
      'Merge',
    );
    const result = await store.verify();
    expect(result.problems).toEqual([expect.objectContaining({ kind: 'deleted', sequence: 5 })]);
    expect((await store.verifyChain(records[0]?.chainId ?? '')).problems).toHaveLength(1);
  });

  it('detects an inserted row (beyond the head, and out of place)', async () => {
    const { store, client, pk } = await chainOf(3);
    const last = await client.getEntity<Record<string, unknown>>(pk, recordRow(3));
    await client.createEntity({
      ...last,
      partitionKey: pk,
      rowKey: recordRow(4),
      message: 'forged',
    } as TableEntity);
    await client.createEntity({ partitionKey: pk, rowKey: 'r~zz', message: 'junk' });
    const kinds = (await store.verify()).problems.map((p) => `${p.kind}@${p.sequence}`);
    expect(kinds).toEqual(['inserted@0', 'inserted@4']);
  });

  it('detects a replaced record through the broken link that follows it', async () => {
    const { store, client, records, pk } = await chainOf(3);
    const { recordHash } = await import('../../../lib/evidence/hash.js');
    const forged = { ...(records[1] as EvidenceRecord), actor: 'nobody' };
    forged.hash = recordHash(forged);
    await client.updateEntity(
      { partitionKey: pk, rowKey: recordRow(2), actor: 'nobody', hash: forged.hash },
      'Merge',
    );
    const kinds = (await store.verify()).problems.map((p) => `${p.kind}@${p.sequence}`);
    expect(kinds).toEqual(['broken-link@3']);
  });
});

describe('storage failures', () => {
  it('a store pointed at a closed port rejects, and nothing half-written breaks the chain', async () => {
    const { store } = await chainOf(2);
    const port = await new Promise<number>((resolve) => {
      const server = createServer();
      server.listen(0, '127.0.0.1', () => {
        const address = server.address();
        server.close(() => resolve(typeof address === 'object' && address ? address.port : 1));
      });
    });
    const closed = createTableClient(
      {
        connectionString:
          'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;' +
          `TableEndpoint=http://127.0.0.1:${port}/devstoreaccount1;`,
      },
      uniqueTableName(),
      { retryOptions: { maxRetries: 0 } },
    );
    const down = new TableEvidenceStore({ client: closed, remediatorIdentity: 'mi', remediatorVersion: '0' });
    await expect(down.append(input())).rejects.toThrow();
    await expect(down.appendMany([input(), input()])).rejects.toThrow();
    await expect(down.query({})).rejects.toThrow();
    expect((await store.verify()).ok).toBe(true);
  });

  it('a failure after the chain commit is repaired by the retry (log index re-written)', async () => {
    const { store, client } = await newStore();
    let failLogWrites = true;
    client.pipeline.addPolicy({
      name: 'failLogIndexOnce',
      async sendRequest(request, next) {
        if (failLogWrites && /PartitionKey='log(%7E|~)/i.test(request.url)) {
          failLogWrites = false;
          throw Object.assign(new Error('socket hang up'), { name: 'RestError', code: 'ECONNRESET' });
        }
        return next(request);
      },
    });
    const data = input();
    await expect(store.append(data)).rejects.toThrow('socket hang up');
    expect((await store.verify()).ok).toBe(true); // record committed, chain intact
    expect((await store.query({})).items).toHaveLength(0); // not yet in the log index
    const record = await store.append(data); // the redelivery
    expect(record.sequence).toBe(1);
    expect((await store.query({})).items.map((r) => r.recordId)).toEqual([record.recordId]);
    expect(await store.verify()).toMatchObject({ ok: true, records: 1 });
  });

  it('a crash between claim and chain commit: the retry next month appends to the claimed chain', async () => {
    const time = manualClock('2026-11-30T23:59:59.000Z');
    const { store, client } = await newStore({ clock: time.clock });
    let failBatches = true;
    client.pipeline.addPolicy({
      name: 'failChainTransactionOnce',
      async sendRequest(request, next) {
        if (failBatches && request.url.endsWith('$batch')) {
          failBatches = false;
          throw Object.assign(new Error('connection reset'), { name: 'RestError', code: 'ECONNRESET' });
        }
        return next(request);
      },
    });
    const data = input();
    await expect(store.append(data)).rejects.toThrow('connection reset');
    expect(await store.findByIdempotencyKey(data.idempotencyKey)).toBeNull();
    expect((await store.verify()).ok).toBe(true);
    time.set('2026-12-01T00:01:00.000Z');
    const record = await store.append(data);
    expect(parseChainId(record.chainId)?.month).toBe('2026-11'); // the claim fixed the chain
    expect(record.time).toBe('2026-12-01T00:01:00.000Z'); // the time stays truthful
    expect(await store.findByIdempotencyKey(data.idempotencyKey)).toEqual(record);
    expect(await store.append(data)).toEqual(record);
    expect(await store.verify()).toMatchObject({ ok: true, records: 1 });
  });
});
