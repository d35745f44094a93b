/**
 * A local HTTPS stand-in for the Azure Key Vault keys data plane (dev/test only): the subset the
 * digest signer uses (`GET keys/{name}[/{version}]`, `POST keys/{name}/{version}/sign`), for the
 * real `@azure/keyvault-keys` KeyClient and CryptographyClient. It holds real RSA key pairs
 * (node:crypto) and signs RS256 with them, so a signature it makes verifies with openssl against
 * the exported public key exactly like one from a Key Vault HSM.
 *
 * Like Key Vault, a request without a bearer token gets 401 with the challenge
 * `WWW-Authenticate: Bearer authorization="https://login.microsoftonline.com/<tenant>",
 * resource="https://vault.azure.net"`: the SDK's challenge policy first sends the request without
 * body or token, then retries with a token for that resource. The host is 127.0.0.1, not
 * *.vault.azure.net, so clients set `disableChallengeResourceVerification`. Tokens are decoded,
 * never verified (the sandbox's stand-in credential issues unsigned JWTs). `signOnly` keys answer
 * 403 to GET (the least-privilege deployment without keys/read), so the SDK falls back to remote.
 */
import { constants, generateKeyPairSync, type KeyObject, privateEncrypt, randomBytes } from 'node:crypto';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { SANDBOX_TENANT_ID } from '../arm-sandbox/credential.js';
import { loadOrCreateCertificate } from '../arm-sandbox/tls.js';

/** DER prefix of DigestInfo for SHA-256: RSASSA-PKCS1-v1_5 signs prefix || digest (RFC 8017 §9.2). */
const SHA256_DIGEST_INFO = Buffer.from('3031300d060960864801650304020105000420', 'hex');

interface StoredKey {
  name: string;
  version: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  created: number;
}

export interface KeyVaultStandInOptions {
  /** keys to create at start (RSA 2048); default ['driftwarden-digest'] */
  keys?: string[];
  tenantId?: string;
  /** reuse the ARM sandbox's certificate directory, so one CA trust covers both */
  certDir?: string;
  port?: number;
}

export interface KeyVaultStandIn {
  /** vault URL, e.g. https://127.0.0.1:PORT */
  url: string;
  caCertPem: string;
  caCertPath: string;
  /** trusts the self-signed certificate for one SDK client (core-rest-pipeline `agent`) */
  agent: https.Agent;
  /** the current version's key id (`{vault}/keys/{name}/{version}`) */
  keyId(name?: string): string;
  publicKeyPem(name?: string): string;
  /** counts by operation, for benches */
  stats(): { getKey: number; sign: number; challenges: number };
  /** a new version of a key (rotation) */
  rotate(name?: string): string;
  stop(): Promise<void>;
}

const DEFAULT_KEY = 'driftwarden-digest';

function newKey(name: string): StoredKey {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { name, version: randomBytes(16).toString('hex'), privateKey, publicKey, created: Date.now() };
}

