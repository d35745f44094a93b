import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { devObjectIdFor, ROLES } from '../../../lib/api/auth.js';
import type { ApiDeps } from '../../../lib/api/deps.js';
import { createApp } from '../../../lib/app/app.js';
import { CONTROLS } from '../../../lib/controls/catalog.js';
import type { Sandbox } from '../../../lib/dev/arm-sandbox/index.js';
import type { EvidenceRecord } from '../../../lib/evidence/types.js';
import { RDP_FROM_ANY } from '../../support/rules.js';
import { type ApiServer, call, principalHeader, startApiServer } from '../api/harness.js';
import {
  ALICE,
  baseScenario,
  clientsFor,
  createHarness,
  type Harness,
  NSG,
  nsgRule,
  SELF,
  startSandboxWithWebhook,
  type Webhook,
} from '../events/harness.js';

/**
 * Issue 13, reproductions 1 and 2, end to end: the ARM sandbox (real SDK clients), Azurite, the
 * event webhook (sandbox → handleResourceChange → engine) and the HTTP API with the production
 * Restorer. Alice (who also holds the approver role) opens SSH and 8080 to the internet in one rule;
 * driftwarden closes it (one write, two records); on-call approvers try to restore it.
 */

const azurite = inject('azurite');
const DAY = 86_400_000;
const LEAD = 'oncall.lead@contoso.example';
const SECOND = 'security.officer@contoso.example';
const lead = principalHeader(LEAD, [ROLES.approver]);
const second = principalHeader(SECOND, [ROLES.approver]);
/** alice's own object id (the one her ARM write carries), with the approver role */
const aliceApprover = principalHeader(ALICE.upn, [ROLES.approver], ALICE.oid);
const RULE = 'ssh-and-web';

let sandbox: Sandbox;
let webhook: Webhook;
let stopSandbox: () => Promise<void>;
let harness: Harness | null = null;
let api: ApiServer | null = null;

beforeAll(async () => {
  ({ sandbox, webhook, stop: stopSandbox } = await startSandboxWithWebhook(() => harness));
});
afterAll(() => stopSandbox());
afterEach(async () => {
  harness = null;
  await api?.close();
  api = null;
});

async function setUp(env: Record<string, string> = {}): Promise<{ h: Harness; server: ApiServer }> {
  sandbox.reset();
  sandbox.seed(baseScenario());
  const h = await createHarness(sandbox, { connectionString: azurite.connectionString, env });
  harness = h;
  const app = createApp(h.deps.config, {
    armConnection: {
      credential: sandbox.credential(SELF),
      endpoint: sandbox.url,
      clientOptions: { ...sandbox.clientOptions() },
    },
    log: (line) => h.logs.push(line),
    armPollIntervalMs: 10,
  });
  const deps: ApiDeps = {
    evidence: h.deps.evidence,
    exceptions: h.deps.exceptions,
    controls: CONTROLS,
    config: h.deps.config,
    restorer: app.restorer,
    clock: () => new Date(),
    devPrincipal: null,
  };
  api = await startApiServer(deps);
  await sandbox.setWebhook({ url: webhook.url, schema: 'EventGrid', retryBaseMs: 100 });
  return { h, server: api };
}

async function settle(h: Harness): Promise<EvidenceRecord[]> {
  await sandbox.waitForEventsIdle();
  expect(h.errors).toEqual([]);
  return h.records();
}

/** alice allows the internet to reach 22 and 8080 in one rule; driftwarden denies it: two records. */
async function aliceOpensSshAndWeb(h: Harness): Promise<Record<string, EvidenceRecord>> {
  await clientsFor(sandbox, ALICE).network.securityRules.beginCreateOrUpdateAndWait(
    'rg-portal',
    'nsg-web',
    RULE,
    {
      ...RDP_FROM_ANY,
      destinationPortRange: undefined,
      destinationPortRanges: ['22', '8080'],
    },
  );
  const records = await settle(h);
  expect(records.map((r) => [r.controlId, r.outcome]).sort()).toEqual([
    ['NSG-MGMT-PORT', 'remediated'],
    ['NSG-OPEN-INBOUND', 'remediated'],
  ]);
  expect(nsgRule(sandbox, RULE).access).toBe('Deny');
  for (const record of records) expect(record).toMatchObject({ actor: ALICE.upn, actorObjectId: ALICE.oid });
  return Object.fromEntries(records.map((r) => [r.controlId as string, r]));
}

