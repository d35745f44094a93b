import type { TokenCredential } from '@azure/core-auth';
import { DefaultAzureCredential } from '@azure/identity';
import type { Identity } from '../util/identity.js';
import { CliError, type CliIo } from './types.js';

/**
 * Who runs an on-call command (restore, exceptions add/approve/revoke): the identity behind the
 * token `DefaultAzureCredential` obtains for Azure Resource Manager — the same sign-in the
 * command's ARM and storage calls use (az login, a managed identity, local mode's dev principal).
 * Never free text: an approval names the person who is actually signed in.
 *
 * The token is only decoded, not verified: ARM and Table Storage verify it when the command uses
 * it, and a person who could forge it could forge anything else on their own machine. What it buys
 * is that the recorded approver is the account that made the change, not a name someone typed.
 */
export const ARM_SCOPE = 'https://management.azure.com/.default';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Claims of a JWT access token (payload only), or null when it is not one. */
export function tokenClaims(token: string): Record<string, unknown> | null {
  const payload = token.split('.')[1];
  if (!payload) return null;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

/** The person behind a token's claims: `oid` plus `upn` / `preferred_username` / `unique_name`. */
export function identityFromClaims(claims: Record<string, unknown>): Identity | null {
  const text = (key: string) => (typeof claims[key] === 'string' && (claims[key] as string).trim()) || null;
  const objectId = text('oid');
  if (!objectId || !GUID.test(objectId)) return null;
  const name = text('upn') ?? text('preferred_username') ?? text('unique_name') ?? text('name') ?? objectId;
  return { objectId: objectId.toLowerCase(), name };
}

/** The credential a command uses: the one the test harness passes, else DefaultAzureCredential. */
export function cliCredential(io: Pick<CliIo, 'credential'>): TokenCredential {
  return io.credential ?? new DefaultAzureCredential();
}

export async function signedInIdentity(credential: TokenCredential): Promise<Identity> {
  let token: string | undefined;
  try {
    token = (await credential.getToken(ARM_SCOPE))?.token;
  } catch (error) {
    const why = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new CliError(`cannot tell who you are: no Azure sign-in (${why}). Sign in with "az login" first`);
  }
  const claims = token ? tokenClaims(token) : null;
  const identity = claims ? identityFromClaims(claims) : null;
  if (!identity)
    throw new CliError(
      'cannot tell who you are: the Azure token carries no object id (oid) to record as the approver',
    );
  return identity;
}
