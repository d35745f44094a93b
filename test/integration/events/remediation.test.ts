import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Sandbox, Scenario } from '../../../lib/dev/arm-sandbox/index.js';
import type { EvidenceRecord } from '../../../lib/evidence/types.js';
import { PARTNER_API, RDP_FROM_ANY } from '../../support/rules.js';
import {
  ACCOUNT,
  ALICE,
  baseScenario,
  CONTAINER,
  clientsFor,
  createHarness,
  type Harness,
  NSG,
  nsgRule,
  SELF,
  startSandboxWithWebhook,
  storagePatch,
  type Webhook,
} from './harness.js';

/**
 * For each control: a drift made through the real SDK as alice → the sandbox's Event Grid event
 * → the webhook → handleResourceChange → ARM re-read and surgical revert → one evidence record in
 * the real TableEvidenceStore (Azurite) with actor alice and the exact before/after.
 */

const azurite = inject('azurite');
let sandbox: Sandbox;
let webhook: Webhook;
let stopSandbox: () => Promise<void>;
let harness: Harness | null = null;

beforeAll(async () => {
  ({ sandbox, webhook, stop: stopSandbox } = await startSandboxWithWebhook(() => harness));
});
afterAll(() => stopSandbox());
afterEach(() => {
  harness = null;
});

async function setUp(
  options: {
    scenario?: Scenario;
    env?: Record<string, string>;
    schema?: 'EventGrid' | 'CloudEvents' | 'ResourceNotifications';
  } = {},
) {
  sandbox.reset();
  sandbox.seed(options.scenario ?? baseScenario());
  harness = await createHarness(sandbox, {
    connectionString: azurite.connectionString,
    env: options.env ?? {},
  });
  await sandbox.setWebhook({ url: webhook.url, schema: options.schema ?? 'EventGrid', retryBaseMs: 100 });
  sandbox.resetStats();
  return harness;
}

async function settle(h: Harness): Promise<EvidenceRecord[]> {
  await sandbox.waitForEventsIdle();
  expect(h.errors).toEqual([]);
  return h.records();
}

const props = (id: string) => sandbox.getResource(id)?.properties ?? {};
const rule = (name: string) => nsgRule(sandbox, name);

