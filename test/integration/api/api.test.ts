import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { devObjectIdFor, ROLES } from '../../../lib/api/auth.js';
import type { ApiDeps } from '../../../lib/api/deps.js';
import { MAX_BODY_BYTES } from '../../../lib/api/http.js';
import { RestoreConflictError, RestoreUnavailableError } from '../../../lib/api/restorer.js';
import { CONTROL_IDS } from '../../../lib/controls/catalog.js';
import type { EvidenceRecord } from '../../../lib/evidence/types.js';
import { type ApiServer, call, principalHeader, startApiServer } from './harness.js';
import { mixedRecords, nsgRemediation, SUB_A, SUB_B, storageRecord } from './seed.js';
import { type ApiStores, createApiStores } from './stores.js';
import { RecordingTestRestorer } from './test-restorer.js';

const reader = principalHeader('reader@contoso.org', [ROLES.reader]);
const approver = principalHeader('approver@contoso.org', [ROLES.approver]);
const DAY = 86_400_000;
const inDays = (days: number) => new Date(Date.now() + days * DAY).toISOString();

let stores: ApiStores;
let restorer: RecordingTestRestorer;
let deps: ApiDeps;
let server: ApiServer;
let seeded: EvidenceRecord[];

beforeAll(async () => {
  stores = await createApiStores(inject('azurite').connectionString);
  restorer = new RecordingTestRestorer(stores.evidence, stores.exceptions);
  deps = { ...stores.deps, restorer };
  seeded = await stores.evidence.appendMany([
    ...mixedRecords(30),
    nsgRemediation(900, { sub: SUB_B, rg: 'rg-Telehealth', actor: 'mallory@contoso.org' }),
    storageRecord(901, 'STG-HTTPS-ONLY', 'remediation-failed', { actor: 'eve@contoso.org' }),
  ]);
  server = await startApiServer(deps);
});

afterAll(async () => {
  await server?.close();
});

async function allPages(
  query: string,
  limit: number,
): Promise<{ items: { id: string; time: string }[]; pages: number }> {
  const items: { id: string; time: string }[] = [];
  let token: string | null = null;
  let pages = 0;
  do {
    const tokenPart: string = token ? `&continuationToken=${encodeURIComponent(token)}` : '';
    const response = await call(server, 'GET', `remediations?limit=${limit}${query}${tokenPart}`, {
      principal: reader,
    });
    expect(response.status).toBe(200);
    expect(response.body.items.length).toBeLessThanOrEqual(limit);
    items.push(...response.body.items);
    token = response.body.continuationToken;
    pages++;
  } while (token && pages < 100);
  return { items, pages };
}

