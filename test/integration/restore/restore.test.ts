import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { ROLES } from '../../../lib/api/auth.js';
import type { ApiDeps } from '../../../lib/api/deps.js';
import { createApp } from '../../../lib/app/app.js';
import { CONTROLS } from '../../../lib/controls/catalog.js';
import type { Sandbox } from '../../../lib/dev/arm-sandbox/index.js';
import type { EvidenceRecord } from '../../../lib/evidence/types.js';
import { RestoreConflictError, restoreRemediation } from '../../../lib/remediation/restore.js';
import type { ResourceGateway } from '../../../lib/remediation/types.js';
import { RDP_FROM_ANY } from '../../support/rules.js';
import { type ApiServer, call, principalHeader, startApiServer } from '../api/harness.js';
import {
  ACCOUNT,
  ALICE,
  BOB,
  baseScenario,
  clientsFor,
  createHarness,
  type Harness,
  NSG,
  nsgRule,
  SELF,
  startSandboxWithWebhook,
  storagePatch,
  type Webhook,
} from '../events/harness.js';

/**
 * On-call restore end to end: the ARM sandbox (real SDK clients), Azurite (real evidence and
 * exception tables), the real event path (webhook → handleResourceChange → engine), and the API
 * route POST /api/remediations/{id}/restore served by the production handler with the production
 * Restorer (createApp(...).restorer). One clock, shifted by the test, drives the engine and the stores.
 */

const azurite = inject('azurite');
const DAY = 86_400_000;
const APPROVER = 'oncall.lead@contoso.example';
const approverHeader = principalHeader(APPROVER, [ROLES.approver]);
const RULE = `${NSG}/securityRules/allow-rdp`;

let sandbox: Sandbox;
let webhook: Webhook;
let stopSandbox: () => Promise<void>;
let harness: Harness | null = null;
let api: ApiServer | null = null;
let offsetMs = 0;
const clock = () => new Date(Date.now() + offsetMs);

beforeAll(async () => {
  ({ sandbox, webhook, stop: stopSandbox } = await startSandboxWithWebhook(() => harness));
});
afterAll(() => stopSandbox());
afterEach(async () => {
  harness = null;
  offsetMs = 0;
  await api?.close();
  api = null;
});

