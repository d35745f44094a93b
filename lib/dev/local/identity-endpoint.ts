import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SANDBOX_TENANT_ID, unsignedJwt } from '../arm-sandbox/index.js';

/**
 * Local stand-in for the App Service / Functions managed identity endpoint (IDENTITY_ENDPOINT +
 * IDENTITY_HEADER, api-version 2019-08-01). With these two variables set, the app's unchanged
 * `DefaultAzureCredential` takes its managed-identity path and receives a token naming
 * driftwarden's local identity, so the sandbox sees driftwarden's writes as its own (loop guard)
 * and nothing in lib/ branches on local mode.
 */
export interface IdentityEndpoint {
  /** value for IDENTITY_ENDPOINT */
  endpoint: string;
  /** value for IDENTITY_HEADER (a per-run secret, as App Service does) */
  header: string;
  stop(): Promise<void>;
}

export interface LocalIdentity {
  objectId: string;
  appId: string;
  name: string;
}

/** A person the endpoint also signs in, when asked with `client_id=<clientId>` (AZURE_CLIENT_ID). */
export interface LocalPerson {
  clientId: string;
  claims: { upn: string; oid: string; appid: string; name: string };
}

/**
 * `people`: local mode's dev principal. `driftwarden sandbox env` exports AZURE_CLIENT_ID set to
 * its client id, so the CLI's unchanged DefaultAzureCredential signs in as that person — as a
 * person's `az login` does in Azure — and restores and exceptions name them as the approver.
 */
export async function startIdentityEndpoint(
  identity: LocalIdentity,
  people: readonly LocalPerson[] = [],
): Promise<IdentityEndpoint> {
  const header = randomBytes(24).toString('base64url');
  const expected = Buffer.from(header);
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const presented = Buffer.from(String(req.headers['x-identity-header'] ?? ''));
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) {
      return reply(401, { error: 'invalid_identity_header' });
    }
    if (req.method !== 'GET' || url.pathname !== '/msi/token') return reply(404, { error: 'not_found' });
    const resource = url.searchParams.get('resource') ?? 'https://management.azure.com/';
    const lifetimeSeconds = 3600;
    const expiresOn = Math.floor(Date.now() / 1000) + lifetimeSeconds;
    const clientId = url.searchParams.get('client_id');
    const person = clientId ? people.find((candidate) => candidate.clientId === clientId) : undefined;
    const token = unsignedJwt(
      person?.claims ?? { oid: identity.objectId, appid: identity.appId, name: identity.name },
      SANDBOX_TENANT_ID,
      lifetimeSeconds,
      resource,
    );
    return reply(200, {
      access_token: token,
      expires_on: String(expiresOn),
      resource,
      token_type: 'Bearer',
      client_id: person?.clientId ?? identity.appId,
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}/msi/token`,
    header,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
