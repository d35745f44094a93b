import type { AccessToken, TokenCredential } from '@azure/core-auth';

/**
 * Unsigned (`alg: none`) JWTs shaped like Entra ID tokens for ARM. The ARM sandbox never verifies
 * a token; it reads the claims to know who made a change (the actor in evidence, the loop guard).
 * Kept here rather than imported from test/sandbox so lib/ code (the CLI) does not pull test code
 * into the build; the sandbox decodes any such token.
 */
export interface TokenClaims {
  upn?: string;
  oid?: string;
  appid?: string;
  name?: string;
  tid?: string;
  /** audience; default ARM */
  aud?: string;
}

/** The tenant the sandbox reports (test/sandbox/credential.ts SANDBOX_TENANT_ID). */
export const LOCAL_TENANT_ID = '72f98800-0000-4d1f-a000-0000000d21f7';

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

export function unsignedToken(
  claims: TokenClaims,
  lifetimeSeconds = 3600,
): { token: string; expiresOn: number } {
  const now = Math.floor(Date.now() / 1000);
  const { aud, tid, ...identity } = claims;
  const payload: Record<string, unknown> = {
    aud: aud ?? 'https://management.azure.com/',
    iss: `https://sts.windows.net/${tid ?? LOCAL_TENANT_ID}/`,
    iat: now,
    nbf: now,
    exp: now + lifetimeSeconds,
    tid: tid ?? LOCAL_TENANT_ID,
    ver: '1.0',
    ...identity,
    ...(claims.upn ? { unique_name: claims.upn } : {}),
  };
  return {
    token: `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url(payload)}.`,
    expiresOn: now + lifetimeSeconds,
  };
}

/** A TokenCredential issuing unsigned tokens with these claims (for the sandbox only). */
export function unsignedTokenCredential(claims: TokenClaims): TokenCredential {
  return {
    async getToken(): Promise<AccessToken> {
      const { token, expiresOn } = unsignedToken(claims);
      return { token, expiresOnTimestamp: expiresOn * 1000, tokenType: 'Bearer' };
    },
  };
}
