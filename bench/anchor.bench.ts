/**
 * Evidence anchoring costs, on a private Azurite (in-memory) and the Key Vault keys stand-in
 * (real @azure/keyvault-keys clients, real RSA signatures):
 * - digest publication for 1, 100 and 1,000 changed chains: ms, Table and Blob operations, signs
 * - verify throughput (records/s) against the digests over up to 100,000 records (seeding is
 *   capped at ~2 minutes on a small machine; the count printed is what was verified)
 * - event-path append latency before vs after anchoring (p50/p99 and their ratio, one run,
 *   interleaved), with a publisher ticking every second during the "after" runs
 */
import { randomUUID } from 'node:crypto';
import type { TableClient, TransactionAction } from '@azure/data-tables';
import { BlobServiceClient } from '@azure/storage-blob';
import { createSigner } from '../lib/anchor/anchoring.js';
import { DigestStore } from '../lib/anchor/digest-store.js';
import { DigestPublisher } from '../lib/anchor/publisher.js';
import { verifyAgainstAnchors } from '../lib/anchor/verify-anchors.js';
import { createTableClient, ensureTable } from '../lib/azure/tables.js';
import { sandboxCredential } from '../lib/dev/arm-sandbox/index.js';
import { startKeyVaultStandIn } from '../lib/dev/key-vault/server.js';
import { startAzurite } from '../lib/dev/local/azurite.js';
import { mapLimit } from '../lib/evidence/concurrency.js';
import { normalizeInput, toEntity } from '../lib/evidence/entity.js';
import { GENESIS_HASH, recordHash } from '../lib/evidence/hash.js';
import { chainFor, HEAD_ROW, REGISTRY_PARTITION, recordIdOf, recordRow } from '../lib/evidence/layout.js';
import { TableEvidenceStore } from '../lib/evidence/table-store.js';
import type { EvidenceInput, EvidenceRecord } from '../lib/evidence/types.js';

export const name = 'anchor';

const sub = (i: number) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;