const restorePath = (record: EvidenceRecord) => `remediations/${encodeURIComponent(record.recordId)}/restore`;
const approval = (extra: Record<string, unknown> = {}) => ({
  justification: 'Partner web app on 8080 during the migration',
  ticket: 'CHG-8080',
  expiresOn: new Date(Date.now() + 3 * DAY).toISOString(),
  ...extra,
});

describe('reproduction 1: a restore never reopens a control it has no exception for', () => {
  it('409 naming NSG-MGMT-PORT, nothing written; with a justification for it: two exceptions, and the write event is re-evaluated', async () => {
    const { h, server } = await setUp({ DW_TWO_STEP_CONTROLS: 'none' });
    const records = await aliceOpensSshAndWeb(h);
    const openInbound = records['NSG-OPEN-INBOUND'] as EvidenceRecord;

    sandbox.resetStats();
    const refused = await call(server, 'POST', restorePath(openInbound), {
      principal: lead,
      body: approval(),
    });
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({ code: 'JustificationsRequired', controls: ['NSG-MGMT-PORT'] });
    expect(refused.body.error.message).toMatch(/NSG-MGMT-PORT/);
    expect(sandbox.stats().requests.writes).toBe(0);
    expect(nsgRule(sandbox, RULE).access).toBe('Deny');
    expect(await h.deps.exceptions.list()).toEqual([]);

    const restored = await call(server, 'POST', restorePath(openInbound), {
      principal: lead,
      body: approval({ justifications: { 'NSG-MGMT-PORT': 'Vendor SSH for the migration, supervised' } }),
    });
    expect(restored.status).toBe(201);
    expect(restored.body.exceptions.map((e: { controlId: string }) => e.controlId)).toEqual([
      'NSG-OPEN-INBOUND',
      'NSG-MGMT-PORT',
    ]);
    const after = await settle(h);
    expect(nsgRule(sandbox, RULE)).toMatchObject({ access: 'Allow', destinationPortRanges: ['22', '8080'] });
    const exceptions = await h.deps.exceptions.active(new Date());
    expect(
      exceptions.map((e) => [e.controlId, e.ruleName, e.approvedBy, e.approvedByObjectId]).sort(),
    ).toEqual([
      ['NSG-MGMT-PORT', RULE, LEAD, devObjectIdFor(LEAD)],
      ['NSG-OPEN-INBOUND', RULE, LEAD, devObjectIdFor(LEAD)],
    ]);
    expect(exceptions.find((e) => e.controlId === 'NSG-MGMT-PORT')?.justification).toBe(
      'Vendor SSH for the migration, supervised',
    );
    // the restore wrote as driftwarden's identity, but it was not a remediation: its event was
    // re-read and re-evaluated (not skipped by the loop guard), and both controls are exempted
    expect(h.results.at(-1)?.status).toBe('handled');
    expect(
      after
        .filter((r) => r.outcome === 'exempted')
        .map((r) => r.controlId)
        .sort(),
    ).toEqual(['NSG-MGMT-PORT', 'NSG-OPEN-INBOUND']);
    expect(after.filter((r) => r.outcome === 'restored')).toMatchObject([
      { controlId: 'NSG-OPEN-INBOUND', actor: LEAD, actorObjectId: devObjectIdFor(LEAD) },
    ]);
    expect((await h.deps.evidence.verify()).ok).toBe(true);
  });

  it('a restore write the loop guard would once have skipped is remediated when no exception covers it', async () => {
    const { h, server } = await setUp({ DW_TWO_STEP_CONTROLS: 'none' });
    const records = await aliceOpensSshAndWeb(h);
    const restored = await call(server, 'POST', restorePath(records['NSG-OPEN-INBOUND'] as EvidenceRecord), {
      principal: lead,
      body: approval({ justifications: { 'NSG-MGMT-PORT': 'Vendor SSH for the migration, supervised' } }),
    });
    expect(restored.status).toBe(201);
    await settle(h);
    // the SSH exception is revoked; driftwarden's identity (not a remediation) rewrites the rule
    const ssh = (await h.deps.exceptions.active(new Date())).find((e) => e.controlId === 'NSG-MGMT-PORT');
    await call(server, 'DELETE', `exceptions/${ssh?.id}`, { principal: second });
    const self = clientsFor(sandbox, SELF).network;
    const rule = await self.securityRules.get('rg-portal', 'nsg-web', RULE);
    await self.securityRules.beginCreateOrUpdateAndWait('rg-portal', 'nsg-web', RULE, {
      ...rule,
      priority: 105,
    });
    const after = await settle(h);
    expect(nsgRule(sandbox, RULE).access).toBe('Deny');
    expect(after.filter((r) => r.outcome === 'remediated' && r.actor === SELF.appid)).toMatchObject([
      { controlId: 'NSG-MGMT-PORT', ruleName: RULE },
    ]);
  });
});

