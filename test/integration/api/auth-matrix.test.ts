import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ROLES } from '../../../lib/api/auth.js';
import type { ApiDeps } from '../../../lib/api/deps.js';
import { SIGN_IN_URL } from '../../../lib/api/routes.js';
import { loadConfig } from '../../../lib/config.js';
import type { EvidenceRecord } from '../../../lib/evidence/types.js';
import { type ApiServer, call, principalHeader, startApiServer } from './harness.js';
import { nsgRemediation } from './seed.js';
import { createApiStores } from './stores.js';

/**
 * Issue 13, reproduction 7, and the principal rules of items 2 and 3 through the HTTP API (real
 * handlers and stores on Azurite): who App Service Authentication's unsigned header says the
 * caller is must not be decided by the header itself.
 */

const OID = 'http://schemas.microsoft.com/identity/claims/objectidentifier';
const encode = (body: unknown) => Buffer.from(JSON.stringify(body)).toString('base64');

let server: ApiServer;
let deps: ApiDeps;
let seeded: EvidenceRecord;
const ALICE_OID = 'a11ce000-0000-4000-8000-0000000000a1';

beforeAll(async () => {
  const stores = await createApiStores(inject('azurite').connectionString);
  deps = stores.deps;
  // a remediation of alice's change (alice@contoso.example, object id ALICE_OID)
  seeded = await stores.evidence.append({
    ...nsgRemediation(0),
    actor: 'alice@contoso.example',
    actorObjectId: ALICE_OID,
  });
  server = await startApiServer(deps);
});
afterAll(() => server.close());

describe('forged claim types: the header does not say how to read itself', () => {
  it.each([
    [
      'the issue\'s header: one claim {typ:"name", val:"Remediation.Approver"}, role_typ "name"',
      401, // no object id: nobody
      {
        auth_typ: 'aad',
        name_typ: 'name',
        role_typ: 'name',
        claims: [{ typ: 'name', val: 'Remediation.Approver' }],
      },
    ],
    [
      'the same with an object id: a person named "Remediation.Approver" holding no role',
      403,
      {
        auth_typ: 'aad',
        name_typ: 'name',
        role_typ: 'name',
        claims: [
          { typ: OID, val: '0bad0000-0000-4000-8000-000000000001' },
          { typ: 'name', val: 'Remediation.Approver' },
        ],
      },
    ],
    [
      'role_typ pointing at a claim the attacker controls (groups)',
      403,
      {
        auth_typ: 'aad',
        role_typ: 'groups',
        claims: [
          { typ: OID, val: '0bad0000-0000-4000-8000-000000000002' },
          { typ: 'name', val: 'mallory@contoso.example' },
          { typ: 'groups', val: ROLES.approver },
        ],
      },
    ],
    [
      'name_typ pointing at the object id to pass as someone else',
      401, // no name claim of a fixed type: nobody to record
      {
        auth_typ: 'aad',
        name_typ: OID,
        claims: [
          { typ: OID, val: '0bad0000-0000-4000-8000-000000000003' },
          { typ: 'roles', val: ROLES.approver },
        ],
      },
    ],
    [
      'an object id that is not a GUID',
      401,
      {
        auth_typ: 'aad',
        claims: [
          { typ: OID, val: 'alice' },
          { typ: 'name', val: 'alice@contoso.example' },
          { typ: 'roles', val: ROLES.approver },
        ],
      },
    ],
  ] as const)('%s → %i', async (_label, status, header) => {
    const response = await call(server, 'POST', 'exceptions', {
      principal: encode(header),
      body: {
        control: 'NSG-OPEN-INBOUND',
        scope: seeded.resourceId,
        justification: 'forged approval attempt',
        ticket: 'X-1',
        expiresOn: '1d',
      },
    });
    expect(response.status).toBe(status);
    expect(await deps.exceptions.list()).toEqual([]);
  });

  it('the real shape (role claims typed "roles", role_typ the WS-Fed URI) is read, with the object id', async () => {
    const response = await call(server, 'GET', 'remediations?limit=1', {
      principal: principalHeader('reader@contoso.example', [ROLES.reader]),
    });
    expect(response.status).toBe(200);
  });
});

describe('the identity-provider header', () => {
  it('a principal header without x-ms-client-principal-idp is refused (App Service always sends both)', async () => {
    const principal = principalHeader('approver@contoso.example', [ROLES.approver]);
    expect((await call(server, 'GET', 'remediations', { principal, idp: null })).status).toBe(401);
    expect((await call(server, 'GET', 'remediations', { principal, idp: '  ' })).status).toBe(401);
    expect((await call(server, 'GET', 'remediations', { principal })).status).toBe(200);
  });
});

