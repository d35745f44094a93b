import azureFunctions from '@azure/functions';
import { describe, expect, it } from 'vitest';
import {
  authorize,
  devObjectIdFor,
  parseClientPrincipal,
  parseDevPrincipal,
  ROLES,
  samePerson,
} from '../../../lib/api/auth.js';
import type { ApiDeps } from '../../../lib/api/deps.js';
import { ApiError, errorResponse } from '../../../lib/api/http.js';
import { API_ROUTES, toHttpHandler } from '../../../lib/api/routes.js';
import { ConfigError } from '../../../lib/config.js';

const { HttpRequest, InvocationContext } = azureFunctions;
const OID = '00000000-0000-0000-0000-000000000001';

/** The header App Service Authentication injects (Entra ID provider shape). */
function principalHeader(name: string | null, roles: string[], roleType = 'roles'): string {
  const claims = [
    ...(name ? [{ typ: 'name', val: name }] : []),
    {
      typ: 'http://schemas.microsoft.com/identity/claims/objectidentifier',
      val: '00000000-0000-0000-0000-000000000001',
    },
    ...roles.map((role) => ({ typ: roleType, val: role })),
  ];
  return Buffer.from(
    JSON.stringify({ auth_typ: 'aad', name_typ: 'name', role_typ: roleType, claims }),
  ).toString('base64');
}

const headers = (value?: string) =>
  new HttpRequest({
    method: 'GET',
    url: 'http://x/api/remediations',
    // App Service sends the provider header with every principal header
    headers: value ? { 'x-ms-client-principal': value, 'x-ms-client-principal-idp': 'aad' } : {},
  }).headers;

function attempt(
  header: string | undefined,
  role: (typeof ROLES)[keyof typeof ROLES],
  dev = null as ReturnType<typeof parseDevPrincipal> | null,
) {
  try {
    return { principal: authorize(headers(header), role, dev), error: null };
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    return { principal: null, error };
  }
}

describe('parseClientPrincipal', () => {
  it('reads the name and the roles under role_typ', () => {
    const principal = parseClientPrincipal(
      principalHeader(
        'oncall@contoso.org',
        [ROLES.approver],
        'http://schemas.microsoft.com/ws/2008/06/identity/claims/role',
      ),
    );
    expect(principal?.name).toBe('oncall@contoso.org');
    expect([...(principal?.roles ?? [])]).toEqual([ROLES.approver]);
  });

  it('reads roles under "roles" even when role_typ names another claim type', () => {
    const raw = {
      auth_typ: 'aad',
      name_typ: 'name',
      role_typ: 'custom-role',
      claims: [
        { typ: 'http://schemas.microsoft.com/identity/claims/objectidentifier', val: OID },
        { typ: 'name', val: 'a@b.c' },
        { typ: 'roles', val: ROLES.reader },
      ],
    };
    const principal = parseClientPrincipal(Buffer.from(JSON.stringify(raw)).toString('base64'));
    expect(principal?.roles.has(ROLES.reader)).toBe(true);
  });

  it.each([
    ['not base64', '%%%not-base64%%%'],
    ['base64 of non-JSON', Buffer.from('hello there').toString('base64')],
    ['JSON without claims', Buffer.from(JSON.stringify({ auth_typ: 'aad' })).toString('base64')],
    ['JSON array', Buffer.from('[1,2]').toString('base64')],
    ['claims without a name', principalHeader(null, [ROLES.approver])],
    ['empty', ''],
  ])('returns null for %s', (_label, header) => {
    expect(parseClientPrincipal(header)).toBeNull();
  });
});

