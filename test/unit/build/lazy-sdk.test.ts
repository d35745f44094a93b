import { execFile } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { BUNDLE_OPTIONS } from '../../../scripts/build.mjs';

const run = promisify(execFile);
const repo = fileURLToPath(new URL('../../..', import.meta.url));
const dir = join(repo, 'dist', `lazy-sdk-check-${process.pid}`);

/**
 * lib/azure/clients.ts bundled as the functions bundle is (same options, each lazily imported SDK
 * in a chunk of its own): CommonJS-only SDK packages come back from such a chunk as a namespace
 * holding only `default`, which once left the deployed sweep unable to construct them.
 */
describe('the ARM SDK clients, bundled with lazily loaded chunks', () => {
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('constructs every client', async () => {
    const esbuild = await import('esbuild');
    await mkdir(dir, { recursive: true });
    const entry = join(dir, 'entry.ts');
    await writeFile(
      entry,
      `import { ArmClients } from '../../lib/azure/clients.js';
const arm = new ArmClients({ credential: { getToken: async () => null }, endpoint: 'https://127.0.0.1:9' });
const clients = [
  await arm.storageFor('s'), await arm.networkFor('s'), await arm.operationalInsightsFor('s'),
  await arm.monitorFor('s'), await arm.keyVaultFor('s'),
];
console.log(JSON.stringify(clients.map((client) => client.constructor.name)));
`,
    );
    const built = await esbuild.build({
      ...BUNDLE_OPTIONS,
      entryPoints: [entry],
      outdir: join(dir, 'out'),
      splitting: true,
      chunkNames: 'chunks/[name]-[hash]',
      write: true,
    });
    const chunks = Object.keys(built.metafile?.outputs ?? {}).filter((out) => out.includes('/chunks/'));
    expect(chunks.length).toBeGreaterThan(0);
    const { stdout } = await run(process.execPath, [join(dir, 'out', 'entry.js')]);
    expect(JSON.parse(stdout)).toEqual([
      'StorageManagementClient',
      'NetworkManagementClient',
      'OperationalInsightsManagementClient',
      'MonitorClient',
      'KeyVaultManagementClient',
    ]);
  }, 60_000);
});