describe('automatic response: storage account controls', () => {
  it.each([
    ['STG-PUBLIC-BLOB', { allowBlobPublicAccess: true }, 'allowBlobPublicAccess', true, false],
    ['STG-HTTPS-ONLY', { enableHttpsTrafficOnly: false }, 'supportsHttpsTrafficOnly', false, true],
    ['STG-MIN-TLS', { minimumTlsVersion: 'TLS1_0' }, 'minimumTlsVersion', 'TLS1_0', 'TLS1_2'],
  ] as const)(
    '%s: drift by alice is reverted with one record',
    async (controlId, patch, field, before, after) => {
      const h = await setUp();
      const alice = clientsFor(sandbox, ALICE);
      await alice.storage.storageAccounts.update('rg-portal', 'phiportal01', storagePatch(patch));
      const records = await settle(h);

      expect(props(ACCOUNT)[field]).toBe(after);
      expect(records).toHaveLength(1);
      expect(records[0]).toMatchObject({
        controlId,
        outcome: 'remediated',
        trigger: 'event',
        actor: ALICE.upn,
        resourceId: ACCOUNT,
        before: { [field]: before },
        after: { [field]: after },
        subscriptionId: expect.any(String),
        criteria: expect.arrayContaining(['CC6.1']),
      });
      expect(records[0]?.eventId).toBeTruthy();
      expect(records[0]?.correlationId).toBeTruthy();
      // one read (re-read) + one PATCH by driftwarden; alice's PATCH is the other write
      expect(sandbox.stats().requests.writes).toBe(2);
      // our own write came back as an event and was ignored by the loop guard
      expect(h.results.some((r) => r.status === 'own-write')).toBe(true);
    },
  );

  it('three storage controls violated at once: one PATCH, three records with the same write', async () => {
    const h = await setUp();
    const alice = clientsFor(sandbox, ALICE);
    await alice.storage.storageAccounts.update(
      'rg-portal',
      'phiportal01',
      storagePatch({
        allowBlobPublicAccess: true,
        enableHttpsTrafficOnly: false,
        minimumTlsVersion: 'TLS1_1',
      }),
    );
    const records = await settle(h);
    expect(records.map((r) => `${r.controlId}:${r.outcome}`).sort()).toEqual([
      'STG-HTTPS-ONLY:remediated',
      'STG-MIN-TLS:remediated',
      'STG-PUBLIC-BLOB:remediated',
    ]);
    expect(props(ACCOUNT)).toMatchObject({
      allowBlobPublicAccess: false,
      supportsHttpsTrafficOnly: true,
      minimumTlsVersion: 'TLS1_2',
    });
    expect(sandbox.stats().requests.writes).toBe(2);
  });

  it('PHI controls in audit mode: audit-only records, no write', async () => {
    const h = await setUp();
    const alice = clientsFor(sandbox, ALICE);
    await alice.storage.storageAccounts.update('rg-portal', 'phiportal01', {
      publicNetworkAccess: 'Enabled',
      networkRuleSet: { defaultAction: 'Allow' },
      encryption: { keySource: 'Microsoft.Storage' },
    });
    const records = await settle(h);
    const byControl = new Map(records.map((r) => [r.controlId, r]));
    expect(byControl.get('STG-NETWORK-PHI')).toMatchObject({
      outcome: 'audit-only',
      actor: ALICE.upn,
      action: 'none (audit mode)',
    });
    expect(byControl.get('STG-CMK-PHI')).toMatchObject({
      outcome: 'audit-only',
      before: { encryptionKeySource: 'Microsoft.Storage' },
    });
    expect(records).toHaveLength(2);
    expect(records.every((r) => r.outcome === 'audit-only')).toBe(true);
    expect(sandbox.stats().requests.writes).toBe(1); // alice's only
  });

  it('global audit switch: the violation is recorded as audit-only and left in place', async () => {
    const h = await setUp({ env: { DW_AUDIT_ONLY: 'true' } });
    await clientsFor(sandbox, ALICE).storage.storageAccounts.update(
      'rg-portal',
      'phiportal01',
      storagePatch({ allowBlobPublicAccess: true }),
    );
    const records = await settle(h);
    expect(props(ACCOUNT).allowBlobPublicAccess).toBe(true);
    expect(records.filter((r) => r.controlId === 'STG-PUBLIC-BLOB')).toMatchObject([
      {
        outcome: 'audit-only',
        before: { allowBlobPublicAccess: true },
        after: { allowBlobPublicAccess: true },
      },
    ]);
    expect(sandbox.stats().requests.writes).toBe(1);
  });

  it('a matching exception: exempted record naming it, no write', async () => {
    const h = await setUp();
    const exception = await h.deps.exceptions.create({
      controlId: 'STG-PUBLIC-BLOB',
      scope: ACCOUNT,
      justification: 'public patient leaflets (approved)',
      ticket: 'CHG-1042',
      approvedBy: 'ciso@contoso.example',
      expiresOn: new Date(Date.now() + 7 * 86_400_000).toISOString(),
    });
    await clientsFor(sandbox, ALICE).storage.storageAccounts.update(
      'rg-portal',
      'phiportal01',
      storagePatch({ allowBlobPublicAccess: true }),
    );
    const records = await settle(h);
    expect(props(ACCOUNT).allowBlobPublicAccess).toBe(true);
    expect(records.filter((r) => r.controlId === 'STG-PUBLIC-BLOB')).toMatchObject([
      { outcome: 'exempted', exceptionId: exception.id, actor: ALICE.upn },
    ]);
  });

  it('loop guard: only our own remediation write is skipped; any other write by our identity is re-evaluated', async () => {
    const h = await setUp();
    // driftwarden's identity writes without a remediation behind it (someone borrowing it)
    await clientsFor(sandbox, SELF).storage.storageAccounts.update(
      'rg-portal',
      'phiportal01',
      storagePatch({ allowBlobPublicAccess: true }),
    );
    const records = await settle(h);
    expect(props(ACCOUNT).allowBlobPublicAccess).toBe(false);
    expect(records).toMatchObject([
      { controlId: 'STG-PUBLIC-BLOB', outcome: 'remediated', actor: SELF.appid },
    ]);
    // that write's event was handled; the remediation's own write event was skipped without a read
    expect(h.results.map((r) => r.status).sort()).toEqual(['handled', 'own-write']);
    expect(sandbox.stats().requests).toMatchObject({ writes: 2 });
    expect(h.logs.some((line) => line.includes('loop guard'))).toBe(true);
  });

  it('Resource Notifications schema: remediated from a re-read (the payload is only a hint)', async () => {
    const h = await setUp({ schema: 'ResourceNotifications' });
    await clientsFor(sandbox, ALICE).storage.storageAccounts.update('rg-portal', 'phiportal01', {
      minimumTlsVersion: 'TLS1_0',
    });
    const records = await settle(h);
    expect(props(ACCOUNT).minimumTlsVersion).toBe('TLS1_2');
    // RN events carry no claims: the actor is unknown, everything else is recorded
    expect(records).toMatchObject([{ controlId: 'STG-MIN-TLS', outcome: 'remediated', actor: null }]);
  });
});

