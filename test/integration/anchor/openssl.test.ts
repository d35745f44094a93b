/**
 * An auditor checks a digest without driftwarden: the README's openssl + jq commands, run here
 * against a digest the app published (signed by the Key Vault stand-in through the real SDK).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type KeyVaultStandIn, startKeyVaultStandIn } from '../../../lib/dev/key-vault/server.js';
import { nsgRemediation, SUB_A } from '../api/seed.js';
import { createWorld } from './world.js';

function has(tool: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const tools = has('openssl') && has('jq');
if (!tools) console.warn('openssl.test: skipped — openssl or jq is absent');

let keyVault: KeyVaultStandIn;
beforeAll(async () => {
  keyVault = await startKeyVaultStandIn();
});
afterAll(() => keyVault.stop());

describe.skipIf(!tools)('digest signatures check with openssl alone', () => {
  it('openssl dgst -sha256 -verify says "Verified OK" for a published digest, and fails for an edited one', async () => {
    const world = createWorld(keyVault);
    const store = await world.app.evidence();
    await store.append(nsgRemediation(1, { sub: SUB_A }));
    const digest = await world.app.anchoring()?.publisher.publish('manual');
    if (!digest) throw new Error('no digest');
    const dir = mkdtempSync(join(tmpdir(), 'dw-openssl-'));
    const file = join(dir, 'digest.json');
    writeFileSync(
      file,
      (await world.digests.getBlockBlobClient(digest.name).downloadToBuffer()).toString('utf8'),
    );
    const sh = (script: string) => execFileSync('sh', ['-c', script], { cwd: dir, encoding: 'utf8' });
    // the commands documented in README.md ("Checking a digest without driftwarden")
    sh('jq -r .publicKeyPem digest.json > digest-key.pem');
    sh('jq -j .payload digest.json > payload.json');
    sh('jq -r .signature digest.json | openssl base64 -d -A > signature.bin');
    expect(
      sh('openssl dgst -sha256 -verify digest-key.pem -signature signature.bin payload.json').trim(),
    ).toBe('Verified OK');
    // the key the digest carries is the vault's key (an auditor compares it with `az keyvault key download`)
    expect(sh('cat digest-key.pem').trim()).toBe(keyVault.publicKeyPem().trim());
    expect(JSON.parse(sh('cat payload.json'))).toMatchObject({ sequence: 1, chains: [{ sequence: 1 }] });
    sh('sed -i \'s/"sequence":1/"sequence":2/\' payload.json');
    expect(
      sh('openssl dgst -sha256 -verify digest-key.pem -signature signature.bin payload.json 2>&1 || true'),
    ).toMatch(/Verification failure/);
  });
});
