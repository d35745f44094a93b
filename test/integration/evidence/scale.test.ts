import { odata } from '@azure/data-tables';
import { describe, expect, it } from 'vitest';
import {
  chainFor,
  chainFromId,
  LEGACY_LOG_PARTITION,
  logPartitions,
  logRow,
  subChainOf,
} from '../../../lib/evidence/layout.js';
import { TableEvidenceStore } from '../../../lib/evidence/table-store.js';
import type { EvidenceRecord } from '../../../lib/evidence/types.js';
import { input, manualClock, newStore, oneResource, SUB_A, SUB_B } from './helpers.js';

/** Every page of a query, following continuation tokens. */
async function allPages(store: TableEvidenceStore, query: Parameters<TableEvidenceStore['query']>[0]) {
  const pages: string[][] = [];
  let token: string | undefined;
  do {
    const page = await store.query({ ...query, continuationToken: token });
    pages.push(page.items.map((record) => record.recordId));
    token = page.continuationToken;
  } while (token);
  return pages;
}

function chunked<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

describe('evidence at scale: sharded log index', () => {
  it('spreads index rows over the shards and pages newest first across them, legacy rows included', async () => {
    const time = manualClock('2026-11-02T08:00:00.000Z');
    const { store, client } = await newStore({ clock: time.clock });
    const written: EvidenceRecord[] = [];
    for (let i = 0; i < 40; i++) {
      time.advance(i % 5 === 0 ? 0 : 1000); // some records share a millisecond: RowKey ties break by recordId
      written.push(await store.append(input({ subscriptionId: i % 4 === 0 ? SUB_B : SUB_A })));
    }
    // A deployment from before sharding has its rows in the single `log` partition: move 10 there.
    for (const record of written.slice(0, 10)) {
      const rowKey = logRow(record.time, record.recordId);
      const rows = client.listEntities({ queryOptions: { filter: odata`RowKey eq ${rowKey}` } });
      for await (const row of rows) {
        expect(logPartitions()).toContain(row.partitionKey);
        expect(row.partitionKey).toMatch(/^log~[0-9a-f]$/);
        await client.deleteEntity(String(row.partitionKey), rowKey);
        await client.createEntity({ ...row, partitionKey: LEGACY_LOG_PARTITION, rowKey });
      }
    }
    const used = new Set<string>();
    for await (const row of client.listEntities({
      queryOptions: { filter: "PartitionKey ge 'log' and PartitionKey lt 'loh'", select: ['PartitionKey'] },
    }))
      used.add(String(row.partitionKey));
    expect(used.size).toBeGreaterThanOrEqual(8); // 30 sharded rows over 16 shards, plus legacy
    expect(used.has(LEGACY_LOG_PARTITION)).toBe(true);

    // The order one partition would give: RowKey ascending = newest first, ties by recordId.
    const expected = [...written]
      .sort((a, b) => (logRow(a.time, a.recordId) < logRow(b.time, b.recordId) ? -1 : 1))
      .map((record) => record.recordId);
    const pages = await allPages(store, { limit: 7 });
    expect(pages.map((page) => page.length)).toEqual([7, 7, 7, 7, 7, 5]);
    expect(pages.flat()).toEqual(expected);
    expect((await store.query({ limit: 500 })).items.map((r) => r.recordId)).toEqual(expected);
    // filtered pages across shards: same rows, same order, no repeats
    const onlyB = written
      .filter((record) => record.subscriptionId === SUB_B)
      .map((record) => record.recordId);
    const filtered = await allPages(store, { limit: 3, subscription: SUB_B });
    expect(filtered.flat()).toEqual(expected.filter((id) => onlyB.includes(id)));
    // a time window is a RowKey range on every shard
    const since = written[20]?.time ?? '';
    const windowed = (await store.query({ since, limit: 500 })).items.map((r) => r.recordId);
    expect(windowed).toEqual(
      expected.filter(
        (id) => Date.parse(written.find((r) => r.recordId === id)?.time ?? '') >= Date.parse(since),
      ),
    );
    expect(await store.verify()).toMatchObject({ ok: true, records: 40 });
  });
});

