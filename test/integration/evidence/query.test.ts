import { describe, expect, it } from 'vitest';
import type { EvidenceRecord } from '../../../lib/evidence/types.js';
import { input, manualClock, newStore, SUB_A, SUB_B } from './helpers.js';

async function seeded() {
  const time = manualClock('2026-10-31T23:00:00.000Z');
  const { store } = await newStore({ clock: time.clock });
  const written: EvidenceRecord[] = [];
  for (let i = 0; i < 30; i++) {
    time.advance(10 * 60_000); // 10 minutes apart, crossing into November
    written.push(
      await store.append(
        input({
          subscriptionId: i % 3 === 0 ? SUB_B : SUB_A,
          resourceId: `/subscriptions/${i % 3 === 0 ? SUB_B : SUB_A}/resourceGroups/RG-${i % 2 ? 'Web' : 'Data'}/providers/Microsoft.Storage/storageAccounts/sa${i}`,
          controlId: i % 5 === 0 ? 'NSG-MGMT-PORT' : 'STG-PUBLIC-BLOB',
          outcome: i % 4 === 0 ? 'audit-only' : 'remediated',
          actor: i % 7 === 0 ? 'Bob@Contoso.example' : 'alice@contoso.example',
        }),
      ),
    );
  }
  return { store, written, newestFirst: [...written].reverse() };
}

describe('TableEvidenceStore query', () => {
  it('returns newest first across chains and months, and every filter works', async () => {
    const { store, written, newestFirst } = await seeded();
    const all = await store.query({ limit: 500 });
    expect(all.items.map((r) => r.recordId)).toEqual(newestFirst.map((r) => r.recordId));
    expect(all.continuationToken).toBeUndefined();
    expect((await store.query({})).items).toHaveLength(30); // default limit 50

    const ids = (page: { items: EvidenceRecord[] }) => page.items.map((r) => r.recordId);
    const expectFilter = async (
      query: Parameters<typeof store.query>[0],
      predicate: (r: EvidenceRecord) => boolean,
    ) => {
      const expected = newestFirst.filter(predicate).map((r) => r.recordId);
      expect(expected.length).toBeGreaterThan(0);
      expect(ids(await store.query({ ...query, limit: 500 })), JSON.stringify(query)).toEqual(expected);
    };
    const w5 = written[5] as EvidenceRecord;
    const w20 = written[20] as EvidenceRecord;
    await expectFilter({ since: w5.time }, (r) => r.time >= w5.time);
    await expectFilter({ until: w20.time }, (r) => r.time <= w20.time);
    await expectFilter({ since: w5.time, until: w20.time }, (r) => r.time >= w5.time && r.time <= w20.time);
    await expectFilter({ subscription: SUB_B.toUpperCase() }, (r) => r.subscriptionId === SUB_B);
    await expectFilter({ resource: `/SUBSCRIPTIONS/${SUB_A}/resourcegroups/rg-web/` }, (r) =>
      r.resourceId.toLowerCase().startsWith(`/subscriptions/${SUB_A}/resourcegroups/rg-web/`),
    );
    await expectFilter({ control: 'nsg-mgmt-port' }, (r) => r.controlId === 'NSG-MGMT-PORT');
    await expectFilter({ outcome: 'audit-only' }, (r) => r.outcome === 'audit-only');
    await expectFilter({ actor: 'bob@contoso.example' }, (r) => r.actor === 'Bob@Contoso.example');
    await expectFilter(
      { subscription: SUB_A, outcome: 'remediated', actor: 'alice@contoso.example' },
      (r) => r.subscriptionId === SUB_A && r.outcome === 'remediated' && r.actor === 'alice@contoso.example',
    );
    expect((await store.query({ actor: 'nobody' })).items).toEqual([]);
  });

  it('pages with continuation tokens without gaps or repeats', async () => {
    const { store, newestFirst } = await seeded();
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await store.query({ limit: 7, continuationToken: token });
      seen.push(...page.items.map((r) => r.recordId));
      token = page.continuationToken;
      pages++;
    } while (token);
    expect(pages).toBe(5);
    expect(seen).toEqual(newestFirst.map((r) => r.recordId));

    const filtered: string[] = [];
    token = undefined;
    do {
      const page = await store.query({ limit: 2, subscription: SUB_B, continuationToken: token });
      filtered.push(...page.items.map((r) => r.recordId));
      token = page.continuationToken;
    } while (token);
    expect(filtered).toEqual(newestFirst.filter((r) => r.subscriptionId === SUB_B).map((r) => r.recordId));
  });

  it('clamps limit and rejects bad input clearly', async () => {
    const { store } = await newStore();
    await store.appendMany(Array.from({ length: 3 }, () => input()));
    expect((await store.query({ limit: 0 })).items).toHaveLength(1);
    expect((await store.query({ limit: 10_000 })).items).toHaveLength(3);
    expect((await store.query({ limit: Number.NaN })).items).toHaveLength(3);
    expect(
      (await store.query({ since: '1900-01-01T00:00:00Z', until: '9999-12-31T00:00:00Z' })).items,
    ).toHaveLength(3);
    expect((await store.query({ since: '9000-01-01T00:00:00Z' })).items).toHaveLength(0);
    await expect(store.query({ since: 'yesterday-ish' })).rejects.toThrow(TypeError);
    await expect(store.query({ continuationToken: 'garbage' })).rejects.toThrow('invalid continuationToken');
  });

  it('hostile resource ids, subscription ids and unicode round-trip and filter', async () => {
    const { store } = await newStore();
    const hostile = [
      "/subscriptions/x/resourceGroups/r#g?/providers/A\\B/c'/%2F/~",
      '/subscriptions/x/resourceGroups/ctl\u0000\u0001\u001f\u007f\u009f/end',
      '/subscriptions/x/resourceGroups/ünïcødé-😀-\u2028/🙂',
      `/subscriptions/x/${'long/'.repeat(3000)}`,
    ];
    const weirdSub = "sub/with\\#?%~:'\u0001😀";
    const records = [];
    for (const resourceId of hostile) {
      records.push(
        await store.append(input({ resourceId, subscriptionId: weirdSub, actor: "o'brien\u0000" })),
      );
    }
    records.push(
      await store.append(
        input({ resourceId: 'lone \ud800 surrogate', before: { k: 'lone \udc00', s: 'a\u2028b\u2029' } }),
      ),
    );
    for (const record of records) expect(await store.get(record.recordId)).toEqual(record);
    expect(records[0]?.resourceId).toBe(hostile[0]);
    expect(records[1]?.resourceId).toBe(hostile[1]);
    // U+2028 in plain text is stored as '\n' (Azurite rejects it in batches); JSON state keeps it exactly
    expect(records[2]?.resourceId).toBe(hostile[2]?.replace('\u2028', '\n'));
    expect(records[0]?.subscriptionId).toBe(weirdSub);
    expect(records[4]?.resourceId).toBe('lone \ufffd surrogate');
    expect(records[4]?.before).toEqual({ k: 'lone \udc00', s: 'a\u2028b\u2029' }); // JSON keeps them exactly
    const byPrefix = await store.query({
      resource: "/subscriptions/x/resourceGroups/r#g?/providers/A\\B/c'",
    });
    expect(byPrefix.items.map((r) => r.recordId)).toEqual([records[0]?.recordId]);
    const bySub = await store.query({ subscription: weirdSub, actor: "O'BRIEN\u0000" });
    expect(bySub.items).toHaveLength(4);
    expect(await store.verify()).toMatchObject({ ok: true, records: 5 });
  });
});
