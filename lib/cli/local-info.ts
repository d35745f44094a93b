import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * `.driftwarden/local.json`: how to reach a running local mode (ARCHITECTURE.md "Contracts"). Written
 * when `npm start` is ready, removed when it stops; the CLI's `sandbox` command and the e2e test
 * read it.
 */
export interface LocalInfo {
  armEndpoint: string;
  caCertPath: string;
  subscriptionId: string;
  functionsBaseUrl: string;
  functionKey: string;
  logPageUrl: string;
  tableEndpoint: string;
  tableConnectionString: string;
  /**
   * The person the HTTP API acts as locally (DW_DEV_PRINCIPAL), with the object id local mode gives
   * that name — the same id `driftwarden sandbox drift --as <upn>` writes with. A script acts as
   * this person through the SDK with the sandbox credential for `{ upn, oid: objectId }`, and the
   * CLI's signed-in identity under `sandbox env` is this person.
   */
  devPrincipal: { objectId: string; upn: string };
}

const FIELDS: readonly Exclude<keyof LocalInfo, 'devPrincipal'>[] = [
  'armEndpoint',
  'caCertPath',
  'subscriptionId',
  'functionsBaseUrl',
  'functionKey',
  'logPageUrl',
  'tableEndpoint',
  'tableConnectionString',
];

/** Where local mode keeps its state: DW_LOCAL_DIR (tests use a temp dir) or `.driftwarden` in the working directory. */
export function localDir(env: Record<string, string | undefined> = process.env, cwd = process.cwd()): string {
  const configured = env.DW_LOCAL_DIR?.trim();
  return resolve(cwd, configured ? configured : '.driftwarden');
}

export function localInfoPath(dir: string): string {
  return join(dir, 'local.json');
}

/** Atomic (temp file + rename) so a reader never sees half a file; 0600 because it holds the function key. */
export function writeLocalInfo(dir: string, info: LocalInfo): string {
  mkdirSync(dir, { recursive: true });
  const path = localInfoPath(dir);
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify(info, null, 2)}\n`, { mode: 0o600 });
  renameSync(temp, path);
  return path;
}

export function removeLocalInfo(dir: string): void {
  rmSync(localInfoPath(dir), { force: true });
  rmSync(localIdentityPath(dir), { force: true });
  rmSync(localAnchorPath(dir), { force: true });
}

/**
 * `.driftwarden/identity.json` (0600, beside local.json, not part of its documented fields): the
 * local managed-identity endpoint, so `driftwarden sandbox env` can point the CLI's unchanged
 * DefaultAzureCredential at it (IDENTITY_ENDPOINT / IDENTITY_HEADER) for sweep and restore.
 */
export interface LocalIdentityInfo {
  endpoint: string;
  header: string;
}

export function localIdentityPath(dir: string): string {
  return join(dir, 'identity.json');
}

export function writeLocalIdentity(dir: string, identity: LocalIdentityInfo): void {
  mkdirSync(dir, { recursive: true });
  const path = localIdentityPath(dir);
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify(identity)}\n`, { mode: 0o600 });
  renameSync(temp, path);
}

/** null when absent or unreadable (an older local mode): callers then leave ARM credentials alone. */
export function readLocalIdentity(dir: string): LocalIdentityInfo | null {
  try {
    const parsed: unknown = JSON.parse(readFileSync(localIdentityPath(dir), 'utf8'));
    const record = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as Record<string, unknown>;
    return typeof record.endpoint === 'string' && typeof record.header === 'string'
      ? { endpoint: record.endpoint, header: record.header }
      : null;
  } catch {
    return null;
  }
}

/** null when local mode is not running (no file); throws when the file is not a LocalInfo. */
export function readLocalInfo(dir: string): LocalInfo | null {
  const path = localInfoPath(dir);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`${path} is not JSON`);
  }
  if (typeof parsed !== 'object' || parsed === null) throw new Error(`${path} is not a JSON object`);
  const record = parsed as Record<string, unknown>;
  const missing: string[] = FIELDS.filter(
    (field) => typeof record[field] !== 'string' || record[field] === '',
  );
  const dev = record.devPrincipal as { objectId?: unknown; upn?: unknown } | null | undefined;
  if (typeof dev?.objectId !== 'string' || typeof dev.upn !== 'string') missing.push('devPrincipal');
  if (missing.length > 0) throw new Error(`${path} lacks ${missing.join(', ')}`);
  return record as unknown as LocalInfo;
}

/**
 * `.driftwarden/anchor.json` (beside local.json, not part of its documented fields): the Key Vault
 * stand-in's digest key, so `driftwarden sandbox env` lets `driftwarden verify` check the digests.
 */
export interface LocalAnchorInfo {
  signingKeyId: string;
  digestIntervalSeconds: number;
}

export function localAnchorPath(dir: string): string {
  return join(dir, 'anchor.json');
}

export function writeLocalAnchor(dir: string, anchor: LocalAnchorInfo): void {
  mkdirSync(dir, { recursive: true });
  const path = localAnchorPath(dir);
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify(anchor)}\n`);
  renameSync(temp, path);
}

/** null when absent or unreadable (an older local mode): verify then checks the table only. */
export function readLocalAnchor(dir: string): LocalAnchorInfo | null {
  try {
    const parsed = JSON.parse(readFileSync(localAnchorPath(dir), 'utf8')) as Partial<LocalAnchorInfo>;
    return typeof parsed.signingKeyId === 'string' && typeof parsed.digestIntervalSeconds === 'number'
      ? { signingKeyId: parsed.signingKeyId, digestIntervalSeconds: parsed.digestIntervalSeconds }
      : null;
  } catch {
    return null;
  }
}
