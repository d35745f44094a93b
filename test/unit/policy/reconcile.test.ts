import { describe, expect, it } from 'vitest';
import { CONTROL_POLICY_MAP, type CrossCheckResult } from '../../../lib/policy/cross-check.js';
import { type OurVerdict, reconcile } from '../../../lib/policy/reconcile.js';
import { renderPolicySection } from '../../../lib/policy/render.js';
import type { PolicyStateRow } from '../../../lib/policy/states.js';
import { escapeHtml } from '../../../lib/sweep/report.js';

const SUB_A = 'aaaaaaaa-0000-4000-8000-000000000001';
const SUB_B = 'bbbbbbbb-0000-4000-8000-000000000002';
const SOC2 = '4054785f-702b-4a98-9215-009cbd58b141';
const TLS = 'fe83a0eb-a853-422d-aac2-1bffd182c5d0';
const PUBLIC = '4fa4b6c0-31ca-4c0d-b10d-24b96f62a751';
const MFA_OWNERS = 'e3e008c3-56b9-4133-8fd7-d3347377402a';
const account = (sub: string, name: string) =>
  `/subscriptions/${sub}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/${name}`;

function state(
  resourceId: string,
  definition: string,
  complianceState: string,
  initiative: string | null = null,
): PolicyStateRow {
  return {
    subscriptionId: resourceId.split('/')[2] ?? '',
    resourceId,
    resourceType: resourceId.includes('/providers/') ? 'Microsoft.Storage/storageAccounts' : '',
    policyDefinitionName: definition,
    policySetDefinitionName: initiative,
    policyAssignmentId: '/assignments/x',
    complianceState,
    timestamp: null,
  };
}

const ours: Record<string, OurVerdict> = {
  [`${account(SUB_A, 'good')}|STG-MIN-TLS`]: 'pass',
  [`${account(SUB_A, 'old')}|STG-MIN-TLS`]: 'fail',
  [`${account(SUB_A, 'fixed')}|STG-PUBLIC-BLOB`]: 'remediated',
  [`${account(SUB_A, 'stale')}|STG-MIN-TLS`]: 'pass',
  [`${account(SUB_A, 'excepted')}|STG-PUBLIC-BLOB`]: 'exempt',
};

function run(states: PolicyStateRow[], tenant: Record<string, OurVerdict> = {}) {
  return reconcile({
    subscriptions: [SUB_A, SUB_B],
    controls: CONTROL_POLICY_MAP,
    states,
    verdict: (resourceId, controlId) => ours[`${resourceId}|${controlId}`] ?? null,
    tenantVerdict: (controlId) => tenant[controlId] ?? null,
    soc2InitiativeId: SOC2,
  });
}

