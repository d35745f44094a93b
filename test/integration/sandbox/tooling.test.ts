import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NetworkManagementClient } from '@azure/arm-network';
import { StorageManagementClient } from '@azure/arm-storage';
import { describe, expect, it } from 'vitest';
import { generateEstate, sandboxCredential, startSandbox } from '../../../lib/dev/arm-sandbox/index.js';
import { rawRequest, SUBSCRIPTION } from './helpers.js';

describe('ARM sandbox: generated estates and the command line', () => {
  it('generates a deterministic estate with the requested drift that the SDKs can list', async () => {
    const spec = { subscriptions: 2, storageAccounts: 30, nsgs: 20, driftRatio: 0.25, seed: 99 };
    const estate = generateEstate(spec);
    expect(generateEstate(spec)).toEqual(estate);
    expect(estate.subscriptions).toHaveLength(2);
    expect(estate.resources).toHaveLength(50);
    expect(estate.drifted?.length).toBeGreaterThan(3);
    expect(estate.drifted?.length).toBeLessThan(25);

    const sandbox = await startSandbox({ scenario: estate, pageSize: 7 });
    try {
      const sub = estate.subscriptions?.[0] ?? '';
      const storage = new StorageManagementClient(sandbox.credential(), sub, { ...sandbox.clientOptions() });
      const network = new NetworkManagementClient(sandbox.credential(), sub, { ...sandbox.clientOptions() });
      let accounts = 0;
      for await (const _ of storage.storageAccounts.list()) accounts++;
      let nsgs = 0;
      let openRules = 0;
      for await (const nsg of network.networkSecurityGroups.listAll()) {
        nsgs++;
        openRules += (nsg.securityRules ?? []).filter(
          (r) => r.priority === 100 && r.access === 'Allow',
        ).length;
      }
      expect(accounts).toBe(15);
      expect(nsgs).toBe(10);
      const driftedNsgsHere = (estate.drifted ?? []).filter(
        (id) => id.includes(sub) && id.includes('networkSecurityGroups'),
      );
      expect(openRules).toBe(driftedNsgsHere.length);
    } finally {
      await sandbox.stop();
    }
  });

  it('starts from the command line with a scenario file, serves the admin API and stops on SIGTERM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sandbox-cli-'));
    const scenarioFile = join(dir, 'scenario.json');
    const accountId = `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-cli/providers/Microsoft.Storage/storageAccounts/stcli01`;
    writeFileSync(
      scenarioFile,
      JSON.stringify({ resources: [{ id: accountId, properties: { allowBlobPublicAccess: true } }] }),
    );
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'lib/dev/arm-sandbox/cli.ts',
        '--port',
        '0',
        '--scenario',
        scenarioFile,
        '--cert-dir',
        dir,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    try {
      const [line] = (await once(child.stdout, 'data')) as [Buffer];
      const started = JSON.parse(line.toString().trim()) as { url: string; caCertPath: string };
      expect(started.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      expect(started.caCertPath).toBe(join(dir, 'cert.pem'));
      const ca = readFileSync(started.caCertPath, 'utf8');
      const token = (await sandboxCredential({ upn: 'cli@contoso.com' }).getToken('x'))?.token ?? '';
      const account = await rawRequest(`${started.url}${accountId}?api-version=2025-08-01`, ca, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(account.status).toBe(200);
      expect(account.body).toMatchObject({ name: 'stcli01', properties: { allowBlobPublicAccess: true } });
      const stats = await rawRequest(`${started.url}/_sandbox/stats`, ca);
      expect(stats.body).toMatchObject({ requests: { reads: 1 } });
    } finally {
      child.kill('SIGTERM');
    }
    const [code] = (await once(child, 'exit')) as [number | null];
    expect(code).toBe(0);
  });
});