describe('automatic response: blob containers', () => {
  const publicAccount: Scenario = {
    resources: baseScenario().resources.map((r) =>
      r.id === ACCOUNT ? { ...r, properties: { ...r.properties, allowBlobPublicAccess: true } } : r,
    ),
  };

  it('STG-CONTAINER-PUBLIC (CloudEvents schema): publicAccess back to None, one record', async () => {
    const h = await setUp({ scenario: publicAccount, schema: 'CloudEvents' });
    await clientsFor(sandbox, ALICE).storage.blobContainers.update('rg-portal', 'phiportal01', 'scans', {
      publicAccess: 'Container',
    });
    const records = await settle(h);
    expect(props(CONTAINER).publicAccess).toBe('None');
    expect(records).toMatchObject([
      {
        controlId: 'STG-CONTAINER-PUBLIC',
        outcome: 'remediated',
        actor: ALICE.upn,
        resourceId: CONTAINER,
        before: { publicAccess: 'Container' },
        after: { publicAccess: 'None' },
        action: 'set publicAccess=None',
      },
    ]);
  });

  it('a deleted container: resource-gone', async () => {
    const h = await setUp({ scenario: publicAccount });
    await clientsFor(sandbox, ALICE).storage.blobContainers.delete('rg-portal', 'phiportal01', 'scans');
    const records = await settle(h);
    expect(records).toMatchObject([
      { outcome: 'resource-gone', controlId: null, resourceId: CONTAINER, actor: ALICE.upn },
    ]);
  });
});

