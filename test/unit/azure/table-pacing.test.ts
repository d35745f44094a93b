import { describe, expect, it } from 'vitest';
import { describeTableRequest, TablePacer } from '../../../lib/azure/table-pacing.js';

const batch = (partitionKey: string, operations: number) =>
  [
    '--batch_1',
    'Content-Type: multipart/mixed; boundary=changeset_1',
    '',
    ...Array.from({ length: operations }, (_, i) => [
      '--changeset_1',
      'Content-Type: application/http',
      '',
      i === 0
        ? 'POST http://127.0.0.1/acct/ev HTTP/1.1'
        : `PATCH http://127.0.0.1/acct/ev(PartitionKey='${encodeURIComponent(partitionKey)}',RowKey='r${i}') HTTP/1.1`,
      '',
      JSON.stringify({ PartitionKey: partitionKey, RowKey: `r${i}` }),
    ]).flat(),
    '--changeset_1--',
  ].join('\r\n');

describe('Table pacing', () => {
  it('reads the partition and the operation count of point, query and batch requests', () => {
    expect(
      describeTableRequest({ url: "http://h/a/t(PartitionKey='c~a%25b~2026-11',RowKey='head')" }),
    ).toEqual({
      partitionKey: 'c~a%b~2026-11',
      operations: 1,
    });
    expect(
      describeTableRequest({
        url: 'http://h/a/t()?$filter=PartitionKey%20eq%20%27log~3%27%20and%20RowKey%20gt%20%270%27',
      }),
    ).toEqual({ partitionKey: 'log~3', operations: 1 });
    expect(describeTableRequest({ url: 'http://h/a/$batch', body: batch("o'k~1", 99) })).toEqual({
      partitionKey: "o'k~1",
      operations: 99,
    });
    expect(
      describeTableRequest({ url: 'http://h/a/t', body: '{"PartitionKey":"k~a","RowKey":"x"}' }),
    ).toEqual({
      partitionKey: 'k~a',
      operations: 1,
    });
  });

  it('holds a partition to its target and the account to its own, after one second of burst', async () => {
    let now = 0;
    const pacer = new TablePacer({ partitionPerSecond: 2_000, accountPerSecond: 20_000 }, () => now);
    const waits: number[] = [];
    const original = globalThis.setTimeout;
    // record the waits instead of sleeping (the pacer sleeps with setTimeout)
    globalThis.setTimeout = ((fn: () => void, ms?: number) => {
      waits.push(ms ?? 0);
      fn();
      return 0;
    }) as unknown as typeof setTimeout;
    try {
      for (let i = 0; i < 40; i++) await pacer.pace({ url: 'http://h/a/$batch', body: batch('hot', 100) });
      // 4,000 ops into one partition: the first 2,000 are the burst, the next 2,000 wait up to 1 s
      expect(waits.length).toBe(20);
      expect(Math.max(...waits)).toBeCloseTo(1000, 0);
      waits.length = 0;
      now = 10_000;
      for (let p = 0; p < 30; p++) await pacer.pace({ url: 'http://h/a/$batch', body: batch(`p${p}`, 1000) });
      // 30,000 ops over 30 partitions: each within its burst, the account's 20,000 burst is not
      expect(waits.length).toBe(10);
      expect(Math.max(...waits)).toBeCloseTo(500, 0);
    } finally {
      globalThis.setTimeout = original;
    }
    expect(pacer.stats.operations).toBe(34_000);
    expect(pacer.busiest()).toMatchObject({ partitionKey: 'hot', operations: 4_000 });
  });
});
