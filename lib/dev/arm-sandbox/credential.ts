/**
 * Stand-in identity: a TokenCredential that issues an *unsigned* JWT carrying chosen claims, and
 * the sandbox's side that decodes (never verifies) a bearer token into the caller identity.
 */
import type { AccessToken, TokenCredential } from '@azure/core-auth';
import type { CallerClaims } from './types.js';

export const SANDBOX_TENANT_ID = '72f98800-0000-4d1f-a000-0000000d21f7';

/** Used when a request's bearer token is not a JWT. */
export const DEFAULT_CALLER: Required<Omit<CallerClaims, 'tid'>> = {
  upn: 'developer@contoso.example',
  oid: '00000000-0000-0000-0000-0000000de7e1',
  appid: '04b07795-8ddb-461a-bbee-02f9e1bf7b46', // the Azure CLI's public client id, as a typical human caller
  name: 'Local Developer',
};

function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** An unsigned (`alg: none`) JWT shaped like an Entra ID access token (for ARM unless `audience` says otherwise). */
export function unsignedJwt(
  claims: CallerClaims,
  tenantId = SANDBOX_TENANT_ID,
  lifetimeSeconds = 3600,
  audience = 'https://management.azure.com/',
): string {
  const now = Math.floor(Date.now() / 1000);
  const payload: Record<string, unknown> = {
    aud: audience,
    iss: `https://sts.windows.net/${claims.tid ?? tenantId}/`,
    iat: now,
    nbf: now,
    exp: now + lifetimeSeconds,
    tid: claims.tid ?? tenantId,
    ver: '1.0',
  };
  for (const key of ['upn', 'oid', 'appid', 'name'] as const) {
    if (claims[key] !== undefined) payload[key] = claims[key];
  }
  if (claims.upn !== undefined) payload.unique_name = claims.upn;
  return `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url(payload)}.`;
}

/** A TokenCredential for the sandbox; usable from any process (it needs nothing from the server). */
export function sandboxCredential(claims: CallerClaims = DEFAULT_CALLER, tenantId?: string): TokenCredential {
  return {
    async getToken(): Promise<AccessToken> {
      const token = unsignedJwt(claims, tenantId);
      return { token, expiresOnTimestamp: Date.now() + 3_600_000, tokenType: 'Bearer' };
    },
  };
}

/** The caller behind a request: decoded JWT claims, or the default caller for an opaque token. */
export function callerFromAuthorization(header: string): Record<string, unknown> {
  const token = header.replace(/^Bearer\s+/i, '').trim();
  const parts = token.split('.');
  if (parts.length === 3 && parts[1]) {
    try {
      const payload: unknown = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
      if (typeof payload === 'object' && payload !== null && !Array.isArray(payload)) {
        return payload as Record<string, unknown>;
      }
    } catch {
      // not a JWT after all: fall through to the default caller
    }
  }
  return { ...DEFAULT_CALLER, tid: SANDBOX_TENANT_ID };
}
