/**
 * Throughput of the ARM sandbox at 0 latency, through the real SDK clients, so benchmarks know it
 * is never the bottleneck. Run: npx tsx -e "import('./bench/sandbox.bench.ts').then(m=>m.run())"
 */
import https from 'node:https';
import { NetworkManagementClient } from '@azure/arm-network';
import { StorageManagementClient } from '@azure/arm-storage';
import { generateEstate, type Sandbox, startSandbox, unsignedJwt } from '../lib/dev/arm-sandbox/index.js';

export const name = 'sandbox';

const CONCURRENCY = 16;
const DURATION_MS = 3_000;

async function measure(label: string, operation: (i: number) => Promise<unknown>): Promise<number> {
  let done = 0;
  const started = Date.now();
  const worker = async (w: number) => {
    for (let i = w; Date.now() - started < DURATION_MS; i += CONCURRENCY) {
      await operation(i);
      done++;
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, (_, w) => worker(w)));
  const perSecond = (done / (Date.now() - started)) * 1000;
  console.log(
    `sandbox: ${label}: ${Math.round(perSecond)} requests/s (concurrency ${CONCURRENCY}, ${done} requests)`,
  );
  return perSecond;
}

/** A bare HTTPS GET (no SDK deserialisation): what the server alone costs. */
function rawGet(sandbox: Sandbox, agent: https.Agent, path: string, token: string): Promise<void> {
  return new Promise((resolve, reject) => {
    https
      .get(`${sandbox.url}${path}`, { agent, headers: { authorization: `Bearer ${token}` } }, (res) => {
        res.resume();
        res.on('end', () => resolve());
      })
      .on('error', reject);
  });
}

export async function run(): Promise<void> {
  const estate = generateEstate({
    subscriptions: 1,
    storageAccounts: 500,
    nsgs: 500,
    driftRatio: 0.2,
    seed: 5,
  });
  const subscription = estate.subscriptions?.[0] ?? '';
  const sandbox = await startSandbox({ scenario: estate, pageSize: 100 });
  try {
    const credential = sandbox.credential({ upn: 'bench@contoso.com' });
    const storage = new StorageManagementClient(credential, subscription, { ...sandbox.clientOptions() });
    const network = new NetworkManagementClient(credential, subscription, { ...sandbox.clientOptions() });
    const accounts = estate.resources.filter((r) => r.id.includes('/storageAccounts/'));
    const nsgs = estate.resources.filter((r) => r.id.includes('/networkSecurityGroups/'));
    const part = (id: string, index: number) => id.split('/')[index] ?? '';

    await measure('storage account GET', (i) => {
      const id = accounts[i % accounts.length]?.id ?? '';
      return storage.storageAccounts.getProperties(part(id, 4), part(id, 8));
    });
    await measure('NSG GET', (i) => {
      const id = nsgs[i % nsgs.length]?.id ?? '';
      return network.networkSecurityGroups.get(part(id, 4), part(id, 8));
    });
    // one list page of 100 NSGs per request
    await measure('NSG list page (100 items)', () => network.networkSecurityGroups.listAll().byPage().next());
    const agent = new https.Agent({ ca: sandbox.caCertPem, keepAlive: true });
    const token = unsignedJwt({ upn: 'bench@contoso.com' });
    await measure('NSG list page (100 items), raw HTTPS without SDK deserialisation', () =>
      rawGet(
        sandbox,
        agent,
        `/subscriptions/${subscription}/providers/Microsoft.Network/networkSecurityGroups?api-version=2025-05-01`,
        token,
      ),
    );
    agent.destroy();
    const stats = sandbox.stats();
    console.log(`sandbox: served ${stats.requests.reads} reads in total`);
  } finally {
    await sandbox.stop();
  }
}