export async function startKeyVaultStandIn(options: KeyVaultStandInOptions = {}): Promise<KeyVaultStandIn> {
  const tenantId = options.tenantId ?? SANDBOX_TENANT_ID;
  const certificate = await loadOrCreateCertificate(options.certDir);
  const keys = new Map<string, StoredKey[]>(); // name -> versions, newest last
  for (const name of options.keys ?? [DEFAULT_KEY]) keys.set(name, [newKey(name)]);
  const counts = { getKey: 0, sign: 0, challenges: 0 };
  let baseUrl = '';

  const current = (name: string): StoredKey => {
    const versions = keys.get(name);
    const key = versions?.at(-1);
    if (!key) throw new Error(`no key ${name}`);
    return key;
  };
  const find = (name: string, version: string | undefined): StoredKey | undefined => {
    const versions = keys.get(name);
    if (!versions) return undefined;
    return version ? versions.find((key) => key.version === version) : versions.at(-1);
  };
  const kid = (key: StoredKey) => `${baseUrl}/keys/${key.name}/${key.version}`;

  const server = https.createServer({ key: certificate.key, cert: certificate.cert }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const reply = (status: number, body: unknown, headers: Record<string, string> = {}) => {
        res.writeHead(status, { 'content-type': 'application/json', ...headers });
        res.end(body === undefined ? '' : JSON.stringify(body));
      };
      const error = (status: number, code: string, message: string) =>
        reply(status, { error: { code, message } });
      const url = new URL(req.url ?? '/', baseUrl);
      if (!/^Bearer \S+/.test(req.headers.authorization ?? '')) {
        counts.challenges++;
        reply(
          401,
          { error: { code: 'Unauthorized', message: 'AKV10000: Request is missing a Bearer or PoP token.' } },
          {
            'www-authenticate': `Bearer authorization="https://login.microsoftonline.com/${tenantId}", resource="https://vault.azure.net"`,
          },
        );
        return;
      }
      if (!url.searchParams.get('api-version')) {
        error(400, 'BadParameter', 'api-version is required');
        return;
      }
      const match = /^\/keys\/([A-Za-z0-9-]{1,127})(?:\/([0-9a-f]{32})?)?(\/sign)?\/?$/.exec(url.pathname);
      if (!match?.[1]) {
        error(404, 'NotFound', `no route ${req.method} ${url.pathname}`);
        return;
      }
      const key = find(match[1], match[2]);
      if (!key) {
        error(404, 'KeyNotFound', `A key with (name/id) ${match[1]} was not found in this key vault.`);
        return;
      }
      if (req.method === 'GET' && !match[3]) {
        counts.getKey++;
        const jwk = key.publicKey.export({ format: 'jwk' });
        const created = Math.floor(key.created / 1000);
        reply(200, {
          key: { kid: kid(key), kty: 'RSA-HSM', key_ops: ['sign', 'verify'], n: jwk.n, e: jwk.e },
          attributes: {
            enabled: true,
            created,
            updated: created,
            recoveryLevel: 'Recoverable',
            recoverableDays: 90,
            exportable: false,
          },
        });
        return;
      }
      if (req.method === 'POST' && match[3] && match[2]) {
        counts.sign++;
        let body: { alg?: unknown; value?: unknown };
        try {
          body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
        } catch {
          error(400, 'BadParameter', 'body is not JSON');
          return;
        }
        if (body.alg !== 'RS256') {
          error(
            400,
            'BadParameter',
            `algorithm ${String(body.alg)} is not supported by this stand-in (RS256 only)`,
          );
          return;
        }
        const digest =
          typeof body.value === 'string' ? Buffer.from(body.value, 'base64url') : Buffer.alloc(0);
        if (digest.length !== 32) {
          error(400, 'BadParameter', 'value must be a base64url SHA-256 digest (32 bytes)');
          return;
        }
        const signature = privateEncrypt(
          { key: key.privateKey, padding: constants.RSA_PKCS1_PADDING },
          Buffer.concat([SHA256_DIGEST_INFO, digest]),
        );
        reply(200, { kid: kid(key), value: signature.toString('base64url') });
        return;
      }
      error(405, 'MethodNotAllowed', `${req.method} ${url.pathname}`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  baseUrl = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const agent = new https.Agent({ ca: certificate.cert, keepAlive: true });
  return {
    url: baseUrl,
    caCertPem: certificate.cert,
    caCertPath: certificate.certPath,
    agent,
    keyId: (name = DEFAULT_KEY) => kid(current(name)),
    publicKeyPem: (name = DEFAULT_KEY) =>
      current(name).publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    stats: () => ({ ...counts }),
    rotate(name = DEFAULT_KEY) {
      const key = newKey(name);
      keys.set(name, [...(keys.get(name) ?? []), key]);
      return kid(key);
    },
    async stop() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      agent.destroy();
    },
  };
}
