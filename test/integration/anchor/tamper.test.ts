/**
 * The tamper matrix: every attack an identity with Table/Blob data-plane access can make (and
 * nothing more: no Key Vault key, so no signature), done with the Table and Blob SDKs alone, must
 * be reported by `driftwarden verify` with its class; an untouched run verifies intact.
 */
import { generateKeyPairSync, sign } from 'node:crypto';
import type { TableClient, TableEntity } from '@azure/data-tables';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { revokeExceptionById } from '../../../lib/api/exceptions.js';
import type { ControlException } from '../../../lib/controls/types.js';
import { type KeyVaultStandIn, startKeyVaultStandIn } from '../../../lib/dev/key-vault/server.js';
import { fromEntity, toEntity } from '../../../lib/evidence/entity.js';
import { recordHash } from '../../../lib/evidence/hash.js';
import {
  chainFromId,
  claimPartition,
  HEAD_ROW,
  logPartitions,
  parseChainId,
  REGISTRY_PARTITION,
  recordRow,
} from '../../../lib/evidence/layout.js';
import type { EvidenceRecord } from '../../../lib/evidence/types.js';
import { exceptionKey } from '../../../lib/exceptions/evidence.js';
import { RestoreRefusedError } from '../../../lib/remediation/restore.js';
import { nsgRemediation, nsgRuleId, SUB_A, SUB_B } from '../api/seed.js';
import { createWorld, kinds, verifyCli, type World } from './world.js';

let keyVault: KeyVaultStandIn;
beforeAll(async () => {
  keyVault = await startKeyVaultStandIn();
});
afterAll(() => keyVault.stop());

interface Seeded {
  world: World;
  a: EvidenceRecord[];
  b: EvidenceRecord[];
  exception: ControlException;
  /** the exception's `exception-created` record (in the sub-chain of its scope) */
  exceptionRecord: EvidenceRecord;
  /** every record digest #1 anchored */
  beforeFirstDigest: EvidenceRecord[];
  /** every evidence row right after digest #1 (for the rollback attack) */
  snapshot: TableEntity[];
}

async function publish(world: World) {
  const anchoring = world.app.anchoring();
  if (!anchoring) throw new Error('anchoring is not configured');
  const digest = await anchoring.publisher.publish('interval');
  expect(digest).not.toBeNull();
  return digest;
}

async function allRows(table: TableClient, filter?: string): Promise<TableEntity[]> {
  const rows: TableEntity[] = [];
  for await (const entity of table.listEntities(filter ? { queryOptions: { filter } } : {}))
    rows.push(entity as TableEntity);
  return rows;
}

/**
 * Chain A (the sub-chain of SUB_A's nsg-web, whose rules these are): 10 remediations, then
 * (after digest #1) 6 more; the exception's record (in its scope's sub-chain); chain B (SUB_B's
 * nsg-web): 5. Chain ids and positions are read from the records, never assumed.
 */
async function seed(world: World = createWorld(keyVault)): Promise<Seeded> {
  const store = await world.app.evidence();
  const exceptions = await world.app.exceptions();
  const a: EvidenceRecord[] = [];
  for (let i = 0; i < 10; i++) a.push(await store.append(nsgRemediation(i, { sub: SUB_A })));
  const exception = await exceptions.create({
    controlId: 'NSG-OPEN-INBOUND',
    scope: `/subscriptions/${SUB_A}/resourceGroups/rg-partner`,
    justification: 'Partner API until the VPN is live',
    ticket: 'CHG-1001',
    approvedBy: 'ciso@contoso.example',
    expiresOn: new Date(Date.now() + 30 * 86_400_000).toISOString(),
  });
  const b = await store.appendMany([0, 1, 2, 3, 4].map((i) => nsgRemediation(100 + i, { sub: SUB_B })));
  const exceptionRecord = await store.findByIdempotencyKey(exceptionKey(exception.id, 'created'));
  if (!exceptionRecord) throw new Error('the exception has no record');
  const beforeFirstDigest = [...a, exceptionRecord, ...b];
  await publish(world); // #1
  const snapshot = await allRows(world.evidenceTable);
  for (let i = 10; i < 16; i++) {
    // #16 is an approver's restore: the kind of record a truncation would want gone
    const restored = i === 14 ? { outcome: 'restored' as const, actor: 'oncall.lead@contoso.example' } : {};
    a.push(await store.append(nsgRemediation(i, { sub: SUB_A, ...restored })));
  }
  await publish(world); // #2
  // one resource's records share one sub-chain: chain A is one chain, whatever its number
  expect(new Set(a.map((record) => record.chainId)).size).toBe(1);
  expect(new Set(b.map((record) => record.chainId)).size).toBe(1);
  return { world, a, b, exception, exceptionRecord, beforeFirstDigest, snapshot };
}