describe('automatic response: network security groups', () => {
  it('NSG-MGMT-PORT: RDP from the internet at priority 100 is set to Deny; the rule is recorded exactly as it was', async () => {
    const h = await setUp();
    const created = await clientsFor(sandbox, ALICE).network.securityRules.beginCreateOrUpdateAndWait(
      'rg-portal',
      'nsg-web',
      'allow-rdp',
      RDP_FROM_ANY,
    );
    const records = await settle(h);
    expect(rule('allow-rdp')).toMatchObject({
      access: 'Deny',
      priority: 100,
      sourceAddressPrefix: '*',
      destinationPortRange: '3389',
    });
    expect(rule('allow-https-vnet')).toMatchObject({ access: 'Allow', priority: 200 });
    expect(records).toHaveLength(1);
    const [record] = records;
    expect(record).toMatchObject({
      controlId: 'NSG-MGMT-PORT',
      outcome: 'remediated',
      actor: ALICE.upn,
      ruleName: 'allow-rdp',
      action: 'set access=Deny on rule allow-rdp',
    });
    // before = the rule exactly as ARM returned it after alice's write
    expect(record?.before).toEqual(JSON.parse(JSON.stringify(created)));
    expect(record?.after).toMatchObject({ name: 'allow-rdp', access: 'Deny', priority: 100 });
    // never a new rule, never a deleted one
    expect(((props(NSG).securityRules ?? []) as unknown[]).length).toBe(2);
  });

  it('NSG-OPEN-INBOUND: only the internet source is removed, the private one stays', async () => {
    const h = await setUp();
    await clientsFor(sandbox, ALICE).network.securityRules.beginCreateOrUpdateAndWait(
      'rg-portal',
      'nsg-web',
      'partner-api',
      PARTNER_API,
    );
    const records = await settle(h);
    expect(rule('partner-api')).toMatchObject({ access: 'Allow', sourceAddressPrefixes: ['10.20.0.0/16'] });
    expect(records).toMatchObject([
      {
        controlId: 'NSG-OPEN-INBOUND',
        outcome: 'remediated',
        actor: ALICE.upn,
        action: 'removed internet source(s) 0.0.0.0/0 from rule partner-api',
        before: { sourceAddressPrefixes: ['10.20.0.0/16', '0.0.0.0/0'] },
        after: { sourceAddressPrefixes: ['10.20.0.0/16'] },
      },
    ]);
  });

  it('a rule failing both NSG controls: one write, two records with the same action', async () => {
    const h = await setUp();
    await clientsFor(sandbox, ALICE).network.securityRules.beginCreateOrUpdateAndWait(
      'rg-portal',
      'nsg-web',
      'wide-open',
      {
        ...RDP_FROM_ANY,
        destinationPortRange: undefined,
        destinationPortRanges: ['22', '8080'],
        priority: 150,
      },
    );
    const records = await settle(h);
    expect(rule('wide-open').access).toBe('Deny');
    expect(records.map((r) => r.controlId).sort()).toEqual(['NSG-MGMT-PORT', 'NSG-OPEN-INBOUND']);
    expect(new Set(records.map((r) => r.action)).size).toBe(1);
    expect(sandbox.stats().requests.writes).toBe(2); // alice's PUT + ours
  });

  it('an NSG-level write (whole NSG PUT) re-reads the NSG and fixes only the offending rule', async () => {
    const h = await setUp();
    const alice = clientsFor(sandbox, ALICE);
    const nsg = await alice.network.networkSecurityGroups.get('rg-portal', 'nsg-web');
    await alice.network.networkSecurityGroups.beginCreateOrUpdateAndWait('rg-portal', 'nsg-web', {
      location: nsg.location,
      securityRules: [
        ...(nsg.securityRules ?? []),
        { name: 'ssh-anywhere', ...RDP_FROM_ANY, destinationPortRange: '22', priority: 110 },
      ],
    });
    const records = await settle(h);
    expect(rule('ssh-anywhere').access).toBe('Deny');
    expect(rule('allow-https-vnet').access).toBe('Allow');
    expect(records).toMatchObject([
      {
        controlId: 'NSG-MGMT-PORT',
        resourceId: NSG,
        ruleName: 'ssh-anywhere',
        outcome: 'remediated',
        // an NSG write does not say which rule it changed: alice is a hint, not the recorded actor
        actor: null,
        actorHint: ALICE.upn,
        message: expect.stringMatching(/^Found on re-read/),
      },
    ]);
  });
});