describe('GET /api/remediations', () => {
  it('lists newest first with the documented item fields', async () => {
    const { status, body } = await call(server, 'GET', 'remediations?limit=500', { principal: reader });
    expect(status).toBe(200);
    expect(body.items).toHaveLength(seeded.length);
    const times: string[] = body.items.map((item: { time: string }) => item.time);
    expect([...times].sort().reverse()).toEqual(times);
    const item = body.items.find((candidate: { id: string }) => candidate.id === seeded.at(-2)?.recordId);
    expect(item).toMatchObject({
      resourceId: expect.stringContaining('/securityRules/allow-partner-900'),
      controlId: 'NSG-OPEN-INBOUND',
      criteria: ['CC6.6'],
      outcome: 'remediated',
      actor: 'mallory@contoso.org',
      action: 'set rule allow-partner-900 access=Deny',
      before: expect.objectContaining({ access: 'Allow' }),
      after: expect.objectContaining({ access: 'Deny' }),
      exceptionId: null,
      restorable: true,
    });
    expect(body.continuationToken).toBeNull();
  });

  it.each([
    ['subscription', `subscription=${SUB_B}`, (r: EvidenceRecord) => r.subscriptionId === SUB_B],
    ['control', 'control=stg-public-blob', (r: EvidenceRecord) => r.controlId === 'STG-PUBLIC-BLOB'],
    ['outcome', 'outcome=remediation-failed', (r: EvidenceRecord) => r.outcome === 'remediation-failed'],
    ['actor', 'actor=user3%40contoso.org', (r: EvidenceRecord) => r.actor === 'user3@contoso.org'],
    [
      'resource prefix (case-insensitive)',
      `resource=${encodeURIComponent(`/subscriptions/${SUB_B}/resourcegroups/RG-TELEHEALTH`)}`,
      (r: EvidenceRecord) =>
        r.resourceId.toLowerCase().startsWith(`/subscriptions/${SUB_B}/resourcegroups/rg-telehealth`),
    ],
  ])('filters by %s', async (_name, query, predicate) => {
    const expected = seeded
      .filter(predicate)
      .map((record) => record.recordId)
      .sort();
    expect(expected.length).toBeGreaterThan(0);
    expect(expected.length).toBeLessThan(seeded.length);
    const { items } = await allPages(`&${query}`, 500);
    expect(items.map((item) => item.id).sort()).toEqual(expected);
  });

  it('filters by since and until (inclusive)', async () => {
    const times = seeded.map((record) => record.time).sort();
    const middle = times[Math.floor(times.length / 2)] as string;
    const since = await allPages(`&since=${encodeURIComponent(middle)}`, 500);
    const until = await allPages(`&until=${encodeURIComponent(middle)}`, 500);
    expect(since.items.length).toBe(times.filter((time) => time >= middle).length);
    expect(until.items.length).toBe(times.filter((time) => time <= middle).length);
    expect(since.items.every((item) => item.time >= middle)).toBe(true);
    expect(until.items.every((item) => item.time <= middle)).toBe(true);
    const future = await call(server, 'GET', `remediations?since=${inDays(1)}`, { principal: reader });
    expect(future.body.items).toEqual([]);
  });

  it('pages with continuation tokens: every record once, order kept across pages', async () => {
    const { items, pages } = await allPages('', 7);
    expect(pages).toBe(Math.ceil(seeded.length / 7));
    expect(new Set(items.map((item) => item.id)).size).toBe(seeded.length);
    const times = items.map((item) => item.time);
    expect([...times].sort().reverse()).toEqual(times);
  });

  it('pages within a filter', async () => {
    const expected = seeded.filter((record) => record.subscriptionId === SUB_A).length;
    const { items, pages } = await allPages(`&subscription=${SUB_A}`, 5);
    expect(items).toHaveLength(expected);
    expect(pages).toBeGreaterThan(1);
  });

  it.each([
    ['since=yesterday', /since/],
    ['until=2026-02-30', /until/],
    ['since=2026-05-02&until=2026-05-01', /since must not be after until/],
    ['subscription=not-a-guid', /subscription/],
    ['control=NOPE-1', /not a known control/],
    ['outcome=fixed', /outcome must be one of/],
    ['limit=0', /limit/],
    ['limit=501', /limit/],
    ['limit=ten', /limit/],
    ['resource=subscriptions', /resource/],
  ])('400 for %s', async (query, message) => {
    const { status, body } = await call(server, 'GET', `remediations?${query}`, { principal: reader });
    expect(status).toBe(400);
    expect(body.error.code).toBe('BadRequest');
    expect(body.error.message).toMatch(message);
  });

  it('400 for a forged continuation token', async () => {
    const { status, body } = await call(server, 'GET', 'remediations?continuationToken=bm90LWEtdG9rZW4', {
      principal: reader,
    });
    expect(status).toBe(400);
    expect(body).toEqual({ error: { code: 'BadRequest', message: 'continuationToken is not valid.' } });
  });

  it('needs the function key and a principal', async () => {
    expect((await call(server, 'GET', 'remediations', { principal: reader, key: null })).status).toBe(401);
    const anonymous = await call(server, 'GET', 'remediations');
    expect(anonymous.status).toBe(401);
    expect(anonymous.body).toEqual({
      error: { code: 'Unauthorized', message: 'Authentication is required.' },
    });
  });
});

describe('GET /api/remediations/{id}', () => {
  it('returns one record', async () => {
    const record = seeded[3] as EvidenceRecord;
    const { status, body } = await call(
      server,
      'GET',
      `remediations/${encodeURIComponent(record.recordId)}`,
      {
        principal: reader,
      },
    );
    expect(status).toBe(200);
    expect(body).toMatchObject({ id: record.recordId, hash: record.hash, resourceId: record.resourceId });
  });

  it('404 for an unknown or malformed id, without echoing it', async () => {
    for (const id of ['AAAA.1', 'nope', 'x'.repeat(2000), '%3Cscript%3E']) {
      const { status, body } = await call(server, 'GET', `remediations/${id}`, { principal: reader });
      expect(status).toBe(404);
      expect(body).toEqual({ error: { code: 'NotFound', message: 'Remediation record not found.' } });
    }
  });
});

