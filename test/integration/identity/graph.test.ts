import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../../lib/dev/arm-sandbox/index.js';
import { DEMO_TENANT, demoDirectory } from '../../../lib/dev/local/demo-tenant.js';
import { GraphClient } from '../../../lib/identity/graph-client.js';
import { readTenantSnapshot } from '../../../lib/identity/graph-reader.js';
import { isRestError } from '../../../lib/util/errors.js';

/** The Graph adapter (core-rest-pipeline) against the sandbox's Graph v1.0: paging, batches, errors, throttling. */
describe('Graph adapter against the sandbox', () => {
  let sandbox: Sandbox;
  const client = (retry = {}) =>
    new GraphClient({
      credential: sandbox.credential(),
      endpoint: sandbox.graphUrl,
      agent: sandbox.clientOptions().agent,
      retryOptions: { retryDelayInMs: 10, maxRetryDelayInMs: 50, ...retry },
    });

  beforeAll(async () => {
    sandbox = await startSandbox({
      graphPageSize: 2,
      scenario: { resources: [], directory: demoDirectory() },
    });
  });
  afterAll(() => sandbox.stop());

  it('follows @odata.nextLink through every page', async () => {
    const graph = client();
    const policies = await graph.list<{ id: string }>('/identity/conditionalAccess/policies');
    expect(policies.map((p) => p.id)).toEqual([
      'ca-admin-mfa',
      'ca-azure-management-mfa',
      'ca-patient-portal-session',
      'ca-scheduling-session',
      'ca-block-legacy-auth',
    ]);
    expect(graph.requests).toBe(3); // 5 items, 2 per page
  });

  it("raises Graph's error shape as a RestError with Graph's code and status", async () => {
    const graph = client();
    const failure = await graph.get('/groups/not-a-group/transitiveMembers').catch((e: unknown) => e);
    expect(isRestError(failure)).toBe(true);
    expect(failure).toMatchObject({ statusCode: 404, code: 'Request_ResourceNotFound' });
    const unknown = await graph.get('/nothing/here').catch((e: unknown) => e);
    expect(unknown).toMatchObject({ statusCode: 400, code: 'BadRequest' });
  });

  it('reads the snapshot with a bounded number of calls and never one per user', async () => {
    sandbox.resetStats();
    const graph = client();
    const snapshot = await readTenantSnapshot(graph, { now: new Date('2026-12-01T00:00:00Z') });
    expect(snapshot.tenantId).toMatch(/^[0-9a-f-]{36}$/);
    expect(snapshot.conditionalAccessPolicies).toHaveLength(5);
    expect(snapshot.roleDefinitions).toHaveLength(14);
    expect(snapshot.roleAssignments.map((a) => [a.principalName, a.principalType, a.assignment])).toEqual([
      ['dana.admin@contoso.example', 'user', 'active'],
      ['svc-backup@contoso.example', 'user', 'active'],
      ['sam.secops@contoso.example', 'user', 'eligible'],
    ]);
    expect(snapshot.groupMembers).toEqual({ [DEMO_TENANT.mfaExemptGroup]: [DEMO_TENANT.users.svcBackup] });
    expect(snapshot.accessReviews[0]?.instances).toHaveLength(2);
    const paths = sandbox.requestLog().map((entry) => entry.path);
    expect(paths.some((path) => /\/users\//i.test(path))).toBe(false);
    // organization 1 + policies 3 + definitions 7 + assignments 1 + eligibility 1 + reviews 1 + 2 batches
    expect(graph.requests).toBe(16);
    expect(paths.filter((path) => path.endsWith('/$batch'))).toHaveLength(2);
  });

  it('retries throttled requests (429 + Retry-After) and still reads everything', async () => {
    sandbox.setFaults({ rate: 0.15, kinds: ['429'], seed: 3 });
    try {
      sandbox.resetStats();
      const snapshot = await readTenantSnapshot(client(), { tenantId: 'fixed-tenant' });
      expect(snapshot.tenantId).toBe('fixed-tenant');
      expect(snapshot.conditionalAccessPolicies).toHaveLength(5);
      expect(snapshot.groupMembers[DEMO_TENANT.mfaExemptGroup]).toEqual([DEMO_TENANT.users.svcBackup]);
      expect(sandbox.stats().faults).toBeGreaterThan(0);
    } finally {
      sandbox.setFaults(undefined);
    }
  });

  it('judges active assignments only when PIM is not licensed', async () => {
    const unlicensed = await startSandbox({
      scenario: { resources: [], directory: { ...demoDirectory(), pimUnlicensed: true } },
    });
    try {
      const lines: string[] = [];
      const graph = new GraphClient({
        credential: unlicensed.credential(),
        endpoint: unlicensed.graphUrl,
        agent: unlicensed.clientOptions().agent,
      });
      const snapshot = await readTenantSnapshot(graph, { log: (line) => lines.push(line) });
      expect(snapshot.roleAssignments.every((a) => a.assignment === 'active')).toBe(true);
      expect(lines.join('\n')).toMatch(/AadPremiumLicenseRequired/);
    } finally {
      await unlicensed.stop();
    }
  });
});