describe('engine.decide + record (the sweep path)', () => {
  const sweepCtx = {
    trigger: 'sweep' as const,
    idempotencyPrefix: 'sweep:2026-11',
    sweepId: '2026-11',
    eventId: null,
    correlationId: 'sweep-corr',
    actor: null,
    dryRun: false,
  };

  it('returns inputs without storing; record() stores them and closes the write intent', async () => {
    const h = await setUp({ env: { DW_CONTROL_MODES: 'STG-NETWORK-PHI=off' } });
    await sandbox.setWebhook(null);
    const alice = clientsFor(sandbox, ALICE);
    await alice.storage.storageAccounts.update(
      'rg-portal',
      'phiportal01',
      storagePatch({ allowBlobPublicAccess: true }),
    );
    const listed = await alice.storage.storageAccounts.getProperties('rg-portal', 'phiportal01');
    const inputs = await h.deps.engine.decide(listed, sweepCtx);
    expect(await h.records()).toEqual([]); // decide never stores
    expect(props(ACCOUNT).allowBlobPublicAccess).toBe(false); // but it did remediate
    const byControl = new Map(inputs.map((input) => [input.controlId, input]));
    expect(byControl.get('STG-PUBLIC-BLOB')).toMatchObject({
      outcome: 'remediated',
      // run, resource, control, the observed state's hash and the run id of the write's intent
      idempotencyKey: expect.stringMatching(
        new RegExp(
          `^sweep:2026-11:${escapeRegExp(ACCOUNT.toLowerCase())}:STG-PUBLIC-BLOB:[0-9a-f]{16}:w[0-9a-f-]{36}$`,
        ),
      ),
      sweepId: '2026-11',
    });
    expect(byControl.get('STG-MIN-TLS')?.outcome).toBe('compliant');
    expect(byControl.get('STG-NETWORK-PHI')?.outcome).toBe('skipped');
    const intentKey = `sweep:2026-11|${ACCOUNT.toLowerCase()}`;
    expect((await h.deps.intents.get(intentKey))?.state).toBe('pending');
    const records = await h.deps.engine.record(inputs, sweepCtx);
    expect(records).toHaveLength(inputs.length);
    expect((await h.deps.intents.get(intentKey))?.state).toBe('done');
    // the same sweep deciding the same resource again: the intent says done, nothing twice
    expect(await h.deps.engine.decide(listed, sweepCtx)).toEqual([]);
  });
});

describe('ArmResourceGateway.restoreState (on-call restore)', () => {
  it('puts a remediated rule back exactly as recorded, guarded by the ETag our write left', async () => {
    const h = await setUp();
    await clientsFor(sandbox, ALICE).network.securityRules.beginCreateOrUpdateAndWait(
      'rg-portal',
      'nsg-web',
      'allow-rdp',
      RDP_FROM_ANY,
    );
    const [record] = await settle(h);
    if (!record) throw new Error('no record');
    const etag = (record.after as { etag: string }).etag;
    const restored = await h.deps.gateway.restoreState(record.resourceId, record.before, etag);
    expect(restored.raw).toMatchObject({ access: 'Allow', sourceAddressPrefix: '*', priority: 100 });
    expect(rule('allow-rdp').access).toBe('Allow');
    // the ETag moved with the restore: restoring again from the same record is refused
    await expect(h.deps.gateway.restoreState(record.resourceId, record.before, etag)).rejects.toMatchObject({
      name: 'PreconditionFailedError',
    });
  });

  it('restores storage properties from a record', async () => {
    const h = await setUp();
    await clientsFor(sandbox, ALICE).storage.storageAccounts.update(
      'rg-portal',
      'phiportal01',
      storagePatch({ allowBlobPublicAccess: true }),
    );
    const [record] = await settle(h);
    if (!record) throw new Error('no record');
    await h.deps.gateway.restoreState(record.resourceId, record.before);
    expect(props(ACCOUNT).allowBlobPublicAccess).toBe(true);
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
