import { randomBytes } from 'node:crypto';
import azureFunctions from '@azure/functions';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createApp } from '../../../lib/app/app.js';
import { loadConfig } from '../../../lib/config.js';
import { type Sandbox, startSandbox } from '../../../lib/dev/arm-sandbox/index.js';
import { DEMO_IDS, DEMO_SUBSCRIPTION_ID, demoScenario } from '../../../lib/dev/local/demo-scenario.js';
import { DEMO_SESSION_APPS, DEMO_TENANT } from '../../../lib/dev/local/demo-tenant.js';
import { timerInfo } from '../../../lib/dev/local/timer-scheduler.js';
import { identityValidationHandler } from '../../../lib/identity/functions.js';
import {
  dailyRunId,
  type IdentityRuntime,
  runIdentityValidation,
  tenantChain,
} from '../../../lib/identity/run.js';
import { crossCheckPolicy } from '../../../lib/policy/cross-check.js';
import { ArmPolicyStatesReader } from '../../../lib/policy/states.js';
import { monthlySweepHandler } from '../../../lib/sweep/functions.js';
import { monthSweepId } from '../../../lib/sweep/run.js';

const { InvocationContext } = azureFunctions;

/**
 * The identity use case end to end with the real clients: the app's Graph adapter reads the demo
 * tenant from the sandbox, the controls judge it, evidence lands in Azurite; then Azure Policy's
 * states (the real @azure/arm-policyinsights client) are reconciled with that evidence.
 */