async function setUp(): Promise<{ h: Harness; server: ApiServer }> {
  sandbox.reset();
  sandbox.seed(baseScenario());
  // one-step exceptions here (the two-step flow has its own tests: restore-duties.test.ts)
  const h = await createHarness(sandbox, {
    connectionString: azurite.connectionString,
    env: { DW_TWO_STEP_CONTROLS: 'none' },
    overrides: { clock },
  });
  harness = h;
  // the production Restorer, reaching ARM as driftwarden itself (so the loop guard sees its write);
  // one process serves both paths, so it shares the event path's exceptions (and their cache)
  const { restorer } = createApp(h.deps.config, {
    exceptions: h.deps.exceptions,
    armConnection: {
      credential: sandbox.credential(SELF),
      endpoint: sandbox.url,
      clientOptions: { ...sandbox.clientOptions() },
    },
    clock,
    log: (line) => h.logs.push(line),
    armPollIntervalMs: 10,
  });
  const deps: ApiDeps = {
    evidence: h.deps.evidence,
    exceptions: h.deps.exceptions,
    controls: CONTROLS,
    config: h.deps.config,
    restorer,
    clock,
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

const ruleNow = (name = 'allow-rdp') => nsgRule(sandbox, name);

/** The rule without what ARM rewrites on every write. */
function content(rule: unknown): Record<string, unknown> {
  const { etag: _etag, provisioningState: _state, ...rest } = rule as Record<string, unknown>;
  return rest;
}

async function aliceOpensRdp(h: Harness): Promise<EvidenceRecord> {
  await clientsFor(sandbox, ALICE).network.securityRules.beginCreateOrUpdateAndWait(
    'rg-portal',
    'nsg-web',
    'allow-rdp',
    RDP_FROM_ANY,
  );
  const records = await settle(h);
  expect(records).toHaveLength(1);
  const record = records[0] as EvidenceRecord;
  expect(record).toMatchObject({ outcome: 'remediated', controlId: 'NSG-MGMT-PORT', ruleName: 'allow-rdp' });
  expect(ruleNow().access).toBe('Deny');
  return record;
}

/** bob edits only the description: a new write event on the still-open rule */
async function bobTouchesRule(description: string): Promise<void> {
  const bob = clientsFor(sandbox, BOB).network;
  const current = await bob.securityRules.get('rg-portal', 'nsg-web', 'allow-rdp');
  await bob.securityRules.beginCreateOrUpdateAndWait('rg-portal', 'nsg-web', 'allow-rdp', {
    ...current,
    description,
  });
}

function approval(days = 1) {
  return {
    justification: 'Vendor support session for the imaging server, supervised',
    ticket: 'CHG-7781',
    expiresOn: new Date(clock().getTime() + days * DAY).toISOString(),
  };
}

function restorePath(record: EvidenceRecord): string {
  return `remediations/${encodeURIComponent(record.recordId)}/restore`;
}

describe('restore an NSG rule through the API, then let the exception expire', () => {
  it('rule back as before, exception naming the approver, restored record; next event exempted; after expiry remediated again', async () => {
    const { h, server } = await setUp();
    const remediated = await aliceOpensRdp(h);

    sandbox.resetStats();
    const response = await call(server, 'POST', restorePath(remediated), {
      principal: approverHeader,
      body: approval(1),
    });
    expect(response.status).toBe(201);
    const records = await settle(h);

    // the rule is back exactly as alice left it (ARM-managed etag/provisioningState aside)
    expect(ruleNow()).toMatchObject({
      access: 'Allow',
      sourceAddressPrefix: '*',
      destinationPortRange: '3389',
    });
    // one ARM write by the restorer (the rule PUT); its write event is not a remediation's, so it
    // is re-read and re-evaluated: the exception covers it (exempted), nothing is written again
    expect(sandbox.stats().requests.writes).toBe(1);
    expect(sandbox.stats().requests.byKind['securityRules.put']).toBe(1);
    const live = await clientsFor(sandbox, BOB).network.securityRules.get(
      'rg-portal',
      'nsg-web',
      'allow-rdp',
    );
    expect(content(JSON.parse(JSON.stringify(live)))).toEqual(content(remediated.before));
    expect(h.results.at(-1)?.status).toBe('handled');
    expect(records.filter((r) => r.outcome === 'exempted')).toMatchObject([
      { controlId: 'NSG-MGMT-PORT', ruleName: 'allow-rdp', exceptionId: response.body.exception.id },
    ]);

    const exception = await h.deps.exceptions.get(response.body.exception.id);
    expect(exception).toMatchObject({
      controlId: 'NSG-MGMT-PORT',
      scope: RULE,
      ruleName: 'allow-rdp',
      approvedBy: APPROVER,
      ticket: 'CHG-7781',
    });
    const restored = records.filter((r) => r.outcome === 'restored');
    expect(restored).toHaveLength(1);
    expect(restored[0]).toMatchObject({
      recordId: response.body.record.id,
      trigger: 'manual',
      actor: APPROVER,
      exceptionId: exception?.id,
      controlId: 'NSG-MGMT-PORT',
      resourceId: RULE,
      ruleName: 'allow-rdp',
      before: { access: 'Deny' },
      after: { access: 'Allow', sourceAddressPrefix: '*' },
    });

    // restore twice (a retried click): the same record back, nothing written, nothing added
    sandbox.resetStats();
    const again = await call(server, 'POST', restorePath(remediated), {
      principal: approverHeader,
      body: approval(1),
    });
    expect(again.status).toBe(201);
    expect(again.body.record.id).toBe(response.body.record.id);
    expect(again.body.exception.id).toBe(exception?.id);
    expect(sandbox.stats().requests).toMatchObject({ reads: 0, writes: 0 });
    expect((await h.records()).filter((r) => r.outcome === 'restored')).toHaveLength(1);
    expect(await h.deps.exceptions.list()).toHaveLength(1);

    // bob touches the rule: the re-read finds it open, the exception covers it → exempted, no write
    sandbox.resetStats();
    await bobTouchesRule('vendor support (CHG-7781)');
    const afterBob = await settle(h);
    const bobRecords = afterBob.filter((r) => r.actor === BOB.upn);
    expect(bobRecords).toMatchObject([
      { outcome: 'exempted', controlId: 'NSG-MGMT-PORT', exceptionId: exception?.id, ruleName: 'allow-rdp' },
    ]);
    expect(sandbox.stats().requests.writes).toBe(1); // bob's only
    expect(ruleNow().access).toBe('Allow');

    // the exception expires (the clock passes expiresOn); the next event remediates again
    offsetMs = 2 * DAY;
    expect(await h.deps.exceptions.active(clock())).toEqual([]);
    await bobTouchesRule('still needed?');
    const afterExpiry = await settle(h);
    expect(ruleNow()).toMatchObject({ access: 'Deny', sourceAddressPrefix: '*' });
    const latest = afterExpiry.filter((r) => r.actor === BOB.upn && r.outcome === 'remediated');
    expect(latest).toMatchObject([{ controlId: 'NSG-MGMT-PORT', exceptionId: null, ruleName: 'allow-rdp' }]);

    // the hash chain holds across event, manual and API-made records
    expect((await h.deps.evidence.verify()).ok).toBe(true);
  });

  it('restore of a record whose rule changed since: 409, nothing written, no exception, no record', async () => {
    const { h, server } = await setUp();
    const remediated = await aliceOpensRdp(h);
    // bob moves the (denied, compliant) rule to another priority: no new record, but the rule is not what we left
    const bob = clientsFor(sandbox, BOB).network;
    const current = await bob.securityRules.get('rg-portal', 'nsg-web', 'allow-rdp');
    await bob.securityRules.beginCreateOrUpdateAndWait('rg-portal', 'nsg-web', 'allow-rdp', {
      ...current,
      priority: 120,
    });
    await settle(h);
    const before = ruleNow();
    sandbox.resetStats();

    const response = await call(server, 'POST', restorePath(remediated), {
      principal: approverHeader,
      body: approval(1),
    });
    expect(response.status).toBe(409);
    expect(response.body.error.message).toMatch(/changed since/);
    expect(ruleNow()).toEqual(before);
    expect(sandbox.stats().requests.writes).toBe(0);
    expect(await h.deps.exceptions.list()).toEqual([]);
    expect((await h.records()).filter((r) => r.outcome === 'restored')).toEqual([]);
  });

  it('restore of a record whose rule was deleted since: 409', async () => {
    const { h, server } = await setUp();
    const remediated = await aliceOpensRdp(h);
    await clientsFor(sandbox, BOB).network.securityRules.beginDeleteAndWait(
      'rg-portal',
      'nsg-web',
      'allow-rdp',
    );
    await sandbox.waitForEventsIdle();
    const response = await call(server, 'POST', restorePath(remediated), {
      principal: approverHeader,
      body: approval(1),
    });
    expect(response.status).toBe(409);
    expect(response.body.error.message).toMatch(/no longer exists/);
    expect(await h.deps.exceptions.list()).toEqual([]);
  });
});

describe('restoreRemediation (the logic behind the Restorer)', () => {
  it('a change between our read and our write (412): conflict, rule untouched, the exception revoked', async () => {
    const { h } = await setUp();
    const remediated = await aliceOpensRdp(h);
    // bob edits the rule right after the restorer read it: our If-Match PUT must be refused
    const racing: ResourceGateway = {
      read: (id) => h.deps.gateway.read(id),
      apply: (plan, current) => h.deps.gateway.apply(plan, current),
      async restoreState(id, before, etag) {
        await bobTouchesRule('edited concurrently');
        return h.deps.gateway.restoreState(id, before, etag);
      },
    };
    await expect(
      restoreRemediation({ ...h.deps, gateway: racing }, remediated, { approver: APPROVER, ...approval(1) }),
    ).rejects.toBeInstanceOf(RestoreConflictError);
    await settle(h);
    expect(ruleNow()).toMatchObject({ access: 'Deny', description: 'edited concurrently' });
    const exceptions = await h.deps.exceptions.list();
    expect(exceptions).toHaveLength(1);
    expect(exceptions[0]?.revokedBy).toMatch(/restore of .* failed/);
    expect(await h.deps.exceptions.active(clock())).toEqual([]);
    expect((await h.records()).filter((r) => r.outcome === 'restored')).toEqual([]);
  });

  it('storage account: allowBlobPublicAccess back to true under an account-scoped exception', async () => {
    const { h } = await setUp();
    await clientsFor(sandbox, ALICE).storage.storageAccounts.update(
      'rg-portal',
      'phiportal01',
      storagePatch({ allowBlobPublicAccess: true }),
    );
    const [remediated] = await settle(h);
    if (!remediated) throw new Error('no record');
    expect(remediated).toMatchObject({ controlId: 'STG-PUBLIC-BLOB', outcome: 'remediated' });
    const result = await restoreRemediation(h.deps, remediated, { approver: APPROVER, ...approval(7) });
    if ('pending' in result) throw new Error('storage restores are single-step');
    await settle(h);
    expect(sandbox.getResource(ACCOUNT)?.properties.allowBlobPublicAccess).toBe(true);
    expect(result.exception).toMatchObject({
      controlId: 'STG-PUBLIC-BLOB',
      scope: ACCOUNT,
      approvedBy: APPROVER,
    });
    expect(result.exception.ruleName).toBeUndefined();
    expect(result.record).toMatchObject({
      outcome: 'restored',
      before: { allowBlobPublicAccess: false },
      after: { allowBlobPublicAccess: true },
    });
  });
});