describe('evidence at scale: sub-chains', () => {
  it('chain ids round-trip, one resource always maps to one sub-chain, and sub-chains spread', () => {
    const at = new Date('2026-11-05T00:00:00Z');
    for (const sub of [SUB_A, 'odd:2026-10~03', 'x~y']) {
      for (const lane of [null, 0, 7, 15]) {
        const chain = chainFor(sub, at, lane);
        expect(chainFromId(chain.chainId)).toEqual(chain);
      }
    }
    expect(chainFor(SUB_A, at, null).chainId).toBe(`${SUB_A}:2026-11`);
    expect(chainFor(SUB_A, at, 3).chainId).toBe(`${SUB_A}:2026-11~03`);
    const id = `/subscriptions/${SUB_A}/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/nsg1`;
    expect(subChainOf(id, 16)).toBe(subChainOf(id.toUpperCase(), 16));
    expect(subChainOf(id, 1)).toBeNull();
    const lanes = new Set(Array.from({ length: 200 }, (_, i) => subChainOf(`${id}${i}`, 16)));
    expect(lanes.size).toBe(16);
    // a child resource (a rule, a container) shares its parent's sub-chain
    expect(subChainOf(`${id}/securityRules/ssh`, 16)).toBe(subChainOf(id, 16));
    const account = `/subscriptions/${SUB_A}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/sa1`;
    expect(subChainOf(`${account}/blobServices/default/containers/c1`, 16)).toBe(subChainOf(account, 16));
    // an id that is no ARM resource (tenant-level records) hashes whole, still stably
    expect(subChainOf('tenant:t1/users/u1', 16)).toBe(subChainOf('TENANT:T1/users/U1', 16));
  });

  it('concurrent appenders on one subscription, on several instances, never fork or gap a chain', async () => {
    // the default store: 16 sub-chains per subscription-month (no subChains option anywhere here)
    const { store, client } = await newStore();
    // 50 events on 25 resources (two per resource) from 10 "instances", all at once, plus a sweep
    // batch of the resources' children racing them
    const resources = Array.from(
      { length: 25 },
      (_, i) =>
        `/subscriptions/${SUB_A}/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/n${i}`,
    );
    const events = [...resources, ...resources].map((resourceId) => input({ resourceId }));
    const instances = Array.from(
      { length: 10 },
      () =>
        new TableEvidenceStore({ client, remediatorIdentity: 'mi-test', remediatorVersion: '0.0.0-test' }),
    );
    const sweep = Array.from({ length: 120 }, (_, i) =>
      input({
        trigger: 'sweep',
        sweepId: '2026-11',
        outcome: 'compliant',
        resourceId: `${resources[i % 25]}/securityRules/r${i}`,
      }),
    );
    const [records, swept] = await Promise.all([
      Promise.all(events.map((data, i) => (instances[i % 10] as TableEvidenceStore).append(data))),
      chunked(sweep, 40).reduce(
        async (done, part, i) => [
          ...(await done),
          ...(await (instances[i] as TableEvidenceStore).appendMany(part)),
        ],
        Promise.resolve([] as EvidenceRecord[]),
      ),
    ]);
    const all = [...records, ...swept];
    // every chain: sequences 1..n without gap or duplicate, each record linked to the one before
    const byChain = new Map<string, EvidenceRecord[]>();
    for (const record of all) byChain.set(record.chainId, [...(byChain.get(record.chainId) ?? []), record]);
    expect(byChain.size).toBeGreaterThan(4); // 25 resources over 16 heads, not one
    for (const [chainId, chainRecords] of byChain) {
      expect(chainId).toMatch(/:2026-\d{2}~\d{2}$/);
      expect(chainFromId(chainId)?.chainId).toBe(chainId);
      const sorted = chainRecords.sort((a, b) => a.sequence - b.sequence);
      expect(sorted.map((r) => r.sequence)).toEqual(sorted.map((_, i) => i + 1));
      for (const [i, record] of sorted.entries())
        if (i > 0) expect(record.previousHash).toBe(sorted[i - 1]?.hash);
    }
    // one resource's records, its children's included, live in one sub-chain: subChainOf's
    for (const resourceId of resources) {
      const mine = all.filter(
        (r) => r.resourceId === resourceId || r.resourceId.startsWith(`${resourceId}/`),
      );
      expect(mine.length).toBeGreaterThan(2);
      expect(new Set(mine.map((r) => r.chainId))).toEqual(
        new Set([chainFor(SUB_A, new Date(mine[0]?.time ?? ''), subChainOf(resourceId, 16)).chainId]),
      );
    }
    const verified = await store.verify();
    expect(verified).toEqual({ ok: true, chains: byChain.size, records: 170, problems: [] });
    // every sub-chain is in the registry (the one list of chains, which verify and digests read)
    const registered = new Set<string>();
    for await (const row of client.listEntities<{ chainId: string }>({
      queryOptions: { filter: "PartitionKey eq 'chains'" },
    }))
      registered.add(String(row.chainId));
    expect(registered).toEqual(new Set(byChain.keys()));
    for (const chainId of byChain.keys()) expect((await store.verifyChain(chainId)).ok).toBe(true);
  });

  it('a sweep into one chain carries the head between transactions: no head re-read, no self-conflict', async () => {
    const { store, client } = await newStore();
    let headReads = 0;
    client.pipeline.addPolicy({
      name: 'countHeadReads',
      async sendRequest(request, next) {
        if (request.method === 'GET' && request.url.includes("RowKey='head'")) headReads++;
        return next(request);
      },
    });
    // one resource (an account's containers, say): one sub-chain
    const batch = Array.from({ length: 300 }, () =>
      input({ trigger: 'sweep', sweepId: '2026-11', resourceId: oneResource() }),
    );
    const [first, second] = await Promise.all([
      store.appendMany(batch.slice(0, 150)),
      store.appendMany(batch.slice(150)),
    ]);
    expect([...(first ?? []), ...(second ?? [])].map((r) => r.sequence).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 300 }, (_, i) => i + 1),
    );
    expect(store.stats.conflicts).toBe(0);
    expect(store.stats.chainTransactions).toBeLessThanOrEqual(2 * Math.ceil(150 / 49));
    expect(headReads).toBeLessThanOrEqual(1); // the new chain's first transaction only
    expect(await store.verify()).toMatchObject({ ok: true, chains: 1, records: 300 });
  });
});