describe('identity validation and the Azure Policy cross-check on the sandbox + Azurite', () => {
  let sandbox: Sandbox;
  let identity: IdentityRuntime;
  let app: ReturnType<typeof createApp>;
  const now = new Date();
  let tick = 0;

  beforeAll(async () => {
    sandbox = await startSandbox({ pageSize: 3, graphPageSize: 2, scenario: demoScenario() });
    const suffix = randomBytes(5).toString('hex');
    app = createApp(
      loadConfig({
        DW_STORAGE: inject('azurite').connectionString,
        DW_EVIDENCE_TABLE: `idev${suffix}`,
        DW_EXCEPTIONS_TABLE: `idex${suffix}`,
        DW_SWEEP_QUEUE: `idsweep-${suffix}`,
        DW_REPORTS_CONTAINER: `idreports-${suffix}`,
        DW_SUBSCRIPTION_IDS: DEMO_SUBSCRIPTION_ID,
        DW_ARM_ENDPOINT: sandbox.url,
        DW_GRAPH_ENDPOINT: sandbox.graphUrl,
        DW_IDENTITY_SESSION_APPS: DEMO_SESSION_APPS,
      }),
      {
        credential: sandbox.credential(),
        armConnection: {
          credential: sandbox.credential(),
          endpoint: sandbox.url,
          clientOptions: sandbox.clientOptions(),
        },
        graph: { agent: sandbox.clientOptions().agent },
        // advancing, so "newest record" is well defined between runs
        clock: () => new Date(now.getTime() + tick++),
        log: () => {},
      },
    );
    const runtime = await app.identity();
    if (!runtime) throw new Error('identity validation is enabled by default');
    identity = runtime;
  });
  afterAll(() => sandbox.stop());

  it('finds the demo tenant’s excluded admin, unreviewed role and long scheduling sessions, and records evidence', async () => {
    const result = await runIdentityValidation(identity, { runId: 'identity-test-1', trigger: 'sweep' });
    const failing = result.findings
      .filter((f) => f.status === 'fail')
      .map((f) => [f.controlId, f.resourceId.split('/').pop()]);
    expect(failing).toEqual([
      ['IDN-MFA-EXCLUSION', DEMO_TENANT.users.svcBackup],
      ['IDN-SESSION-TIMEOUT', DEMO_TENANT.apps.scheduling],
      ['IDN-ACCESS-REVIEW', DEMO_TENANT.roles.securityAdmin],
    ]);
    const excluded = result.findings.find((f) => f.status === 'fail' && f.controlId === 'IDN-MFA-EXCLUSION');
    expect(excluded?.message).toMatch(/svc-backup@contoso\.example.*excluded via group/);
    expect(result.counts).toMatchObject({ fail: 3, exempt: 0 });
    expect(result.records).toBe(result.counts.pass + result.counts.fail);

    const evidence = await app.evidence();
    const page = await evidence.query({ subscription: tenantChain(result.tenantId), limit: 1000 });
    expect(page.items).toHaveLength(result.records);
    expect(
      page.items
        .filter((r) => r.outcome === 'audit-only')
        .map((r) => r.controlId)
        .sort(),
    ).toEqual(['IDN-ACCESS-REVIEW', 'IDN-MFA-EXCLUSION', 'IDN-SESSION-TIMEOUT']);
    // audit only: nothing in the sandbox's Graph is writable, and nothing tried
    expect(
      sandbox
        .requestLog()
        .filter((e) => e.path.startsWith('/graph/') && e.method !== 'GET' && !e.path.endsWith('$batch')),
    ).toEqual([]);

    // the same run again (a retried timer): no second record
    const again = await runIdentityValidation(identity, { runId: 'identity-test-1', trigger: 'sweep' });
    expect(again.records).toBe(result.records);
    expect(
      (await evidence.query({ subscription: tenantChain(result.tenantId), limit: 1000 })).items,
    ).toHaveLength(result.records);
    expect((await evidence.verify()).ok).toBe(true);
  });

  it('reads policy states with the real Policy Insights client, paged and filtered', async () => {
    const reader = new ArmPolicyStatesReader({
      credential: sandbox.credential(),
      endpoint: sandbox.url,
      clientOptions: sandbox.clientOptions(),
    });
    const rows = await reader.read(
      DEMO_SUBSCRIPTION_ID,
      ['fe83a0eb-a853-422d-aac2-1bffd182c5d0', '4fa4b6c0-31ca-4c0d-b10d-24b96f62a751'],
      null,
    );
    expect(rows).toHaveLength(6); // two pages of 3; the secure-transfer and MFA states are filtered out
    expect(new Set(rows.map((r) => r.policyDefinitionName))).toEqual(
      new Set(['fe83a0eb-a853-422d-aac2-1bffd182c5d0', '4fa4b6c0-31ca-4c0d-b10d-24b96f62a751']),
    );
    expect(
      sandbox
        .requestLog()
        .filter((e) => e.path.toLowerCase().endsWith('/policystates/latest/queryresults'))
        .map((e) => e.method)
        .slice(-2),
    ).toEqual(['POST', 'GET']);

    // the SOC 2 initiative: one $top=1 probe, however many states it has
    const other = 'cccccccc-0000-4000-8000-000000000003';
    sandbox.seed({
      resources: [],
      policyStates: Array.from({ length: 7 }, (_, i) => ({
        resourceId: `/subscriptions/${other}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/st${i}`,
        policyDefinitionId: `11111111-0000-4000-8000-00000000000${i}`,
        policySetDefinitionId: app.config.soc2InitiativeId,
        complianceState: 'Compliant',
      })),
    });
    const probe = await reader.read(
      other,
      ['fe83a0eb-a853-422d-aac2-1bffd182c5d0'],
      app.config.soc2InitiativeId,
    );
    expect(probe).toHaveLength(1);
    expect(probe[0]?.policySetDefinitionName).toBe(app.config.soc2InitiativeId);
  });

  it('reconciles Azure Policy with driftwarden’s evidence: agreements, disagreements, missing assignments', async () => {
    const sweep = await app.sweep();
    // the ARM side: one sweep of the demo subscription, recording verdicts (audit mode: nothing is reverted here)
    const { sweepOneSubscription } = await import('../../../lib/sweep/run.js');
    await sweepOneSubscription(DEMO_SUBSCRIPTION_ID, { sweepId: 'xcheck', deps: sweep, dryRun: false });
    const result = await crossCheckPolicy(
      {
        states: new ArmPolicyStatesReader(app.arm().connection),
        evidence: await app.evidence(),
        soc2InitiativeId: app.config.soc2InitiativeId,
      },
      [DEMO_SUBSCRIPTION_ID],
      { since: new Date(now.getTime() - 86_400_000) },
    );
    const row = (resourceId: string, controlId: string) =>
      result.rows.find((r) => r.resourceId === resourceId && r.controlId === controlId);
    expect(row(DEMO_IDS.patientAccount, 'STG-PUBLIC-BLOB')).toMatchObject({
      policyState: 'NonCompliant',
      agreement: 'disagree',
      ours: 'remediated',
    });
    expect(row(DEMO_IDS.schedulingAccount, 'STG-MIN-TLS')).toMatchObject({
      policyState: 'NonCompliant',
      agreement: 'disagree',
      ours: 'remediated',
    });
    expect(row(DEMO_IDS.telehealthAccount, 'STG-MIN-TLS')).toMatchObject({
      policyState: 'NonCompliant',
      ours: 'pass',
      agreement: 'disagree',
    });
    expect(row(DEMO_IDS.telehealthAccount, 'STG-PUBLIC-BLOB')).toMatchObject({
      agreement: 'agree',
      ours: 'pass',
    });
    // Azure Policy's MFA-for-owners is compliant; driftwarden's tenant verdict on exclusions fails
    const subscription = `/subscriptions/${DEMO_SUBSCRIPTION_ID}`;
    expect(row(subscription, 'IDN-ADMIN-MFA')).toMatchObject({ agreement: 'agree', ours: 'pass' });
    expect(row(subscription, 'IDN-MFA-EXCLUSION')).toMatchObject({ agreement: 'disagree', ours: 'fail' });
    expect(result.gaps).toEqual([
      expect.objectContaining({ subscriptionId: DEMO_SUBSCRIPTION_ID, soc2InitiativeAssigned: false }),
    ]);
    expect(result.gaps[0]?.missingDefinitions).toContain('931e118d-50a1-4457-a5e4-78550e086c52');
    expect(result.errors).toEqual([]);

    // what the monthly report's assembly calls (App.sweep() wires it for assembleReport)
    const wired = await sweep.policyCrossCheck?.([DEMO_SUBSCRIPTION_ID]);
    expect(wired?.totals).toEqual(result.totals);
  });
  it('an exception scoped to the break-glass user’s object id exempts just that user', async () => {
    const exceptions = await app.exceptions();
    const exception = await exceptions.create({
      controlId: 'IDN-MFA-EXCLUSION',
      scope: DEMO_TENANT.users.svcBackup,
      justification: 'Break-glass style service account; sign-ins alert the SOC',
      ticket: 'SEC-42',
      approvedBy: 'ciso@contoso.example',
      expiresOn: new Date(now.getTime() + 30 * 86_400_000).toISOString(),
    });
    const result = await runIdentityValidation(identity, { runId: 'identity-test-2', trigger: 'sweep' });
    const finding = result.findings.find(
      (f) => f.controlId === 'IDN-MFA-EXCLUSION' && f.resourceId.endsWith(DEMO_TENANT.users.svcBackup),
    );
    expect(finding).toMatchObject({ status: 'exempt', exceptionId: exception.id });
    const records = (
      await (await app.evidence()).query({ control: 'IDN-MFA-EXCLUSION', outcome: 'exempted', limit: 10 })
    ).items;
    expect(records.map((r) => r.exceptionId)).toEqual([exception.id]);
    await exceptions.revoke(exception.id, 'ciso@contoso.example');
  });

  it('the daily timer and the monthly sweep run the same validation under their own run ids', async () => {
    const lines: string[] = [];
    const context = new InvocationContext({
      functionName: 'identityValidation',
      logHandler: (_level, ...args) => lines.push(args.map(String).join(' ')),
    });
    const timer = timerInfo(null, null, false);
    await identityValidationHandler(async () => identity)(timer, context);
    const daily = dailyRunId(now);
    const evidence = await app.evidence();
    const records = async (runId: string) =>
      (await evidence.query({ control: 'IDN-ACCESS-REVIEW', limit: 100 })).items.filter(
        (r) => r.sweepId === runId,
      );
    expect((await records(daily)).map((r) => r.outcome).sort()).toEqual(['audit-only', 'compliant']);
    expect(lines.join('\n')).toMatch(/IDN-ACCESS-REVIEW .*Security Administrator/);

    await monthlySweepHandler(async () => app.sweep())(
      timer,
      new InvocationContext({ functionName: 'monthlySweep' }),
    );
    expect(await records(monthSweepId(new Date(now.getTime() + tick)))).toHaveLength(2);

    const off: string[] = [];
    await identityValidationHandler(async () => null)(
      timer,
      new InvocationContext({
        functionName: 'identityValidation',
        logHandler: (_l, ...args) => off.push(String(args[0])),
      }),
    );
    expect(off.join('')).toMatch(/DW_IDENTITY_ENABLED is false/);
  });
});