describe('GET /api/controls', () => {
  it('lists the catalog with modes in force (defaults, overrides, audit-only)', async () => {
    const { status, body } = await call(server, 'GET', 'controls', { principal: reader });
    expect(status).toBe(200);
    const modes = Object.fromEntries(
      body.items.map((item: { id: string; mode: string }) => [item.id, item.mode]),
    );
    expect(Object.keys(modes)).toEqual([...CONTROL_IDS]); // every catalog control, in catalog order
    expect(modes['STG-PUBLIC-BLOB']).toBe('remediate');
    expect(modes['LAW-RETENTION']).toBe('remediate');
    expect(modes['KV-PURGE-PROTECTION']).toBe('audit');
    expect(modes['IDN-MFA-EXCLUSION']).toBe('audit');
    expect(body.items.find((item: { id: string }) => item.id === 'IDN-ADMIN-MFA')).toMatchObject({
      scope: 'tenant',
      resourceKinds: [],
    });
    expect(modes['STG-CMK-PHI']).toBe('audit');
    expect(body.items[0]).not.toHaveProperty('evaluate');

    const overridden = await startApiServer({
      ...deps,
      config: {
        ...deps.config,
        modeOverrides: { 'STG-CMK-PHI': 'remediate', 'NSG-OPEN-INBOUND': 'off' },
        auditOnly: true,
      },
    });
    try {
      const again = await call(overridden, 'GET', 'controls', { principal: reader });
      const now = Object.fromEntries(
        again.body.items.map((item: { id: string; mode: string }) => [item.id, item.mode]),
      );
      expect(now['STG-CMK-PHI']).toBe('audit'); // override to remediate, then the global audit switch
      expect(now['NSG-OPEN-INBOUND']).toBe('off');
      expect(now['STG-PUBLIC-BLOB']).toBe('audit');
      expect(again.body.auditOnly).toBe(true);
    } finally {
      await overridden.close();
    }
  });
});