/** Every chain the seed wrote (each a sub-chain under the default layout). */
function chainsOf(seeded: Seeded): string[] {
  return [...new Set([...seeded.beforeFirstDigest, ...seeded.a].map((record) => record.chainId))].sort();
}

/** The head digest #1 anchored for a chain: its last record written before digest #1. */
function firstAnchoredHead(seeded: Seeded, chainId: string): number {
  return Math.max(
    ...seeded.beforeFirstDigest.filter((record) => record.chainId === chainId).map((r) => r.sequence),
  );
}

function partitionOf(record: EvidenceRecord): string {
  const chain = chainFromId(record.chainId);
  if (!chain) throw new Error('bad chain');
  return chain.partitionKey;
}

/** Attack 1: rewrite a record and recompute every later hash and the head (no key needed). */
async function editAndRechain(
  table: TableClient,
  pk: string,
  sequence: number,
  edit: (r: EvidenceRecord) => void,
) {
  const rows = (await allRows(table, `PartitionKey eq '${pk}'`))
    .filter((row) => /^r~\d{10}$/.test(String(row.rowKey)))
    .sort((x, y) => String(x.rowKey).localeCompare(String(y.rowKey)));
  let previous = '';
  for (const row of rows) {
    const record = fromEntity(row);
    if (record.sequence < sequence) {
      previous = record.hash;
      continue;
    }
    if (record.sequence === sequence) edit(record);
    record.previousHash = previous || record.previousHash;
    record.hash = recordHash(record);
    previous = record.hash;
    await table.updateEntity(toEntity(pk, String(row.rowKey), record), 'Replace');
  }
  await table.updateEntity({ partitionKey: pk, rowKey: HEAD_ROW, hash: previous }, 'Merge');
}

/** Deletes records of a chain with their idempotency, claim and log rows (what a careful attacker removes). */
async function deleteRecords(table: TableClient, pk: string, chainId: string, sequences: Set<number>) {
  for (const row of await allRows(table, `PartitionKey eq '${pk}'`)) {
    const rowKey = String(row.rowKey);
    const sequence = rowKey.startsWith('r~') ? Number(rowKey.slice(2)) : Number(row.sequence);
    if (rowKey === HEAD_ROW || !sequences.has(sequence)) continue;
    await table.deleteEntity(pk, rowKey);
    if (rowKey.startsWith('i~')) {
      const hash = rowKey.slice(2);
      await table.deleteEntity(claimPartition(hash), hash).catch(() => {});
    }
  }
  for (const partition of logPartitions())
    for (const row of await allRows(table, `PartitionKey eq '${partition}'`)) {
      if (row.chain === chainId && sequences.has(Number(String(row.recordId).split('.').at(-1))))
        await table.deleteEntity(partition, String(row.rowKey));
    }
}

async function wipe(table: TableClient) {
  for (const row of await allRows(table))
    await table.deleteEntity(String(row.partitionKey), String(row.rowKey));
}

async function digestNames(world: World): Promise<string[]> {
  const names: string[] = [];
  for await (const blob of world.digests.listBlobsFlat({ prefix: 'digests/' })) names.push(blob.name);
  return names.sort().reverse(); // oldest first (names sort newest first)
}