describe('object id, not name', () => {
  const body = (ticket: string) => ({
    control: 'NSG-OPEN-INBOUND',
    scope: seeded.resourceId,
    ruleName: seeded.ruleName,
    justification: 'Partner range for the portal',
    ticket,
    expiresOn: '7d',
  });

  it("alice's object id under any name may not exempt her change; her name under another object id is someone else", async () => {
    const asAlice = principalHeader('Alice (admin account)', [ROLES.approver], ALICE_OID);
    const refused = await call(server, 'POST', 'exceptions', { principal: asAlice, body: body('CHG-A') });
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('SeparationOfDuties');
    const namesake = principalHeader(
      'alice@contoso.example',
      [ROLES.approver],
      'a11ce000-0000-4000-8000-0000000000ff',
    );
    const allowed = await call(server, 'POST', 'exceptions', { principal: namesake, body: body('CHG-B') });
    expect(allowed.status).toBe(201);
    expect(allowed.body).toMatchObject({
      approvedBy: 'alice@contoso.example',
      approvedByObjectId: 'a11ce000-0000-4000-8000-0000000000ff',
    });
  });

  it('restore: the recorded actor (by object id) may not approve putting the change back', async () => {
    const response = await call(
      server,
      'POST',
      `remediations/${encodeURIComponent(seeded.recordId)}/restore`,
      {
        principal: principalHeader('alice@contoso.example', [ROLES.approver], ALICE_OID),
        body: { justification: 'My rule, please restore it', ticket: 'CHG-C', expiresOn: '2d' },
      },
    );
    expect(response.status).toBe(403);
    expect(response.body.error.code).toBe('SeparationOfDuties');
  });
});

describe('two-step approval (NSG-MGMT-PORT by default)', () => {
  it('requester cannot approve; another approver can; a reader cannot', async () => {
    expect(loadConfig({ DW_STORAGE: 'UseDevelopmentStorage=true' }).twoStepControls).toEqual([
      'NSG-MGMT-PORT',
    ]);
    const requester = principalHeader('requester@contoso.example', [ROLES.approver]);
    const requested = await call(server, 'POST', 'exceptions', {
      principal: requester,
      body: {
        control: 'NSG-MGMT-PORT',
        scope: seeded.resourceId,
        ruleName: 'bastion',
        justification: 'Bastion host for the migration',
        ticket: 'CHG-D',
        expiresOn: '3d',
      },
    });
    expect(requested.status).toBe(201);
    expect(requested.body).toMatchObject({ status: 'requested', requestedBy: 'requester@contoso.example' });
    const id = requested.body.id as string;
    expect((await deps.exceptions.active(new Date())).some((e) => e.id === id)).toBe(false);
    const self = await call(server, 'POST', `exceptions/${id}/approve`, { principal: requester });
    expect(self.status).toBe(403);
    const reader = await call(server, 'POST', `exceptions/${id}/approve`, {
      principal: principalHeader('reader@contoso.example', [ROLES.reader]),
    });
    expect(reader.status).toBe(403);
    const other = await call(server, 'POST', `exceptions/${id}/approve`, {
      principal: principalHeader('second@contoso.example', [ROLES.approver]),
    });
    expect(other.status).toBe(200);
    expect(other.body.exception).toMatchObject({ status: 'active', approvedBy: 'second@contoso.example' });
    expect((await deps.exceptions.active(new Date())).some((e) => e.id === id)).toBe(true);
    const twice = await call(server, 'POST', `exceptions/${id}/approve`, {
      principal: principalHeader('third@contoso.example', [ROLES.approver]),
    });
    expect(twice.status).toBe(409);
  });
});

describe('HTTP hardening', () => {
  const approver = principalHeader('approver@contoso.example', [ROLES.approver]);

  it.each(['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x'])(
    'a %s body is 415 (a cross-site form or simple request cannot send application/json)',
    async (contentType) => {
      const response = await call(server, 'POST', 'exceptions', {
        principal: approver,
        contentType,
        rawBody: JSON.stringify({
          control: 'STG-PUBLIC-BLOB',
          scope: '/subscriptions/00000000-0000-4000-8000-000000000001',
          justification: 'cross-site attempt here',
          ticket: 'X',
          expiresOn: '1d',
        }),
      });
      expect(response.status).toBe(415);
      expect(response.body.error.code).toBe('UnsupportedMediaType');
      const restore = await call(
        server,
        'POST',
        `remediations/${encodeURIComponent(seeded.recordId)}/restore`,
        {
          principal: approver,
          contentType,
          rawBody: '{"justification":"cross-site attempt","ticket":"X","expiresOn":"1d"}',
        },
      );
      expect(restore.status).toBe(415);
    },
  );

  it('application/json with a charset is accepted', async () => {
    const response = await call(server, 'POST', 'exceptions', {
      principal: approver,
      contentType: 'application/json; charset=utf-8',
      body: {
        control: 'STG-PUBLIC-BLOB',
        scope: '/subscriptions/00000000-0000-4000-8000-000000000001/resourceGroups/rg-web',
        justification: 'Public web assets, reviewed',
        ticket: 'CHG-E',
        expiresOn: '1d',
      },
    });
    expect(response.status).toBe(201);
  });

  it('the page redirects an unauthenticated browser to sign-in; the API answers 401; no key in any URL', async () => {
    const page = await fetch(`${server.baseUrl}/api/ui`, {
      headers: { 'x-functions-key': server.functionKey },
      redirect: 'manual',
    });
    expect(page.status).toBe(302);
    expect(page.headers.get('location')).toBe(SIGN_IN_URL);
    expect(SIGN_IN_URL).not.toMatch(/code=/);
    const api = await call(server, 'GET', 'remediations');
    expect(api.status).toBe(401);
    const signedIn = await fetch(`${server.baseUrl}/api/ui`, {
      headers: {
        'x-functions-key': server.functionKey,
        'x-ms-client-principal': principalHeader('reader@contoso.example', [ROLES.reader]),
        'x-ms-client-principal-idp': 'aad',
      },
    });
    expect(signedIn.status).toBe(200);
    expect(await signedIn.text()).not.toMatch(/[?&]code=/);
  });
});