describe('reproduction 2: separation of duties and two-step approval (through the API)', () => {
  it('the actor of the change may neither restore it nor exempt it, by object id', async () => {
    const { h, server } = await setUp({ DW_TWO_STEP_CONTROLS: 'none' });
    const records = await aliceOpensSshAndWeb(h);
    const body = approval({
      justifications: { 'NSG-MGMT-PORT': 'Vendor SSH for the migration, supervised' },
    });
    const mine = await call(server, 'POST', restorePath(records['NSG-OPEN-INBOUND'] as EvidenceRecord), {
      principal: aliceApprover,
      body,
    });
    expect(mine.status).toBe(403);
    expect(mine.body.error.code).toBe('SeparationOfDuties');
    // the same person under another display name: still her object id
    const renamed = await call(server, 'POST', restorePath(records['NSG-OPEN-INBOUND'] as EvidenceRecord), {
      principal: principalHeader('Alice Example', [ROLES.approver], ALICE.oid),
      body,
    });
    expect(renamed.status).toBe(403);
    const exempt = await call(server, 'POST', 'exceptions', {
      principal: aliceApprover,
      body: {
        control: 'NSG-OPEN-INBOUND',
        scope: NSG,
        ruleName: RULE,
        justification: 'My own rule, trust me please',
        ticket: 'CHG-1',
        expiresOn: '7d',
      },
    });
    expect(exempt.status).toBe(403);
    expect(exempt.body.error.code).toBe('SeparationOfDuties');
    expect(await h.deps.exceptions.list()).toEqual([]);
    expect(nsgRule(sandbox, RULE).access).toBe('Deny');
    // someone else with the same display name but another object id is someone else
    const namesake = await call(server, 'POST', restorePath(records['NSG-OPEN-INBOUND'] as EvidenceRecord), {
      principal: principalHeader(ALICE.upn, [ROLES.approver], 'c0ffee00-0000-4000-8000-000000000003'),
      body,
    });
    expect(namesake.status).toBe(201);
  });

  it('NSG-MGMT-PORT is two-step by default: the request waits; neither requester nor actor may approve; a second person completes the restore', async () => {
    const { h, server } = await setUp();
    const records = await aliceOpensSshAndWeb(h);
    sandbox.resetStats();
    const requested = await call(server, 'POST', restorePath(records['NSG-OPEN-INBOUND'] as EvidenceRecord), {
      principal: lead,
      body: approval({ justifications: { 'NSG-MGMT-PORT': 'Vendor SSH for the migration, supervised' } }),
    });
    expect(requested.status).toBe(202);
    expect(requested.body.status).toBe('pending-approval');
    expect(requested.body.exceptions).toHaveLength(2);
    expect(sandbox.stats().requests.writes).toBe(0);
    expect(nsgRule(sandbox, RULE).access).toBe('Deny');
    expect(await h.deps.exceptions.active(new Date())).toEqual([]); // requests never match
    const listed = await call(server, 'GET', 'exceptions?status=requested', { principal: second });
    expect(listed.body.items).toHaveLength(2);

    const id = requested.body.exceptions[0].id as string;
    const byRequester = await call(server, 'POST', `exceptions/${id}/approve`, { principal: lead });
    expect(byRequester.status).toBe(403);
    const byActor = await call(server, 'POST', `exceptions/${id}/approve`, { principal: aliceApprover });
    expect(byActor.status).toBe(403);
    expect(sandbox.stats().requests.writes).toBe(0);

    const approved = await call(server, 'POST', `exceptions/${id}/approve`, { principal: second });
    expect(approved.status).toBe(200);
    expect(approved.body.status).toBe('restored');
    await settle(h);
    expect(nsgRule(sandbox, RULE).access).toBe('Allow');
    const active = await h.deps.exceptions.active(new Date());
    expect(active.map((e) => [e.controlId, e.state, e.requestedBy, e.approvedBy]).sort()).toEqual([
      ['NSG-MGMT-PORT', 'approved', LEAD, SECOND],
      ['NSG-OPEN-INBOUND', 'approved', LEAD, SECOND],
    ]);
    expect((await h.records()).filter((r) => r.outcome === 'restored')).toMatchObject([{ actor: SECOND }]);
  });

  it('a repeated request returns the waiting requests; an approval whose restore cannot happen leaves no exception in force', async () => {
    const { h, server } = await setUp();
    const records = await aliceOpensSshAndWeb(h);
    const path = restorePath(records['NSG-MGMT-PORT'] as EvidenceRecord);
    const body = approval({ justifications: { 'NSG-OPEN-INBOUND': 'Partner web app on 8080, same change' } });
    const first = await call(server, 'POST', path, { principal: lead, body });
    const again = await call(server, 'POST', path, { principal: lead, body });
    expect(again.status).toBe(202);
    expect(again.body.exceptions.map((e: { id: string }) => e.id).sort()).toEqual(
      first.body.exceptions.map((e: { id: string }) => e.id).sort(),
    );
    expect(await h.deps.exceptions.list()).toHaveLength(2);
    // the rule changes before the second approver acts: the restore is refused (409) …
    const self = clientsFor(sandbox, ALICE).network;
    const rule = await self.securityRules.get('rg-portal', 'nsg-web', RULE);
    await self.securityRules.beginCreateOrUpdateAndWait('rg-portal', 'nsg-web', RULE, {
      ...rule,
      priority: 130,
    });
    await settle(h);
    const approved = await call(server, 'POST', `exceptions/${first.body.exceptions[0].id}/approve`, {
      principal: second,
    });
    expect(approved.status).toBe(409);
    // … and the exceptions it approved are revoked again (visible in the registry)
    expect(await h.deps.exceptions.active(new Date())).toEqual([]);
    expect((await h.deps.exceptions.list()).every((e) => e.revokedOn && e.approvedBy === SECOND)).toBe(true);
    expect(nsgRule(sandbox, RULE).access).toBe('Deny');
  });

  it('a plain two-step exception: requested by one, approved by another; a management-port exception wider than one NSG needs wideScope', async () => {
    const { h, server } = await setUp();
    const base = {
      control: 'NSG-MGMT-PORT',
      justification: 'Bastion subnet migration window',
      ticket: 'CHG-22',
      expiresOn: '7d',
    };
    const wide = await call(server, 'POST', 'exceptions', {
      principal: lead,
      body: { ...base, scope: `/subscriptions/${h.deps.config.subscriptions[0]}/resourceGroups/rg-portal` },
    });
    expect(wide.status).toBe(400);
    expect(wide.body.error.message).toMatch(/wideScope/);
    const asked = await call(server, 'POST', 'exceptions', {
      principal: lead,
      body: {
        ...base,
        scope: `/subscriptions/${h.deps.config.subscriptions[0]}/resourceGroups/rg-portal`,
        wideScope: true,
      },
    });
    expect(asked.status).toBe(201);
    expect(asked.body).toMatchObject({
      status: 'requested',
      wideScope: true,
      requestedBy: LEAD,
      approvedBy: '',
    });
    expect(
      (await call(server, 'POST', `exceptions/${asked.body.id}/approve`, { principal: lead })).status,
    ).toBe(403);
    const ok = await call(server, 'POST', `exceptions/${asked.body.id}/approve`, { principal: second });
    expect(ok.status).toBe(200);
    expect(ok.body.exception).toMatchObject({ status: 'active', approvedBy: SECOND, requestedBy: LEAD });
  });
});