describe('tamper matrix: verify names every attack by its class', () => {
  it('an untouched run verifies intact, every record anchored (exit 0)', async () => {
    const seeded = await seed();
    const { world, a } = seeded;
    const chains = chainsOf(seeded).length;
    expect(chains).toBeGreaterThanOrEqual(2);
    const out = await verifyCli(world);
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    expect(out.json).toMatchObject({
      status: 'intact',
      digests: 2,
      chains,
      records: 22,
      anchoredRecords: 22,
      findings: [],
    });
    expect(out.json?.notYetAnchored).toEqual([]);
    const table = await verifyCli(world, [], 'table');
    expect(table.stdout).toMatch(new RegExp(`^ok: 22 records in ${chains} chains verify$`, 'm'));
    expect(table.stdout).toMatch(/^anchored: 22 records by 2 signed digest\(s\); not yet anchored: 0$/m);
    // a period verifies the chains (every sub-chain) of the months it overlaps
    const month = parseChainId(a[0]?.chainId ?? '')?.month ?? '';
    const period = await verifyCli(world, ['--from', `${month}-01`, '--to', `${month}-28`]);
    expect(period.json).toMatchObject({ status: 'intact', chains, records: 22, anchoredRecords: 22 });
    // a period of another month holds none of them
    const other = await verifyCli(world, ['--from', '2020-01-01', '--to', '2020-01-31']);
    expect(other.json).toMatchObject({ status: 'intact', chains: 0, records: 0 });
  });

  it('records newer than the last digest are "not yet anchored", not an error', async () => {
    const world = createWorld(keyVault, { clock: () => new Date() });
    const { a } = await seed(world);
    const store = await world.app.evidence();
    const late = await store.append(nsgRemediation(50, { sub: SUB_A }));
    expect(late.chainId).toBe(a[0]?.chainId); // another rule of nsg-web: chain A
    const out = await verifyCli(world);
    expect(out.code).toBe(0);
    expect(out.json?.notYetAnchored).toEqual([
      { chainId: late.chainId, fromSequence: late.sequence, toSequence: late.sequence },
    ]);
  });

  it('1. edit and re-chain (actor and before rewritten, every later hash and the head recomputed): rewritten', async () => {
    const seeded = await seed();
    const { world, a } = seeded;
    const target = a[2] as EvidenceRecord;
    await editAndRechain(world.evidenceTable, partitionOf(target), target.sequence, (record) => {
      record.actor = 'nobody@contoso.example';
      record.before = { ...(record.before as object), sourceAddressPrefix: '*', destinationPortRange: '*' };
    });
    // the table's own chain is consistent again: table-only verification is fooled
    expect((await (await world.app.evidence()).verify()).ok).toBe(true);
    const out = await verifyCli(world);
    expect(out.code).toBe(1);
    expect(kinds(out)).toEqual(['rewritten']);
    // found at the first anchored position at or after the edit: digest #1's head of chain A
    expect(out.json?.findings[0]).toMatchObject({
      kind: 'rewritten',
      chainId: target.chainId,
      sequence: firstAnchoredHead(seeded, target.chainId),
    });
    // 5. restoring from the rewritten record is refused: its chain fails against the digests
    const edited = await (await world.app.evidence()).get(target.recordId);
    if (!edited) throw new Error('record vanished');
    await expect(
      world.app.restorer.restore(edited, {
        approver: 'oncall@contoso.example',
        justification: 'x',
        ticket: 'INC-1',
        expiresOn: new Date(Date.now() + 86_400_000).toISOString(),
      }),
    ).rejects.toThrow(RestoreRefusedError);
  });

  it('a record edited in place (hash not recomputed) is edited, and restoring it is refused', async () => {
    const { world, a } = await seed();
    const target = a[4] as EvidenceRecord;
    const before = JSON.stringify({
      ...(target.before as object),
      sourceAddressPrefix: '*',
      destinationPortRange: '*',
    });
    await world.evidenceTable.updateEntity(
      { partitionKey: partitionOf(target), rowKey: recordRow(target.sequence), before },
      'Merge',
    );
    const out = await verifyCli(world);
    expect(out.code).toBe(1);
    expect(kinds(out)).toEqual(['edited']);
    expect(out.json?.findings[0]).toMatchObject({ sequence: target.sequence, recordId: target.recordId });
    const edited = await (await world.app.evidence()).get(target.recordId);
    if (!edited) throw new Error('record vanished');
    const error = await world.app.restorer
      .restore(edited, {
        approver: 'oncall@contoso.example',
        justification: 'x',
        ticket: 'INC-2',
        expiresOn: new Date(Date.now() + 86_400_000).toISOString(),
      })
      .catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(RestoreRefusedError);
    expect(String((error as Error).message)).toMatch(/does not match its hash: it was edited/);
  });

  it('2. tail truncation (last 3 records with their index and claim rows, head rewound): truncated', async () => {
    const { world, a } = await seed();
    expect(a.at(-2)?.outcome).toBe('restored'); // among the three removed
    const last = a.at(-1) as EvidenceRecord;
    const pk = partitionOf(last);
    const removed = a.slice(-3).map((record) => record.sequence);
    expect(removed).toEqual([last.sequence - 2, last.sequence - 1, last.sequence]); // the chain's tail
    await deleteRecords(world.evidenceTable, pk, last.chainId, new Set(removed));
    const kept = await (await world.app.evidence()).get(a.at(-4)?.recordId ?? '');
    expect(kept?.sequence).toBe(last.sequence - 3);
    await world.evidenceTable.updateEntity(
      { partitionKey: pk, rowKey: HEAD_ROW, sequence: kept?.sequence, hash: kept?.hash },
      'Merge',
    );
    expect((await (await world.app.evidence()).verify()).ok).toBe(true); // fooled without anchors
    const out = await verifyCli(world);
    expect(out.code).toBe(1);
    expect(kinds(out)).toEqual(['truncated']);
    expect(out.json?.findings[0]).toMatchObject({ chainId: last.chainId, sequence: removed[0] });
  });

  it('3. whole chain deleted (partition, registry row, log rows): chain-deleted', async () => {
    const { world, a, exceptionRecord } = await seed();
    // chain A, and the (sub-)chain holding the exception's record (chain A itself, or another)
    const deleted = [...new Set([a[0]?.chainId ?? '', exceptionRecord.chainId])].sort();
    for (const chainId of deleted) {
      const pk = chainFromId(chainId)?.partitionKey ?? '';
      for (const row of await allRows(world.evidenceTable, `PartitionKey eq '${pk}'`))
        await world.evidenceTable.deleteEntity(pk, String(row.rowKey));
      await world.evidenceTable.deleteEntity(REGISTRY_PARTITION, pk);
      for (const partition of logPartitions())
        for (const row of await allRows(world.evidenceTable, `PartitionKey eq '${partition}'`))
          if (row.chain === chainId) await world.evidenceTable.deleteEntity(partition, String(row.rowKey));
    }
    const out = await verifyCli(world);
    expect(out.code).toBe(1);
    // the exception's row now names a record that is gone: it is not honoured either
    expect(kinds(out)).toEqual(['chain-deleted', 'exception-forged']);
    expect(
      out.json?.findings
        .filter((f) => f.kind === 'chain-deleted')
        .map((f) => f.chainId)
        .sort(),
    ).toEqual(deleted);
  });

  // The exception attacks write rows through the Table SDK behind the app's back and expect the
  // very next read to judge them: their app reads per event (exceptionsCacheMs 0). Production's
  // default 5 s cache bounds how long such a row goes unjudged (test/integration/app/app.test.ts).
  it('4. forged exception row (subscription-wide, 10 years, ciso): exception-forged, never active, still revocable', async () => {
    const { world } = await seed(createWorld(keyVault, { exceptionsCacheMs: 0 }));
    const now = new Date();
    await world.exceptionsTable.createEntity({
      partitionKey: 'exception',
      rowKey: 'ciso-approved-2026',
      controlId: 'NSG-MGMT-PORT',
      scope: `/subscriptions/${SUB_A}`,
      justification: 'approved by the CISO',
      ticket: 'SEC-1',
      approvedBy: 'ciso@contoso.example',
      approvedOn: now.toISOString(),
      expiresOn: new Date(now.getTime() + 3650 * 86_400_000).toISOString(),
    });
    const exceptions = await world.app.exceptions();
    expect((await exceptions.list()).map((e) => e.id)).toContain('ciso-approved-2026'); // the registry shows it
    expect((await exceptions.active(new Date())).map((e) => e.id)).not.toContain('ciso-approved-2026');
    const out = await verifyCli(world);
    expect(out.code).toBe(1);
    expect(kinds(out)).toEqual(['exception-forged']);
    expect(out.json?.findings[0]).toMatchObject({ exceptionId: 'ciso-approved-2026' });
    // anything the listing shows can be revoked (the id is not a UUID)
    const revoked = await revokeExceptionById({ exceptions, clock: () => new Date() }, 'ciso-approved-2026', {
      objectId: null,
      name: 'secops@contoso.example',
    });
    expect(revoked).toMatchObject({ id: 'ciso-approved-2026', revokedBy: 'secops@contoso.example' });
  });

  it('an edited exception row (expiry pushed out 10 years): exception-edited, no longer active', async () => {
    const { world, exception } = await seed(createWorld(keyVault, { exceptionsCacheMs: 0 })); // see 4.
    const exceptions = await world.app.exceptions();
    expect((await exceptions.active(new Date())).map((e) => e.id)).toEqual([exception.id]);
    await world.exceptionsTable.updateEntity(
      {
        partitionKey: 'exception',
        rowKey: exception.id,
        expiresOn: new Date(Date.now() + 3650 * 86_400_000).toISOString(),
      },
      'Merge',
    );
    expect(await exceptions.active(new Date())).toEqual([]);
    const out = await verifyCli(world);
    expect(out.code).toBe(1);
    expect(kinds(out)).toEqual(['exception-edited']);
  });

  it('an un-revoked exception (revocation removed from the row): exception-edited', async () => {
    const { world, exception } = await seed(createWorld(keyVault, { exceptionsCacheMs: 0 })); // see 4.
    const exceptions = await world.app.exceptions();
    await exceptions.revoke(exception.id, 'secops@contoso.example');
    await publish(world); // the revocation's record is anchored
    const row = await world.exceptionsTable.getEntity<Record<string, unknown>>('exception', exception.id);
    const { revokedOn: _on, revokedBy: _by, ...rest } = row;
    await world.exceptionsTable.updateEntity(rest as TableEntity, 'Replace');
    expect(await exceptions.active(new Date())).toEqual([]);
    expect(kinds(await verifyCli(world))).toEqual(['exception-edited']);
  });

  it('rollback of the table to an earlier consistent snapshot: rolled-back', async () => {
    const { world, snapshot } = await seed();
    await wipe(world.evidenceTable);
    for (const row of snapshot) {
      const {
        etag: _etag,
        timestamp: _ts,
        ...entity
      } = row as TableEntity & { etag?: string; timestamp?: string };
      await world.evidenceTable.createEntity(entity as TableEntity);
    }
    expect((await (await world.app.evidence()).verify()).ok).toBe(true); // consistent, as a snapshot is
    const out = await verifyCli(world);
    expect(out.code).toBe(1);
    expect(kinds(out)).toEqual(['rolled-back']);
  });

  it('a deleted digest: digest-missing (the first one, and the latest one)', async () => {
    const seeded = await seed();
    const { world, a, b } = seeded;
    const [first, latest] = await digestNames(world);
    await world.digests.deleteBlob(first as string);
    const out = await verifyCli(world);
    expect(out.code).toBe(1);
    // the gap, and every chain only digest #1 anchored (chain B; the exception's sub-chain unless
    // it is chain A), is vouched for by nothing now
    const onlyFirst = chainsOf(seeded).filter((chainId) => !a.slice(10).some((r) => r.chainId === chainId));
    expect(onlyFirst).toContain(b[0]?.chainId);
    expect(kinds(out)).toEqual(['digest-missing']);
    expect(out.json?.findings).toEqual([
      expect.objectContaining({ kind: 'digest-missing', digest: '1' }),
      ...onlyFirst.map((chainId) =>
        expect.objectContaining({ kind: 'digest-missing', chainId, sequence: 1 }),
      ),
    ]);
    await world.digests.deleteBlob(latest as string);
    const both = await verifyCli(world);
    expect(both.code).toBe(1);
    // with every digest gone, the records are overdue for anchoring: nothing vouches for them
    expect(kinds(both)).toEqual(['digest-missing']);
    expect(both.json?.findings.some((f) => f.chainId !== undefined)).toBe(true);
  });

  it('an edited digest, and one re-signed with another key: digest-edited', async () => {
    const { world } = await seed();
    const [first, latest] = await digestNames(world);
    const blob = world.digests.getBlockBlobClient(first as string);
    const stored = JSON.parse((await blob.downloadToBuffer()).toString('utf8'));
    const body = JSON.parse(stored.payload);
    body.chains[0].headHash = '0'.repeat(64);
    const edited = JSON.stringify({ ...stored, payload: JSON.stringify(body) });
    await blob.upload(edited, Buffer.byteLength(edited)); // Azurite does not enforce immutability
    const out = await verifyCli(world);
    expect(out.code).toBe(1);
    expect(out.json?.findings.filter((f) => f.kind === 'digest-edited')).toEqual([
      expect.objectContaining({
        kind: 'digest-edited',
        digest: first,
        detail: expect.stringMatching(/edited after signing/),
      }),
    ]);
    expect(kinds(out)).toEqual(['digest-edited', 'digest-missing']); // chain B lost its only anchor
    // the attacker signs a replacement for the latest digest with their own key
    const mine = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const latestBlob = world.digests.getBlockBlobClient(latest as string);
    const original = JSON.parse((await latestBlob.downloadToBuffer()).toString('utf8'));
    const forgedPayload = original.payload.replace(/"reason":"interval"/, '"reason":"manual"');
    const forged = JSON.stringify({
      ...original,
      payload: forgedPayload,
      signature: sign('sha256', Buffer.from(forgedPayload), mine.privateKey).toString('base64'),
      publicKeyPem: mine.publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    });
    await latestBlob.upload(forged, Buffer.byteLength(forged));
    const twice = await verifyCli(world);
    expect(twice.json?.findings.filter((f) => f.kind === 'digest-edited').map((f) => f.detail)).toEqual([
      expect.stringMatching(/edited after signing/),
      expect.stringMatching(/another key/),
    ]);
  });

  it('everything deleted in every table: chain-deleted for every chain', async () => {
    const seeded = await seed();
    const { world } = seeded;
    await wipe(world.evidenceTable);
    await wipe(world.exceptionsTable);
    const out = await verifyCli(world);
    expect(out.code).toBe(1);
    expect(out.json?.findings.map((f) => `${f.kind} ${f.chainId}`).sort()).toEqual(
      chainsOf(seeded).map((chainId) => `chain-deleted ${chainId}`),
    );
    expect(out.json?.records).toBe(0);
  });

  it('cannot check (exit 2): the trusted key file is unreadable', async () => {
    const { world } = await seed();
    const out = await verifyCli({ ...world, publicKeyPath: '/nonexistent/key.pem' });
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(/cannot read the signing key's public key/);
  });
});

describe('digests over sub-chains', () => {
  it('a digest covers every sub-chain head, and an attack on any one sub-chain is found', async () => {
    const world = createWorld(keyVault);
    const store = await world.app.evidence();
    // 24 NSGs of one subscription at once: the default layout spreads them over the 16 sub-chains
    const records = await Promise.all(
      Array.from({ length: 24 }, (_, i) =>
        store.append(
          nsgRemediation(200 + i, { sub: SUB_A, resourceId: nsgRuleId(SUB_A, 'rg', `nsg-${i}`, 'r') }),
        ),
      ),
    );
    const chains = [...new Set(records.map((record) => record.chainId))].sort();
    expect(chains.length).toBeGreaterThan(4);
    const digest = await publish(world);
    // the digest names each chain's head exactly as the table holds it
    const heads = await Promise.all(
      chains.map(async (chainId) => {
        const head = await world.evidenceTable.getEntity<{ sequence: number; hash: string }>(
          chainFromId(chainId)?.partitionKey ?? '',
          HEAD_ROW,
        );
        return { chainId, sequence: head.sequence, headHash: head.hash };
      }),
    );
    expect(
      digest?.body.chains.map(({ chainId, sequence, headHash }) => ({ chainId, sequence, headHash })),
    ).toEqual(heads);
    const intact = await verifyCli(world);
    expect(intact.json).toMatchObject({
      status: 'intact',
      chains: chains.length,
      records: 24,
      anchoredRecords: 24,
    });
    // truncate one sub-chain by its last record (head rewound): that sub-chain, and only it, is named
    const victim = records.filter((r) => r.sequence > 1).at(-1) ?? (records[0] as EvidenceRecord);
    const pk = partitionOf(victim);
    await deleteRecords(world.evidenceTable, pk, victim.chainId, new Set([victim.sequence]));
    // 24 resources over 16 heads: some sub-chain holds two or more
    const previous = records.find((r) => r.chainId === victim.chainId && r.sequence === victim.sequence - 1);
    if (!previous) throw new Error('no sub-chain holds two records');
    await world.evidenceTable.updateEntity(
      { partitionKey: pk, rowKey: HEAD_ROW, sequence: previous.sequence, hash: previous.hash },
      'Merge',
    );
    const out = await verifyCli(world);
    expect(out.code).toBe(1);
    expect(out.json?.findings.map((f) => [f.kind, f.chainId])).toEqual([['truncated', victim.chainId]]);
  });
});