describe('exceptions', () => {
  const scope = `/subscriptions/${SUB_A}/resourceGroups/rg-portal/providers/Microsoft.Network/networkSecurityGroups/nsg-web`;
  const valid = {
    control: 'NSG-OPEN-INBOUND',
    scope,
    ruleName: 'allow-partner-1',
    justification: 'Partner clinic range for the patient portal (contract 2026-114)',
    ticket: 'CHG-4711',
    expiresOn: '',
  };

  it('creates with approvedBy = the principal, lists, gets, and revokes (recorded, not deleted)', async () => {
    const expiresOn = inDays(30);
    const created = await call(server, 'POST', 'exceptions', {
      principal: approver,
      body: { ...valid, expiresOn, approvedBy: 'someone-else@contoso.org' },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      controlId: 'NSG-OPEN-INBOUND',
      scope,
      ruleName: 'allow-partner-1',
      approvedBy: 'approver@contoso.org',
      expiresOn,
      status: 'active',
    });
    const id: string = created.body.id;

    const listed = await call(server, 'GET', 'exceptions', { principal: reader });
    expect(listed.status).toBe(200);
    expect(listed.body.items.map((item: { id: string }) => item.id)).toContain(id);

    const got = await call(server, 'GET', `exceptions/${encodeURIComponent(id)}`, { principal: reader });
    expect(got.body).toMatchObject({ id, status: 'active' });

    expect(
      (await call(server, 'DELETE', `exceptions/${encodeURIComponent(id)}`, { principal: reader })).status,
    ).toBe(403);
    const revoked = await call(server, 'DELETE', `exceptions/${encodeURIComponent(id)}`, {
      principal: approver,
    });
    expect(revoked.status).toBe(200);
    expect(revoked.body).toMatchObject({ id, status: 'revoked', revokedBy: 'approver@contoso.org' });
    expect(Date.parse(revoked.body.revokedOn)).toBeGreaterThan(Date.now() - 60_000);

    const again = await call(server, 'DELETE', `exceptions/${encodeURIComponent(id)}`, {
      principal: approver,
    });
    expect(again.status).toBe(200);
    expect(again.body.revokedOn).toBe(revoked.body.revokedOn);

    const after = await call(server, 'GET', 'exceptions?status=revoked', { principal: reader });
    expect(after.body.items.map((item: { id: string }) => item.id)).toContain(id);
    const active = await call(server, 'GET', 'exceptions?status=active', { principal: reader });
    expect(active.body.items.map((item: { id: string }) => item.id)).not.toContain(id);
    expect((await stores.exceptions.get(id))?.revokedBy).toBe('approver@contoso.org');
  });

  it('accepts a relative expiry and a date', async () => {
    const relative = await call(server, 'POST', 'exceptions', {
      principal: approver,
      body: { ...valid, expiresOn: '7d' },
    });
    expect(relative.status).toBe(201);
    expect(Math.abs(Date.parse(relative.body.expiresOn) - (Date.now() + 7 * DAY))).toBeLessThan(60_000);
    const date = inDays(10).slice(0, 10);
    const byDate = await call(server, 'POST', 'exceptions', {
      principal: approver,
      body: { ...valid, expiresOn: date },
    });
    expect(byDate.status).toBe(201);
    expect(byDate.body.expiresOn).toBe(`${date}T00:00:00.000Z`);
  });

  it.each([
    ['missing control', { control: undefined }, /control is required/],
    ['unknown control', { control: 'NSG-EVERYTHING' }, /not a known control/],
    ['missing scope', { scope: '' }, /scope is required/],
    ['scope not an ARM id', { scope: '/resourceGroups/rg' }, /scope must be an Azure resource id/],
    [
      'ruleName on a storage control',
      { control: 'STG-PUBLIC-BLOB' },
      /ruleName applies only to NSG controls/,
    ],
    ['bad ruleName', { ruleName: 'a/b' }, /ruleName must be/],
    ['short justification', { justification: 'ok' }, /justification must be at least/],
    ['missing ticket', { ticket: '   ' }, /ticket is required/],
    ['expiry in the past', { expiresOn: '2020-01-01' }, /must be in the future/],
    ['expiry beyond the maximum', { expiresOn: '91d' }, /at most 90 days/],
    ['expiry not a date', { expiresOn: 'next tuesday' }, /ISO 8601/],
    ['impossible date', { expiresOn: '2026-02-30' }, /ISO 8601/],
  ])('400 for %s', async (_name, change, message) => {
    const { status, body } = await call(server, 'POST', 'exceptions', {
      principal: approver,
      body: { ...valid, expiresOn: inDays(30), ...change },
    });
    expect(status).toBe(400);
    expect(body.error.message).toMatch(message);
  });

  it('400 for bodies that are not a JSON object; 413 when oversized', async () => {
    for (const rawBody of ['', 'not json', '[1]', 'null']) {
      expect((await call(server, 'POST', 'exceptions', { principal: approver, rawBody })).status).toBe(400);
    }
    const big = { ...valid, expiresOn: inDays(30), justification: 'x'.repeat(MAX_BODY_BYTES) };
    const tooLarge = await call(server, 'POST', 'exceptions', { principal: approver, body: big });
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.body.error.code).toBe('PayloadTooLarge');
  });

  it('403 for a reader creating; 404 for unknown ids; 400 for an unknown status filter', async () => {
    expect((await call(server, 'POST', 'exceptions', { principal: reader, body: valid })).status).toBe(403);
    expect((await call(server, 'GET', 'exceptions/does-not-exist', { principal: reader })).status).toBe(404);
    expect((await call(server, 'DELETE', 'exceptions/does-not-exist', { principal: approver })).status).toBe(
      404,
    );
    expect((await call(server, 'GET', 'exceptions?status=pending', { principal: reader })).status).toBe(400);
  });
});

