import { createHash } from 'node:crypto';
import { ConfigError, SETTINGS } from '../config.js';
import type { Identity } from '../util/identity.js';
import { ApiError } from './http.js';

export { type Identity, samePerson } from '../util/identity.js';

/**
 * Who is calling. In Azure, App Service Authentication (Entra ID) sits in front of the app: it
 * answers unauthenticated /api/* calls with 401 itself and, for signed-in callers, injects these
 * request headers after stripping any client-supplied copy (learn.microsoft.com, "Work with user
 * identities in Azure App Service authentication"):
 *
 * - `X-MS-CLIENT-PRINCIPAL`      base64 JSON `{ auth_typ, name_typ, role_typ, claims: [{ typ, val }] }`
 * - `X-MS-CLIENT-PRINCIPAL-ID`   the caller's id as the identity provider set it
 * - `X-MS-CLIENT-PRINCIPAL-NAME` a human-readable name (email, UPN)
 * - `X-MS-CLIENT-PRINCIPAL-IDP`  the identity provider's name (`aad`)
 *
 * The header is not signed, so nothing in it decides how it is read: claim types are fixed here
 * (its own `name_typ`/`role_typ` are ignored), the object id is required (it is what separation of
 * duties compares), and a principal header without the provider header is refused — App Service
 * always sends both, a forged or half-forwarded request may not. In local mode the local host
 * checks the key (or its session cookie) and the configured dev principal stands in.
 */
export const ROLES = { reader: 'Remediation.Reader', approver: 'Remediation.Approver' } as const;
export type Role = (typeof ROLES)[keyof typeof ROLES];

export interface Principal {
  /** Entra object id: the identity compared for separation of duties and recorded with the name */
  objectId: string;
  name: string;
  roles: ReadonlySet<string>;
  source: 'app-service-auth' | 'dev' | 'anonymous';
}

/** What a public route's handler gets (it must not act on anyone's behalf). */
export const ANONYMOUS: Principal = {
  objectId: '',
  name: 'anonymous',
  roles: new Set(),
  source: 'anonymous',
};

export const PRINCIPAL_HEADER = 'x-ms-client-principal';
export const PRINCIPAL_IDP_HEADER = 'x-ms-client-principal-idp';

/** Claim types as App Service Authentication (Entra ID) names them; fixed, never taken from the header. */
export const CLAIM_TYPES = {
  objectId: 'http://schemas.microsoft.com/identity/claims/objectidentifier',
  /** the sign-in name first (what event claims carry as upn), the display name last */
  name: ['preferred_username', 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn', 'name'],
  roles: ['roles', 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role'],
} as const;
const MAX_HEADER_CHARS = 16 * 1024;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Decodes the App Service Authentication header with the claim types above. Returns null for
 * anything malformed, and for a principal without an object id or a name (the caller answers
 * 401, never says why).
 */
export function parseClientPrincipal(header: string | null | undefined): Principal | null {
  if (!header || header.length > MAX_HEADER_CHARS) return null;
  const trimmed = header.trim();
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(trimmed)) return null;
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(trimmed, 'base64').toString('utf8'));
  } catch {
    return null;
  }
  if (typeof decoded !== 'object' || decoded === null) return null;
  const body = decoded as { claims?: unknown };
  if (!Array.isArray(body.claims)) return null;
  const claims: { typ: string; val: string }[] = [];
  for (const claim of body.claims) {
    const { typ, val } = (claim ?? {}) as { typ?: unknown; val?: unknown };
    if (typeof typ === 'string' && typeof val === 'string' && val.trim())
      claims.push({ typ, val: val.trim() });
  }
  const objectId = claims.find((claim) => claim.typ === CLAIM_TYPES.objectId)?.val;
  if (!objectId || !GUID.test(objectId)) return null;
  let name: string | undefined;
  for (const type of CLAIM_TYPES.name) {
    name = claims.find((claim) => claim.typ === type)?.val;
    if (name) break;
  }
  if (!name) return null; // an approval must name a person: no anonymous principals
  const roleTypes: readonly string[] = CLAIM_TYPES.roles;
  const roles = new Set(claims.filter((claim) => roleTypes.includes(claim.typ)).map((claim) => claim.val));
  return { objectId: objectId.toLowerCase(), name, roles, source: 'app-service-auth' };
}

