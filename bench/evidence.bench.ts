/**
 * Evidence store throughput on a private Azurite (in-memory): single appends (sequential, 8
 * concurrent on one chain, 8 concurrent on separate chains), appendMany rows/s and rows per
 * transaction, and log query p50 over 10,000 records.
 */
import { randomUUID } from 'node:crypto';
import { createTableClient, ensureTable } from '../lib/azure/tables.js';
import { startAzurite } from '../lib/dev/local/azurite.js';
import { TableEvidenceStore } from '../lib/evidence/table-store.js';
import type { EvidenceInput } from '../lib/evidence/types.js';

export const name = 'evidence';

const SUBS = Array.from(
  { length: 8 },
  (_, i) => `00000000-0000-0000-0000-${String(i + 1).padStart(12, '0')}`,
);

function input(
  subscriptionId: string,
  i: number,
  trigger: EvidenceInput['trigger'] = 'event',
): EvidenceInput {
  return {
    idempotencyKey: `${trigger}:${randomUUID()}:STG-PUBLIC-BLOB`,
    trigger,
    eventId: trigger === 'event' ? randomUUID() : null,
    correlationId: randomUUID(),
    subscriptionId,
    resourceId: `/subscriptions/${subscriptionId}/resourceGroups/rg-${i % 20}/providers/Microsoft.Storage/storageAccounts/sa${i}`,
    resourceType: 'Microsoft.Storage/storageAccounts',
    controlId: i % 4 === 0 ? 'STG-MIN-TLS' : 'STG-PUBLIC-BLOB',
    criteria: ['CC6.1', 'CC6.6'],
    outcome: i % 10 === 0 ? 'remediated' : 'compliant',
    action: i % 10 === 0 ? 'set allowBlobPublicAccess=false' : 'none',
    message: 'evaluated',
    before: { allowBlobPublicAccess: i % 10 === 0, minimumTlsVersion: 'TLS1_2' },
    after: { allowBlobPublicAccess: false, minimumTlsVersion: 'TLS1_2' },
    actor: i % 10 === 0 ? `user${i % 7}@contoso.example` : null,
    exceptionId: null,
    sweepId: trigger === 'sweep' ? '2026-11' : null,
  };
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

const fmt = (n: number) => n.toFixed(n >= 100 ? 0 : 1);

export async function run(): Promise<void> {
  const azurite = await startAzurite();
  try {
    const store = async () => {
      const client = createTableClient(
        { connectionString: azurite.connectionString },
        `bench${randomUUID().replace(/-/g, '')}`,
      );
      await ensureTable(client);
      return {
        client,
        store: new TableEvidenceStore({ client, remediatorIdentity: 'bench', remediatorVersion: '0' }),
      };
    };

    // warm-up (JIT, keep-alive sockets, Azurite table creation)
    const warm = await store();
    for (let i = 0; i < 50; i++) await warm.store.append(input(SUBS[0] as string, i));

    const sequential = await store();
    const n = 320;
    let start = performance.now();
    for (let i = 0; i < n; i++) await sequential.store.append(input(SUBS[0] as string, i));
    const sequentialRate = n / ((performance.now() - start) / 1000);

    const oneChain = await store();
    const writers = Array.from(
      { length: 8 },
      () =>
        new TableEvidenceStore({
          client: oneChain.client,
          remediatorIdentity: 'bench',
          remediatorVersion: '0',
        }),
    );
    start = performance.now();
    await Promise.all(
      writers.map(async (writer, w) => {
        for (let i = 0; i < n / 8; i++) await writer.append(input(SUBS[0] as string, w * 1000 + i));
      }),
    );
    const oneChainRate = n / ((performance.now() - start) / 1000);
    const conflicts = writers.reduce((sum, writer) => sum + writer.stats.conflicts, 0);
    const verifyOne = await oneChain.store.verify();

    const grouped = await store();
    start = performance.now();
    await Promise.all(
      Array.from({ length: 8 }, async (_, w) => {
        for (let i = 0; i < n / 8; i++) await grouped.store.append(input(SUBS[0] as string, w * 1000 + i));
      }),
    );
    const groupedRate = n / ((performance.now() - start) / 1000);
    const groupedPerTx = grouped.store.stats.recordsWritten / grouped.store.stats.chainTransactions;

    const separate = await store();
    start = performance.now();
    await Promise.all(
      SUBS.map(async (sub, w) => {
        for (let i = 0; i < n / 8; i++) await separate.store.append(input(sub, w * 1000 + i));
      }),
    );
    const separateRate = n / ((performance.now() - start) / 1000);

    const many = await store();
    const rows = 10_000;
    const inputs = Array.from({ length: rows }, (_, i) => input(SUBS[i % 3] as string, i, 'sweep'));
    start = performance.now();
    for (let i = 0; i < inputs.length; i += 1000) await many.store.appendMany(inputs.slice(i, i + 1000));
    const manySeconds = (performance.now() - start) / 1000;
    const perTransaction = many.store.stats.recordsWritten / many.store.stats.chainTransactions;

    start = performance.now();
    const rerun = await many.store.appendMany(inputs.slice(0, 1000));
    const rerunSeconds = (performance.now() - start) / 1000;

    const queries: Array<[string, Parameters<TableEvidenceStore['query']>[0]]> = [
      ['newest 50', {}],
      ['subscription', { subscription: SUBS[1] }],
      ['outcome=remediated', { outcome: 'remediated' }],
      ['actor (rare)', { actor: 'user3@contoso.example' }],
      ['resource prefix', { resource: `/subscriptions/${SUBS[2]}/resourceGroups/rg-7/` }],
    ];
    const latency: string[] = [];
    for (const [label, query] of queries) {
      const times: number[] = [];
      for (let i = 0; i < 20; i++) {
        const t = performance.now();
        await many.store.query(query);
        times.push(performance.now() - t);
      }
      latency.push(`${label} p50 ${fmt(percentile(times, 50))} ms (p90 ${fmt(percentile(times, 90))})`);
    }
    start = performance.now();
    const verified = await many.store.verify();
    const verifySeconds = (performance.now() - start) / 1000;

    console.log(`evidence: single append, sequential            ${fmt(sequentialRate)} appends/s`);
    console.log(
      `evidence: single append, 8 concurrent, 1 chain, 8 instances ${fmt(oneChainRate)} appends/s (${conflicts} head conflicts retried; verify ok=${verifyOne.ok}, ${verifyOne.records} records)`,
    );
    console.log(
      `evidence: single append, 8 concurrent, 1 chain, 1 instance ${fmt(groupedRate)} appends/s (group commit: ${fmt(groupedPerTx)} records per transaction)`,
    );
    console.log(`evidence: single append, 8 concurrent, 8 chains ${fmt(separateRate)} appends/s`);
    console.log(
      `evidence: appendMany ${rows} rows (3 chains)     ${fmt(rows / manySeconds)} rows/s, ${fmt(perTransaction)} records per chain transaction (${many.store.stats.chainTransactions} transactions)`,
    );
    console.log(
      `evidence: appendMany re-run of 1,000 (all dup)  ${fmt(rerun.length / rerunSeconds)} rows/s, ${many.store.stats.recordsWritten - rows} new rows`,
    );
    console.log(`evidence: query over ${rows} records: ${latency.join('; ')}`);
    console.log(
      `evidence: verify ${verified.records} records in ${verified.chains} chains: ${fmt(verifySeconds)} s, ok=${verified.ok}`,
    );
  } finally {
    await azurite.stop();
  }
}