describe('POST /api/remediations/{id}/restore', () => {
  const approval = () => ({
    justification: 'Partner clinic needs 443 from their range until the VPN is live',
    ticket: 'INC-2231',
    expiresOn: inDays(14),
  });

  it('hands the record and the approval to the Restorer and returns the exception and the restored record', async () => {
    const record = seeded.find((candidate) => candidate.ruleName === 'allow-partner-900') as EvidenceRecord;
    const body = approval();
    const calls = restorer.calls.length;
    const response = await call(
      server,
      'POST',
      `remediations/${encodeURIComponent(record.recordId)}/restore`,
      {
        principal: approver,
        body,
      },
    );
    expect(response.status).toBe(201);
    expect(restorer.calls).toHaveLength(calls + 1);
    const handed = restorer.calls.at(-1);
    expect(handed?.record.recordId).toBe(record.recordId);
    // the approver is the principal: its name and its object id, never request data
    expect(handed?.request).toEqual({
      approver: 'approver@contoso.org',
      approverObjectId: devObjectIdFor('approver@contoso.org'),
      ...body,
    });
    expect(response.body.exception).toMatchObject({
      controlId: 'NSG-OPEN-INBOUND',
      ruleName: 'allow-partner-900',
    });
    expect(response.body.record).toMatchObject({
      outcome: 'restored',
      actor: 'approver@contoso.org',
      exceptionId: response.body.exception.id,
      restorable: false,
    });

    const log = await call(server, 'GET', 'remediations?outcome=restored', { principal: reader });
    expect(log.body.items.map((item: { id: string }) => item.id)).toContain(response.body.record.id);
  });

  it('409 for a record that is not a remediation; the Restorer is not called', async () => {
    const compliant = seeded.find((candidate) => candidate.outcome === 'compliant') as EvidenceRecord;
    const calls = restorer.calls.length;
    const response = await call(
      server,
      'POST',
      `remediations/${encodeURIComponent(compliant.recordId)}/restore`,
      {
        principal: approver,
        body: approval(),
      },
    );
    expect(response.status).toBe(409);
    expect(restorer.calls).toHaveLength(calls);
  });

  it('403 for a reader, 404 for an unknown record, 400 for a bad approval — all without calling the Restorer', async () => {
    const record = seeded[0] as EvidenceRecord;
    const path = `remediations/${encodeURIComponent(record.recordId)}/restore`;
    const calls = restorer.calls.length;
    expect((await call(server, 'POST', path, { principal: reader, body: approval() })).status).toBe(403);
    expect(
      (await call(server, 'POST', 'remediations/AAAA.1/restore', { principal: approver, body: approval() }))
        .status,
    ).toBe(404);
    const bad = await call(server, 'POST', path, {
      principal: approver,
      body: { ...approval(), expiresOn: '365d' },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/at most 90 days/);
    const noTicket = await call(server, 'POST', path, {
      principal: approver,
      body: { ...approval(), ticket: undefined },
    });
    expect(noTicket.status).toBe(400);
    expect(restorer.calls).toHaveLength(calls);
  });

  it('a Restorer conflict is a 409 and an unavailable Restorer a 501, with their messages', async () => {
    const record = seeded.find((candidate) => candidate.outcome === 'remediated') as EvidenceRecord;
    const path = `remediations/${encodeURIComponent(record.recordId)}/restore`;
    for (const [error, status] of [
      [new RestoreConflictError('The rule changed since it was recorded; review it first.'), 409],
      [new RestoreUnavailableError('Restore is not wired yet.'), 501],
    ] as const) {
      const server = await startApiServer({ ...deps, restorer: { restore: () => Promise.reject(error) } });
      try {
        const response = await call(server, 'POST', path, { principal: approver, body: approval() });
        expect(response.status).toBe(status);
        expect(response.body.error.message).toBe(error.message);
      } finally {
        await server.close();
      }
    }
  });

  it('a Restorer failure becomes an opaque 500', async () => {
    const failing = await startApiServer({
      ...deps,
      restorer: {
        restore: async () => {
          throw new Error('ARM said: secret internal detail /subscriptions/xyz');
        },
      },
    });
    try {
      const record = seeded.find((candidate) => candidate.outcome === 'remediated') as EvidenceRecord;
      const response = await call(
        failing,
        'POST',
        `remediations/${encodeURIComponent(record.recordId)}/restore`,
        {
          principal: approver,
          body: approval(),
        },
      );
      expect(response.status).toBe(500);
      expect(response.body).toEqual({
        error: { code: 'InternalError', message: 'The request could not be completed.' },
      });
    } finally {
      await failing.close();
    }
  });
});
