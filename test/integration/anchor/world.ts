/**
 * An anchored evidence world on Azurite + the Key Vault stand-in: fresh tables and digest
 * container, the production App (createApp) signing with the stand-in's key through the real
 * @azure/keyvault-keys clients, and raw Table/Blob clients for the attacker (data-plane access
 * only: no Key Vault key, no code of ours needed).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TableClient } from '@azure/data-tables';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { inject } from 'vitest';
import { type App, createApp } from '../../../lib/app/app.js';
import { main } from '../../../lib/cli/main.js';
import type { CliIo } from '../../../lib/cli/types.js';
import { loadConfig } from '../../../lib/config.js';
import { sandboxCredential } from '../../../lib/dev/arm-sandbox/index.js';
import type { KeyVaultStandIn } from '../../../lib/dev/key-vault/server.js';
import type { Clock } from '../../../lib/util/clock.js';

export interface World {
  env: Record<string, string>;
  app: App;
  /** the attacker's raw clients */
  evidenceTable: TableClient;
  exceptionsTable: TableClient;
  digests: ContainerClient;
  publicKeyPath: string;
}

/** Starts `hoursAgo` in the past, one second per reading: distinct, ordered record times. */
export function steppingClock(hoursAgo = 6): Clock {
  let next = Date.now() - hoursAgo * 3_600_000;
  return () => {
    next += 1000;
    return new Date(next);
  };
}

export function createWorld(
  keyVault: KeyVaultStandIn,
  options: { clock?: Clock; exceptionsCacheMs?: number } = {},
): World {
  const { connectionString } = inject('azurite');
  const suffix = randomBytes(6).toString('hex');
  const env = {
    DW_STORAGE: connectionString,
    DW_EVIDENCE_TABLE: `anev${suffix}`,
    DW_EXCEPTIONS_TABLE: `anex${suffix}`,
    DW_DIGEST_CONTAINER: `digests-${suffix}`,
    DW_SIGNING_KEY_ID: `${keyVault.url}/keys/driftwarden-digest`,
    DW_DIGEST_INTERVAL: '60',
  };
  const app = createApp(loadConfig(env), {
    clock: options.clock ?? steppingClock(),
    keyVault: { credential: sandboxCredential(), clientOptions: { agent: keyVault.agent } },
    log: () => {},
    ...(options.exceptionsCacheMs !== undefined ? { exceptionsCacheMs: options.exceptionsCacheMs } : {}),
  });
  const dir = mkdtempSync(join(tmpdir(), 'dw-anchor-'));
  const publicKeyPath = join(dir, 'digest-key.pem');
  writeFileSync(publicKeyPath, keyVault.publicKeyPem());
  const insecure = { allowInsecureConnection: true };
  return {
    env,
    app,
    evidenceTable: TableClient.fromConnectionString(connectionString, env.DW_EVIDENCE_TABLE, insecure),
    exceptionsTable: TableClient.fromConnectionString(connectionString, env.DW_EXCEPTIONS_TABLE, insecure),
    digests: BlobServiceClient.fromConnectionString(connectionString).getContainerClient(
      env.DW_DIGEST_CONTAINER,
    ),
    publicKeyPath,
  };
}

export interface VerifyOutput {
  code: number;
  json: {
    status: string;
    digests: number;
    chains: number;
    records: number;
    anchoredRecords: number;
    notYetAnchored: Array<{ chainId: string; fromSequence: number; toSequence: number }>;
    findings: Array<{
      kind: string;
      chainId?: string;
      sequence?: number;
      recordId?: string;
      digest?: string;
      exceptionId?: string;
      detail: string;
    }>;
  } | null;
  stdout: string;
  stderr: string;
}

/** `driftwarden verify` in-process, trusting the key the auditor holds (--public-key). */
export async function verifyCli(world: World, extra: string[] = [], format = 'json'): Promise<VerifyOutput> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = {
    stdout: { write: (chunk: string) => (stdout += chunk) },
    stderr: { write: (chunk: string) => (stderr += chunk) },
    stdin: (async function* () {})(),
    env: { USER: 'auditor', ...world.env },
  };
  const code = await main(['verify', '--public-key', world.publicKeyPath, '--format', format, ...extra], io);
  return {
    code,
    json: format === 'json' && stdout.trim().startsWith('{') ? JSON.parse(stdout) : null,
    stdout,
    stderr,
  };
}

export function kinds(output: VerifyOutput): string[] {
  return [...new Set((output.json?.findings ?? []).map((finding) => finding.kind))].sort();
}