describe('authorize: the auth matrix', () => {
  const reader = principalHeader('reader@contoso.org', [ROLES.reader]);
  const approver = principalHeader('approver@contoso.org', [ROLES.approver]);
  const nobody = principalHeader('nobody@contoso.org', ['Some.Other.Role']);

  it('401 without a principal (and without a dev principal)', () => {
    expect(attempt(undefined, ROLES.reader).error?.status).toBe(401);
    expect(attempt(undefined, ROLES.approver).error?.status).toBe(401);
  });

  it('401 for a malformed header, even when a dev principal is configured (a sent header is never ignored)', () => {
    const dev = parseDevPrincipal('dev@localhost');
    expect(attempt('!!!', ROLES.reader, dev).error?.status).toBe(401);
    expect(attempt(Buffer.from('{not json').toString('base64'), ROLES.reader).error?.status).toBe(401);
  });

  it('reader: may read, 403 on approver routes', () => {
    expect(attempt(reader, ROLES.reader).principal?.name).toBe('reader@contoso.org');
    expect(attempt(reader, ROLES.approver).error?.status).toBe(403);
  });

  it('approver: may approve and also read', () => {
    expect(attempt(approver, ROLES.approver).principal?.name).toBe('approver@contoso.org');
    expect(attempt(approver, ROLES.reader).principal?.name).toBe('approver@contoso.org');
  });

  it('a principal without either role gets 403 everywhere', () => {
    expect(attempt(nobody, ROLES.reader).error?.status).toBe(403);
    expect(attempt(nobody, ROLES.approver).error?.status).toBe(403);
  });

  it('the dev principal stands in when no header is sent', () => {
    expect(attempt(undefined, ROLES.approver, parseDevPrincipal('dev@localhost')).principal?.source).toBe(
      'dev',
    );
    expect(
      attempt(undefined, ROLES.approver, parseDevPrincipal('dev@localhost:Remediation.Reader')).error?.status,
    ).toBe(403);
  });

  it('error bodies carry code and message only, and leak nothing', () => {
    const forbidden = attempt(principalHeader('reader@contoso.org', [ROLES.reader]), ROLES.approver).error;
    const unauthorized = attempt('garbage!!', ROLES.reader).error;
    for (const error of [forbidden, unauthorized]) {
      expect(error).not.toBeNull();
      const response = errorResponse(error as ApiError);
      const body = response.jsonBody as { error: Record<string, unknown> };
      expect(Object.keys(body)).toEqual(['error']);
      expect(Object.keys(body.error).sort()).toEqual(['code', 'message']);
      const text = JSON.stringify(body);
      expect(text).not.toMatch(/stack|at \w+ \(|reader@contoso|00000000-0000|Some\.Other|garbage|Reader/);
    }
    expect(
      (errorResponse(forbidden as ApiError).jsonBody as { error: { message: string } }).error.message,
    ).toContain(ROLES.approver);
  });
});

describe('parseDevPrincipal (DW_DEV_PRINCIPAL)', () => {
  it('"name" alone holds both roles', () => {
    const principal = parseDevPrincipal('oncall@localhost');
    expect(principal.name).toBe('oncall@localhost');
    expect([...principal.roles].sort()).toEqual([ROLES.approver, ROLES.reader]);
  });

  it('"name:roles" holds exactly those roles', () => {
    expect([...parseDevPrincipal('r@localhost: Remediation.Reader ').roles]).toEqual([ROLES.reader]);
  });

  it('JSON form', () => {
    const principal = parseDevPrincipal('{"name":"j@localhost","roles":["Remediation.Approver"]}');
    expect(principal.name).toBe('j@localhost');
    expect(principal.roles.has(ROLES.approver)).toBe(true);
  });

  it.each([':Remediation.Reader', '{"roles":[]}', '{"name":"x","roles":"Remediation.Reader"}', '{oops'])(
    'rejects %s naming the setting',
    (value) => {
      expect(() => parseDevPrincipal(value)).toThrow(ConfigError);
      expect(() => parseDevPrincipal(value)).toThrow(/DW_DEV_PRINCIPAL/);
    },
  );
});

describe('toHttpHandler: auth happens before any dependency is used', () => {
  /** Dependencies that fail the test if anything but the dev principal is touched. */
  const untouchable = new Proxy({ devPrincipal: null } as unknown as ApiDeps, {
    get(target, key) {
      if (key === 'devPrincipal' || key === 'then') return Reflect.get(target, key);
      throw new Error(`dependency ${String(key)} used before authorisation`);
    },
  });
  const restore = toHttpHandler(API_ROUTES.apiRemediationRestore, async () => untouchable);
  const call = (header?: string) =>
    restore(
      new HttpRequest({
        method: 'POST',
        url: 'http://x/api/remediations/r1/restore',
        params: { id: 'r1' },
        headers: header ? { 'x-ms-client-principal': header, 'x-ms-client-principal-idp': 'aad' } : {},
        body: { string: '{"justification":"partner range","ticket":"CHG-1","expiresOn":"30d"}' },
      }),
      new InvocationContext({ functionName: 'apiRemediationRestore' }),
    );

  it('401 and 403 with JSON error bodies only', async () => {
    const none = await call();
    expect(none.status).toBe(401);
    expect(none.jsonBody).toEqual({
      error: { code: 'Unauthorized', message: 'Authentication is required.' },
    });
    const reader = await call(principalHeader('reader@contoso.org', [ROLES.reader]));
    expect(reader.status).toBe(403);
    expect(reader.jsonBody).toEqual({
      error: { code: 'Forbidden', message: 'This action requires the Remediation.Approver role.' },
    });
  });

  it('405 for a method the route does not serve', async () => {
    const response = await toHttpHandler(API_ROUTES.apiRemediations, async () => untouchable)(
      new HttpRequest({ method: 'DELETE', url: 'http://x/api/remediations' }),
      new InvocationContext({ functionName: 'apiRemediations' }),
    );
    expect(response.status).toBe(405);
  });
});

describe('claim types are fixed in code (issue 13, item 3)', () => {
  const encode = (body: unknown) => Buffer.from(JSON.stringify(body)).toString('base64');
  const oid = { typ: 'http://schemas.microsoft.com/identity/claims/objectidentifier', val: OID };

  it("ignores the header's role_typ: a role named by another claim type is no role", () => {
    const forged = parseClientPrincipal(
      encode({ role_typ: 'name', name_typ: 'name', claims: [oid, { typ: 'name', val: ROLES.approver }] }),
    );
    expect(forged?.name).toBe(ROLES.approver);
    expect([...(forged?.roles ?? [])]).toEqual([]);
  });

  it("ignores the header's name_typ, and requires an object id", () => {
    expect(
      parseClientPrincipal(encode({ name_typ: 'roles', claims: [oid, { typ: 'roles', val: 'x' }] })),
    ).toBeNull();
    expect(parseClientPrincipal(encode({ claims: [{ typ: 'name', val: 'a@b.c' }] }))).toBeNull();
    expect(
      parseClientPrincipal(
        encode({
          claims: [
            { ...oid, val: 'not-a-guid' },
            { typ: 'name', val: 'a@b.c' },
          ],
        }),
      ),
    ).toBeNull();
  });

  it('prefers the sign-in name over the display name and records the object id', () => {
    const principal = parseClientPrincipal(
      encode({
        claims: [
          oid,
          { typ: 'name', val: 'Alice Example' },
          { typ: 'preferred_username', val: 'alice@contoso.example' },
        ],
      }),
    );
    expect(principal).toMatchObject({
      objectId: OID,
      name: 'alice@contoso.example',
      source: 'app-service-auth',
    });
  });

  it('a principal header without the provider header is 401, even with a dev principal configured', () => {
    const request = new HttpRequest({
      method: 'GET',
      url: 'http://x/api/remediations',
      headers: { 'x-ms-client-principal': principalHeader('approver@contoso.org', [ROLES.approver]) },
    });
    expect(() => authorize(request.headers, ROLES.reader, parseDevPrincipal('dev@localhost'))).toThrow(
      ApiError,
    );
  });

  it('samePerson compares object ids, and names only where an id is missing', () => {
    expect(samePerson({ objectId: OID, name: 'a' }, { objectId: OID.toUpperCase(), name: 'b' })).toBe(true);
    expect(
      samePerson(
        { objectId: OID, name: 'a@x' },
        { objectId: '00000000-0000-0000-0000-000000000002', name: 'a@x' },
      ),
    ).toBe(false);
    expect(samePerson({ objectId: null, name: 'A@x' }, { objectId: OID, name: 'a@x' })).toBe(true);
    expect(samePerson({ objectId: null, name: null }, { objectId: OID, name: 'a@x' })).toBe(false);
  });

  it('the dev principal gets the object id local mode gives its name, or the one configured', () => {
    expect(parseDevPrincipal('oncall@contoso.example').objectId).toBe(
      devObjectIdFor('oncall@contoso.example'),
    );
    expect(parseDevPrincipal(`{"name":"x@y","roles":[],"objectId":"${OID}"}`).objectId).toBe(OID);
    expect(() => parseDevPrincipal('{"name":"x@y","roles":[],"objectId":"nope"}')).toThrow(/objectId/);
  });
});