/**
 * The object id local mode gives a user name: the same for the dev principal and for
 * `driftwarden sandbox drift --as <upn>`, so "the approver made the change" is testable locally.
 */
export function devObjectIdFor(upn: string): string {
  const hex = createHash('sha256').update(upn.trim().toLowerCase()).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/**
 * DW_DEV_PRINCIPAL (local mode only; never set it in Azure), one of:
 * - `name` — holds both roles (what `npm start` uses);
 * - `name:Role.A,Role.B` — exactly these roles;
 * - JSON `{ "name": "...", "roles": ["..."], "objectId"?: "<guid>" }`.
 * Without an explicit object id, the id is devObjectIdFor(name).
 */
export function parseDevPrincipal(value: string): Principal {
  const fail = (why: string) => new ConfigError(SETTINGS.devPrincipal, why);
  const text = value.trim();
  if (text.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw fail('is not valid JSON');
    }
    const { name, roles, objectId } = (parsed ?? {}) as {
      name?: unknown;
      roles?: unknown;
      objectId?: unknown;
    };
    if (typeof name !== 'string' || !name.trim()) throw fail('JSON form needs a non-empty "name"');
    if (!Array.isArray(roles) || !roles.every((role) => typeof role === 'string')) {
      throw fail('JSON form needs "roles": an array of strings');
    }
    if (objectId !== undefined && (typeof objectId !== 'string' || !GUID.test(objectId)))
      throw fail('"objectId" must be a GUID');
    return {
      objectId: typeof objectId === 'string' ? objectId.toLowerCase() : devObjectIdFor(name),
      name: name.trim(),
      roles: new Set(roles.map((role: string) => role.trim())),
      source: 'dev',
    };
  }
  const colon = text.indexOf(':');
  const name = (colon < 0 ? text : text.slice(0, colon)).trim();
  if (!name) throw fail('needs a name, e.g. "oncall@example.org" or "oncall@example.org:Remediation.Reader"');
  const roles =
    colon < 0
      ? [ROLES.reader, ROLES.approver]
      : text
          .slice(colon + 1)
          .split(',')
          .map((role) => role.trim())
          .filter(Boolean);
  return { objectId: devObjectIdFor(name), name, roles: new Set(roles), source: 'dev' };
}

/** An approver may also read. */
export function hasRole(principal: Principal, role: Role): boolean {
  if (principal.roles.has(role)) return true;
  return role === ROLES.reader && principal.roles.has(ROLES.approver);
}

export const UNAUTHORIZED = new ApiError(401, 'Unauthorized', 'Authentication is required.');

/**
 * The principal for a request, or an ApiError (401 no/malformed principal or no provider header,
 * 403 missing role). A platform-injected header wins over the dev principal, so local tests can
 * exercise roles.
 */
export function authorize(
  headers: { get(name: string): string | null },
  required: Role,
  devPrincipal: Principal | null,
): Principal {
  const header = headers.get(PRINCIPAL_HEADER);
  const principal =
    header === null
      ? devPrincipal
      : headers.get(PRINCIPAL_IDP_HEADER)?.trim()
        ? parseClientPrincipal(header)
        : null;
  if (!principal) throw UNAUTHORIZED;
  if (!hasRole(principal, required)) {
    throw new ApiError(403, 'Forbidden', `This action requires the ${required} role.`);
  }
  return principal;
}

/** What evidence and exceptions record about the caller. */
export function identityOf(principal: Pick<Principal, 'objectId' | 'name'>): Identity {
  return { objectId: principal.objectId, name: principal.name };
}