function input(subscriptionId: string, i: number): EvidenceInput {
  return {
    idempotencyKey: `event:${randomUUID()}:NSG-OPEN-INBOUND`,
    trigger: 'event',
    eventId: randomUUID(),
    correlationId: randomUUID(),
    subscriptionId,
    resourceId: `/subscriptions/${subscriptionId}/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/nsg${i % 50}`,
    resourceType: 'Microsoft.Network/networkSecurityGroups',
    controlId: 'NSG-OPEN-INBOUND',
    criteria: ['CC6.6'],
    outcome: i % 10 === 0 ? 'remediated' : 'compliant',
    action: 'set access=Deny',
    message: 'inbound Allow from * to 443',
    before: { access: 'Allow', sourceAddressPrefix: '*', destinationPortRange: '443' },
    after: { access: 'Deny', sourceAddressPrefix: '*', destinationPortRange: '443' },
    actor: 'dev@contoso.example',
    exceptionId: null,
    ruleName: `rule${i}`,
  };
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

const fmt = (n: number) => n.toFixed(n >= 100 ? 0 : n >= 10 ? 1 : 2);

/** Hash-chained records written directly (what the chain writer stores), stopping at `deadline`. */
async function seedChains(
  table: TableClient,
  chains: number,
  perChain: number,
  deadline: number,
): Promise<number> {
  let total = 0;
  const counts = await mapLimit(
    Array.from({ length: chains }, (_, c) => c),
    4,
    async (c) => {
      const subscriptionId = sub(100 + c);
      const chain = chainFor(subscriptionId, new Date());
      let previousHash = GENESIS_HASH;
      let sequence = 0;
      const firstTime = new Date().toISOString();
      while (sequence < perChain && performance.now() < deadline) {
        const actions: TransactionAction[] = [];
        const time = new Date().toISOString();
        for (let i = 0; i < 99 && sequence < perChain; i++) {
          sequence++;
          const unsigned: Omit<EvidenceRecord, 'hash'> = {
            recordId: recordIdOf(chain.chainId, sequence),
            time,
            ...normalizeInput(input(subscriptionId, sequence)),
            remediatorIdentity: 'bench',
            remediatorVersion: '0',
            chainId: chain.chainId,
            sequence,
            previousHash,
          };
          const record = { ...unsigned, hash: recordHash(unsigned) };
          previousHash = record.hash;
          actions.push(['create', toEntity(chain.partitionKey, recordRow(sequence), record)]);
        }
        await table.submitTransaction(actions);
        await table.upsertEntity(
          {
            partitionKey: chain.partitionKey,
            rowKey: HEAD_ROW,
            chainId: chain.chainId,
            sequence,
            hash: previousHash,
            time,
            firstTime,
          },
          'Replace',
        );
      }
      await table.upsertEntity(
        { partitionKey: REGISTRY_PARTITION, rowKey: chain.partitionKey, chainId: chain.chainId },
        'Replace',
      );
      return sequence;
    },
  );
  for (const count of counts) total += count;
  return total;
}

export async function run(): Promise<void> {
  const azurite = await startAzurite();
  const keyVault = await startKeyVaultStandIn();
  try {
    const world = async () => {
      const table = createTableClient(
        { connectionString: azurite.connectionString },
        `bench${randomUUID().replace(/-/g, '')}`,
      );
      await ensureTable(table);
      const store = new TableEvidenceStore({
        client: table,
        remediatorIdentity: 'bench',
        remediatorVersion: '0',
      });
      const digests = new DigestStore(
        BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(
          `dg${randomUUID().slice(0, 8)}`,
        ),
      );
      const signer = createSigner(
        { id: '', vaultUrl: keyVault.url, name: 'driftwarden-digest', version: null },
        { credential: sandboxCredential(), clientOptions: { agent: keyVault.agent } },
      );
      const publisher = new DigestPublisher({ table, digests, signer });
      store.onAppended((chainIds) => publisher.markChanged(chainIds));
      return { table, store, digests, signer, publisher };
    };

    // ---- digest publication cost by number of changed chains
    const w = await world();
    await w.store.append(input(sub(999_999), 0));
    await w.publisher.publish(); // digest #1: later ones take the steady-state path
    console.log('digest publication (steady state: previous digest known, log range since it):');
    console.log('  changed chains   ms    table ops  blob ops  Key Vault signs  digest bytes');
    let offset = 0;
    for (const changed of [0, 1, 100, 1000]) {
      if (changed > 0)
        await w.store.appendMany(Array.from({ length: changed }, (_, i) => input(sub(offset + i), i)));
      offset += changed;
      const table0 = w.publisher.stats.tableOperations;
      const blob0 = w.digests.stats.blobOperations;
      const sign0 = keyVault.stats().sign;
      const start = performance.now();
      const digest = await w.publisher.publish();
      const ms = performance.now() - start;
      console.log(
        `  ${String(changed).padStart(14)} ${fmt(ms).padStart(6)} ${String(w.publisher.stats.tableOperations - table0).padStart(10)} ${String(w.digests.stats.blobOperations - blob0).padStart(9)} ${String(keyVault.stats().sign - sign0).padStart(16)} ${String(digest ? Buffer.byteLength(digest.blob.payload) : 0).padStart(13)}`,
      );
    }

    // ---- verify throughput against the digests
    const v = await world();
    const target = 100_000;
    const chains = 20;
    const seedStart = performance.now();
    const budgetMs = 120_000;
    // Seeded straight into the chain partitions (records, head, registry) with 99-row
    // transactions: verify reads exactly these rows; claims and log rows would only slow setup.
    const seeded = await seedChains(v.table, chains, target / chains, seedStart + budgetMs);
    const seedSeconds = (performance.now() - seedStart) / 1000;
    await v.publisher.publish();
    const trusted = await v.signer.publicKeyPem();
    const verifyStart = performance.now();
    const result = await verifyAgainstAnchors({
      table: v.table,
      digests: v.digests,
      trustedPublicKeyPem: trusted,
      now: new Date(),
      overdueMs: 600_000,
    });
    const verifySeconds = (performance.now() - verifyStart) / 1000;
    console.log(
      `verify against digests: ${result.records} records in ${result.chains} chains (${seeded < target ? `seeding capped at ${Math.round(budgetMs / 1000)} s: ${seeded} of ${target}` : `all ${target}`}; seeded in ${fmt(seedSeconds)} s) ` +
        `in ${fmt(verifySeconds)} s = ${fmt(result.records / verifySeconds)} records/s, status ${result.status}`,
    );

    // ---- event-path append latency, before vs after anchoring (interleaved rounds)
    const plainTable = createTableClient(
      { connectionString: azurite.connectionString },
      `bench${randomUUID().replace(/-/g, '')}`,
    );
    await ensureTable(plainTable);
    const plain = new TableEvidenceStore({
      client: plainTable,
      remediatorIdentity: 'bench',
      remediatorVersion: '0',
    });
    const after = await world();
    for (let i = 0; i < 30; i++) {
      await plain.append(input(sub(1), i));
      await after.store.append(input(sub(1), i));
    }
    await after.publisher.publish();
    const ticker = setInterval(() => void after.publisher.publishQuietly('interval'), 1000);
    const plainMs: number[] = [];
    const anchoredMs: number[] = [];
    try {
      for (let round = 0; round < 10; round++) {
        for (let i = 0; i < 30; i++) {
          let start = performance.now();
          await plain.append(input(sub(1), i));
          plainMs.push(performance.now() - start);
          start = performance.now();
          await after.store.append(input(sub(1), i));
          anchoredMs.push(performance.now() - start);
        }
      }
    } finally {
      clearInterval(ticker);
    }
    const p50b = percentile(plainMs, 50);
    const p99b = percentile(plainMs, 99);
    const p50a = percentile(anchoredMs, 50);
    const p99a = percentile(anchoredMs, 99);
    console.log(
      `event-path append (${plainMs.length} each, interleaved; digests every 1 s during "after": ${after.publisher.stats.digestsPublished} published): ` +
        `before p50 ${fmt(p50b)} ms p99 ${fmt(p99b)} ms; after p50 ${fmt(p50a)} ms p99 ${fmt(p99a)} ms; ratio p50 ${(p50a / p50b).toFixed(2)} p99 ${(p99a / p99b).toFixed(2)}`,
    );
  } finally {
    await keyVault.stop();
    await azurite.stop();
  }
}