describe('Azure Policy reconciliation', () => {
  it('maps every control with policy definitions (ARM and tenant-level)', () => {
    const ids = CONTROL_POLICY_MAP.map((c) => c.controlId);
    expect(ids).toContain('STG-MIN-TLS');
    expect(ids).toContain('IDN-ADMIN-MFA');
    expect(ids).not.toContain('IDN-SESSION-TIMEOUT'); // no built-in definition
    expect(CONTROL_POLICY_MAP.find((c) => c.controlId === 'IDN-ADMIN-MFA')?.tenantLevel).toBe(true);
  });

  it('agrees and disagrees per resource × control', () => {
    const result = run([
      state(account(SUB_A, 'good'), TLS, 'Compliant', SOC2),
      state(account(SUB_A, 'old'), TLS, 'NonCompliant', SOC2),
      state(account(SUB_A, 'stale'), TLS, 'NonCompliant', SOC2),
      state(account(SUB_A, 'fixed'), PUBLIC, 'NonCompliant', SOC2),
      state(account(SUB_A, 'excepted'), PUBLIC, 'NonCompliant', SOC2),
      state(account(SUB_A, 'unknown'), PUBLIC, 'Compliant', SOC2),
      state(account(SUB_A, 'good'), TLS, 'Compliant'), // the same definition also assigned directly: one row
    ]);
    const by = (name: string, control: string) =>
      result.rows.find((r) => r.resourceId === account(SUB_A, name) && r.controlId === control);
    expect(by('good', 'STG-MIN-TLS')).toMatchObject({
      agreement: 'agree',
      ours: 'pass',
      policyState: 'Compliant',
    });
    expect(by('old', 'STG-MIN-TLS')).toMatchObject({ agreement: 'agree', ours: 'fail' });
    expect(by('stale', 'STG-MIN-TLS')).toMatchObject({
      agreement: 'disagree',
      note: expect.stringMatching(/Azure Policy finds it non-compliant/),
    });
    expect(by('fixed', 'STG-PUBLIC-BLOB')).toMatchObject({
      agreement: 'disagree',
      note: expect.stringMatching(/remediated/),
    });
    expect(by('excepted', 'STG-PUBLIC-BLOB')).toMatchObject({
      agreement: 'disagree',
      note: expect.stringMatching(/exempt in one view/),
    });
    expect(by('unknown', 'STG-PUBLIC-BLOB')).toMatchObject({
      agreement: 'not-compared',
      ours: 'not-evaluated',
    });
    expect(result.rows.filter((r) => r.resourceId === account(SUB_A, 'good'))).toHaveLength(1);
    expect(result.totals).toEqual({ agree: 2, disagree: 3, notCompared: 1 });
  });

  it('judges subscription-level MFA states with the tenant verdict of the identity controls', () => {
    const subscription = `/subscriptions/${SUB_A}`;
    const result = run([state(subscription, MFA_OWNERS, 'Compliant')], {
      'IDN-ADMIN-MFA': 'pass',
      'IDN-MFA-EXCLUSION': 'fail',
    });
    expect(result.rows.map((r) => [r.controlId, r.ours, r.agreement])).toEqual([
      ['IDN-ADMIN-MFA', 'pass', 'agree'],
      ['IDN-MFA-EXCLUSION', 'fail', 'disagree'],
    ]);
  });

  it('lists subscriptions lacking the assignments (no compliance state) and the SOC 2 initiative', () => {
    const result = run([state(account(SUB_A, 'good'), TLS, 'Compliant', SOC2)]);
    const a = result.gaps.find((g) => g.subscriptionId === SUB_A);
    const b = result.gaps.find((g) => g.subscriptionId === SUB_B);
    expect(a?.soc2InitiativeAssigned).toBe(true);
    expect(a?.missingDefinitions).not.toContain(TLS);
    expect(a?.missingDefinitions).toContain(PUBLIC);
    expect(b).toMatchObject({ soc2InitiativeAssigned: false });
    expect(b?.missingDefinitions).toContain(TLS);
    expect(b?.missingDefinitions).toContain(MFA_OWNERS);
  });

  it('renders the report section: disagreements, gaps, escaped text', () => {
    const result: CrossCheckResult = {
      ...run([state(account(SUB_A, 'stale<x>'), TLS, 'NonCompliant')]),
      errors: [{ subscriptionId: SUB_B, message: 'AuthorizationFailed' }],
    };
    const html = renderPolicySection(result, escapeHtml);
    expect(html).toContain('<h2>Azure Policy cross-check</h2>');
    expect(html).toContain('stale&#60;x&#62;');
    expect(html).not.toContain('stale<x>');
    expect(html).toMatch(/Subscriptions lacking assignments \(2\)/);
    expect(html).toContain('AuthorizationFailed');
    expect(renderPolicySection(undefined, escapeHtml)).toBe('');
  });
});

describe('the monthly report with the cross-check', () => {
  it('embeds the section in HTML and the data in JSON; absent when not configured', async () => {
    const { buildReport, renderHtml, renderJson } = await import('../../../lib/sweep/report.js');
    const base = {
      sweepId: '2026-12',
      generatedAt: new Date('2026-12-01T03:00:00Z'),
      dryRun: false,
      expectedSubscriptions: [],
      parts: [],
      exceptions: [],
      verification: { ok: true, chains: 0, records: 0, problems: [] },
    };
    const policyCrossCheck: CrossCheckResult = {
      ...run([state(account(SUB_A, 'stale'), TLS, 'NonCompliant')]),
      errors: [],
    };
    const report = buildReport({ ...base, policyCrossCheck });
    expect(renderHtml(report)).toContain('Azure Policy cross-check');
    expect(JSON.parse(renderJson(report)).policyCrossCheck.totals).toEqual({
      agree: 0,
      disagree: 1,
      notCompared: 0,
    });
    const without = buildReport(base);
    expect(renderHtml(without)).not.toContain('Azure Policy cross-check');
    expect('policyCrossCheck' in without).toBe(false);
  });
});
