import { describe, expect, it } from 'vitest';
import { GENESIS_HASH, recordHash } from '../../../lib/evidence/hash.js';
import { parseChainId } from '../../../lib/evidence/layout.js';
import { RECORDS_PER_TRANSACTION, TableEvidenceStore } from '../../../lib/evidence/table-store.js';
import { chainIdFor, input, manualClock, newStore, oneResource, SUB_A, SUB_B } from './helpers.js';

describe('TableEvidenceStore append', () => {
  // 16 sub-chains (the default): the chain of the resource's sub-chain; 1: the plain monthly chain
  // (the id of every chain written before sub-chains)
  it.each([
    [undefined, `${SUB_A}:2026-11~`],
    [1, `${SUB_A}:2026-11`],
  ])(
    'appends, links and reads back by id and by idempotency key (subChains %s)',
    async (subChains, prefix) => {
      const at = new Date('2026-11-03T10:00:00.000Z');
      const { store } = await newStore({ clock: () => at, ...(subChains ? { subChains } : {}) });
      const resourceId = oneResource();
      const first = await store.append(input({ resourceId }));
      const second = await store.append(
        input({ resourceId, before: { nested: { z: 1, a: [1, 'x'] } }, after: null }),
      );
      const chainId = chainIdFor(SUB_A, resourceId, at, subChains ?? 16);
      expect(chainId.startsWith(prefix)).toBe(true);
      expect(first).toMatchObject({
        sequence: 1,
        previousHash: GENESIS_HASH,
        chainId,
        time: '2026-11-03T10:00:00.000Z',
        remediatorIdentity: 'mi-test',
        remediatorVersion: '0.0.0-test',
        sweepId: null,
        ruleName: null,
      });
      expect(second.sequence).toBe(2);
      expect(second.previousHash).toBe(first.hash);
      expect(recordHash(second)).toBe(second.hash);
      expect(await store.get(first.recordId)).toEqual(first);
      expect(await store.get(second.recordId)).toEqual(second);
      expect(await store.findByIdempotencyKey(second.idempotencyKey)).toEqual(second);
      expect(await store.findByIdempotencyKey('event:never:-')).toBeNull();
      expect(await store.get('not-an-id')).toBeNull();
      expect(await store.get(`${first.recordId.split('.')[0]}.99`)).toBeNull();
      expect((await store.verify()).ok).toBe(true);
    },
  );

  it('is idempotent: the same key twice gives one record and writes nothing', async () => {
    const { store } = await newStore();
    const data = input();
    const first = await store.append(data);
    const transactions = store.stats.chainTransactions;
    const again = await store.append({ ...data, message: 'redelivered, different text' });
    expect(again).toEqual(first);
    expect(store.stats.chainTransactions).toBe(transactions);
    expect((await store.query({})).items).toHaveLength(1);
  });

  it('a redelivery next month still finds the record (claim pins the chain)', async () => {
    const time = manualClock('2026-11-30T23:59:59.900Z');
    const { store } = await newStore({ clock: time.clock });
    const resourceId = oneResource();
    const data = input({ resourceId });
    const first = await store.append(data);
    expect(parseChainId(first.chainId)?.month).toBe('2026-11');
    time.set('2026-12-01T00:00:05.000Z');
    const again = await store.append(data);
    expect(again).toEqual(first);
    const next = await store.append(input({ resourceId }));
    expect(next.chainId).toBe(chainIdFor(SUB_A, resourceId, new Date('2026-12-01T00:00:05.000Z')));
    expect((await store.verify()).chains).toBe(2);
  });

  it('20 concurrent appenders on one chain give one unbroken chain of 20', async () => {
    const { store, client } = await newStore();
    // one resource: one sub-chain, one head for all 20 to race for
    const inputs = Array.from({ length: 20 }, () => input({ resourceId: oneResource() }));
    // separate store instances = separate function instances sharing the table
    const writers = inputs.map(
      () =>
        new TableEvidenceStore({ client, remediatorIdentity: 'mi-test', remediatorVersion: '0.0.0-test' }),
    );
    const records = await Promise.all(inputs.map((data, i) => writers[i]?.append(data)));
    const sequences = records.map((record) => record?.sequence).sort((a, b) => (a ?? 0) - (b ?? 0));
    expect(sequences).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    const result = await store.verify();
    expect(result).toEqual({ ok: true, chains: 1, records: 20, problems: [] });
    expect(writers.reduce((sum, writer) => sum + writer.stats.conflicts, 0)).toBeGreaterThan(0); // they did race
    // concurrent duplicates of the same key: still one record
    const dup = input({ resourceId: oneResource() });
    const same = await Promise.all(writers.slice(0, 8).map((writer) => writer.append(dup)));
    expect(new Set(same.map((record) => record.recordId)).size).toBe(1);
    expect((await store.verify()).records).toBe(21);
  });

  it('appendMany: 250 inputs in transactions of ≤ 49 records, duplicates skipped', async () => {
    const { store } = await newStore();
    const inputs = [
      // one resource per subscription (e.g. an account's containers): one sub-chain each
      ...Array.from({ length: 200 }, () =>
        input({ trigger: 'sweep', sweepId: '2026-11', outcome: 'compliant', resourceId: oneResource() }),
      ),
      ...Array.from({ length: 50 }, () =>
        input({
          subscriptionId: SUB_B,
          trigger: 'sweep',
          sweepId: '2026-11',
          resourceId: oneResource(SUB_B),
        }),
      ),
    ];
    const records = await store.appendMany(inputs);
    expect(records).toHaveLength(250);
    expect(records.map((record) => record.idempotencyKey)).toEqual(inputs.map((item) => item.idempotencyKey));
    // 200 on chain A -> 5 transactions (49*4 + 4); 50 on chain B -> 2 transactions
    expect(store.stats.chainTransactions).toBe(7);
    expect(store.stats.recordsWritten).toBe(250);
    expect(Math.ceil(200 / RECORDS_PER_TRANSACTION) + Math.ceil(50 / RECORDS_PER_TRANSACTION)).toBe(7);
    expect(await store.verify()).toEqual({ ok: true, chains: 2, records: 250, problems: [] });

    // re-run of the same sweep plus 10 new ones: only the new ones are written
    const more = Array.from({ length: 10 }, () =>
      input({ trigger: 'sweep', sweepId: '2026-11', resourceId: oneResource() }),
    );
    const before = store.stats.recordsWritten;
    const rerun = await store.appendMany([...inputs, ...more, inputs[0] as (typeof inputs)[0]]);
    expect(rerun.slice(0, 250)).toEqual(records);
    expect(store.stats.recordsWritten - before).toBe(10);
    expect((await store.verify()).records).toBe(260);
    expect((await store.query({ limit: 500 })).items).toHaveLength(260);
  });

  it('a sweep claims once per resource, not once per decision, and stays idempotent per key', async () => {
    const { store, client } = await newStore();
    const resources = Array.from(
      { length: 5 },
      (_, i) =>
        `/subscriptions/${SUB_A}/resourcegroups/rg/providers/microsoft.network/networksecuritygroups/nsg${i}`,
    );
    const controls = ['NSG-OPEN-INBOUND', 'NSG-MGMT-PORT', 'DIAG-RESOURCE-LOGS'] as const;
    const inputs = resources.flatMap((resourceId) =>
      controls.map((controlId) =>
        input({
          idempotencyKey: `sweep:2026-11:${resourceId}:${controlId}:state1`,
          trigger: 'sweep',
          eventId: null,
          sweepId: '2026-11',
          resourceId,
          resourceType: 'Microsoft.Network/networkSecurityGroups',
          controlId,
          outcome: 'compliant',
        }),
      ),
    );
    const records = await store.appendMany(inputs);
    expect(records).toHaveLength(15);
    const claimRows = async () => {
      let rows = 0;
      for await (const row of client.listEntities({
        queryOptions: { filter: "PartitionKey ge 'k~' and PartitionKey lt 'k~~'" },
      }))
        if (row.partitionKey?.startsWith('k~')) rows++;
      return rows;
    };
    expect(await claimRows()).toBe(5); // one per resource (was 15: one per decision)
    // the resource's decisions share its sub-chain
    for (const resourceId of resources)
      expect(new Set(records.filter((r) => r.resourceId === resourceId).map((r) => r.chainId)).size).toBe(1);

    // a re-run (redelivered sweep message) writes nothing; each key still finds its own record
    const before = store.stats.recordsWritten;
    const again = await store.appendMany(inputs);
    expect(again).toEqual(records);
    expect(store.stats.recordsWritten).toBe(before);
    const one = inputs[7] as (typeof inputs)[0];
    expect(await store.findByIdempotencyKey(one.idempotencyKey)).toEqual(records[7]);
    expect(await store.append(one)).toEqual(records[7]);
    // a new decision for a resource already claimed this sweep joins the claimed chain
    const later = input({
      ...one,
      idempotencyKey: `sweep:2026-11:${one.resourceId}:NSG-OPEN-INBOUND:state2`,
    });
    const added = await store.append(later);
    expect(added.chainId).toBe(records[7]?.chainId);
    expect(await claimRows()).toBe(5);
    expect(await store.verify()).toMatchObject({ ok: true, records: 16 });
  });

  it('stores huge states as a bounded marker and still verifies', async () => {
    const { store } = await newStore();
    const big = {
      rules: Array.from({ length: 5000 }, (_, i) => ({ name: `rule-${i}`, note: '"\\'.repeat(10) })),
    };
    const record = await store.append(input({ before: big, message: 'm'.repeat(100_000) }));
    expect(record.before).toMatchObject({ truncated: true });
    expect(record.message.length).toBeLessThan(9000);
    expect(await store.get(record.recordId)).toEqual(record);
    expect((await store.verify()).ok).toBe(true);
  });

  it('a sweep batch and event appends racing on one chain keep it unbroken', async () => {
    const { store, client } = await newStore();
    const other = new TableEvidenceStore({
      client,
      remediatorIdentity: 'mi-test',
      remediatorVersion: '0.0.0-test',
    });
    // one resource: the sweep batch and the events race for one sub-chain's head
    const sweep = Array.from({ length: 120 }, () =>
      input({ trigger: 'sweep', sweepId: '2026-11', resourceId: oneResource() }),
    );
    const events = Array.from({ length: 15 }, () => input({ resourceId: oneResource() }));
    const [batch, singles] = await Promise.all([
      store.appendMany(sweep),
      Promise.all(events.map((data) => other.append(data))),
    ]);
    expect(batch).toHaveLength(120);
    expect(singles).toHaveLength(15);
    expect(await store.verify()).toEqual({ ok: true, chains: 1, records: 135, problems: [] });
  });

  it('concurrent appends in one instance are group-committed without head conflicts', async () => {
    const { store } = await newStore();
    const inputs = Array.from({ length: 30 }, () => input({ resourceId: oneResource() }));
    const records = await Promise.all(
      [...inputs, inputs[0] as (typeof inputs)[0]].map((data) => store.append(data)),
    );
    expect(records[30]).toEqual(records[0]);
    expect(new Set(records.map((record) => record.sequence)).size).toBe(30);
    expect(store.stats.conflicts).toBe(0);
    expect(store.stats.chainTransactions).toBeLessThan(30);
    expect(await store.verify()).toEqual({ ok: true, chains: 1, records: 30, problems: [] });
  });
});
