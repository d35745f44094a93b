import { ConfigError, SETTINGS } from '../config.js';
import { ApiError } from './http.js';

/**
 * Who is calling. In Azure, the function key is checked by the platform (authLevel 'function') and
 * App Service Authentication injects `x-ms-client-principal` (it strips any client-supplied copy).
 * In local mode the local host checks the key and the configured dev principal stands in.
 */
export const ROLES = { reader: 'Remediation.Reader', approver: 'Remediation.Approver' } as const;
export type Role = (typeof ROLES)[keyof typeof ROLES];

export interface Principal {
  name: string;
  roles: ReadonlySet<string>;
  source: 'app-service-auth' | 'dev' | 'anonymous';
}

/** What a public route's handler gets (it must not act on anyone's behalf). */
export const ANONYMOUS: Principal = { name: 'anonymous', roles: new Set(), source: 'anonymous' };

export const PRINCIPAL_HEADER = 'x-ms-client-principal';

const DEFAULT_NAME_TYPES = [
  'name',
  'preferred_username',
  'upn',
  'email',
  'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name',
  'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn',
  'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress',
];
const DEFAULT_ROLE_TYPES = ['roles', 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role'];
const MAX_HEADER_CHARS = 16 * 1024;

/**
 * Decodes the App Service Authentication header: base64 JSON
 * `{ auth_typ, name_typ, role_typ, claims: [{ typ, val }] }`. Roles are the claims typed `role_typ`
 * or `roles`. Returns null for anything malformed (the caller answers 401, never says why).
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
  const body = decoded as { name_typ?: unknown; role_typ?: unknown; claims?: unknown };
  if (!Array.isArray(body.claims)) return null;
  const claims: { typ: string; val: string }[] = [];
  for (const claim of body.claims) {
    const { typ, val } = (claim ?? {}) as { typ?: unknown; val?: unknown };
    if (typeof typ === 'string' && typeof val === 'string') claims.push({ typ, val });
  }
  const nameTypes =
    typeof body.name_typ === 'string' ? [body.name_typ, ...DEFAULT_NAME_TYPES] : DEFAULT_NAME_TYPES;
  const roleTypes =
    typeof body.role_typ === 'string' ? [body.role_typ, ...DEFAULT_ROLE_TYPES] : DEFAULT_ROLE_TYPES;
  let name: string | undefined;
  for (const type of nameTypes) {
    name = claims.find((claim) => claim.typ === type && claim.val.trim())?.val.trim();
    if (name) break;
  }
  if (!name) return null; // an approval must name a person: no anonymous principals
  const roles = new Set(
    claims.filter((claim) => roleTypes.includes(claim.typ)).map((claim) => claim.val.trim()),
  );
  return { name, roles, source: 'app-service-auth' };
}

/**
 * DW_DEV_PRINCIPAL (local mode only; never set it in Azure), one of:
 * - `name` — holds both roles (what `npm start` uses);
 * - `name:Role.A,Role.B` — exactly these roles;
 * - JSON `{ "name": "...", "roles": ["..."] }`.
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
    const { name, roles } = (parsed ?? {}) as { name?: unknown; roles?: unknown };
    if (typeof name !== 'string' || !name.trim()) throw fail('JSON form needs a non-empty "name"');
    if (!Array.isArray(roles) || !roles.every((role) => typeof role === 'string')) {
      throw fail('JSON form needs "roles": an array of strings');
    }
    return { name: name.trim(), roles: new Set(roles.map((role: string) => role.trim())), source: 'dev' };
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
  return { name, roles: new Set(roles), source: 'dev' };
}

/** An approver may also read. */
export function hasRole(principal: Principal, role: Role): boolean {
  if (principal.roles.has(role)) return true;
  return role === ROLES.reader && principal.roles.has(ROLES.approver);
}

export const UNAUTHORIZED = new ApiError(401, 'Unauthorized', 'Authentication is required.');

/**
 * The principal for a request, or an ApiError (401 no/malformed principal, 403 missing role).
 * A platform-injected header wins over the dev principal, so local tests can exercise roles.
 */
export function authorize(
  headers: { get(name: string): string | null },
  required: Role,
  devPrincipal: Principal | null,
): Principal {
  const header = headers.get(PRINCIPAL_HEADER);
  const principal = header !== null ? parseClientPrincipal(header) : devPrincipal;
  if (!principal) throw UNAUTHORIZED;
  if (!hasRole(principal, required)) {
    throw new ApiError(403, 'Forbidden', `This action requires the ${required} role.`);
  }
  return principal;
}
