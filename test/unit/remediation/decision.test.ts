import { describe, expect, it } from 'vitest';
import { defaultEvaluationSettings } from '../../../lib/controls/settings.js';
import type { ControlException, ControlId, Mode } from '../../../lib/controls/types.js';
import {
  type DecisionInput,
  decideResource,
  failedRecords,
  intentWrites,
  remediatedRecords,
} from '../../../lib/remediation/decision.js';
import { stateHash } from '../../../lib/remediation/records.js';
import { snapshotOf } from '../../../lib/remediation/state.js';
import type { DecisionContext, Intent } from '../../../lib/remediation/types.js';
import { normalizeResource } from '../../../lib/resources/normalize.js';

const SUB = '00000000-0000-4000-8000-000000000001';
const SA = `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/acct`;
const NSG = `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/nsg`;
const NOW = new Date('2026-11-15T00:00:00Z');

const SWEEP: DecisionContext = {
  trigger: 'sweep',
  idempotencyPrefix: 'sweep:2026-11',
  eventId: null,
  correlationId: 'corr',
  actor: null,
  sweepId: '2026-11',
};
const EVENT: DecisionContext = {
  trigger: 'event',
  idempotencyPrefix: 'event:e1',
  eventId: 'e1',
  correlationId: 'corr',
  actor: 'alice@contoso.com',
};

/** Public blob access on and TLS 1.0: two failing controls fixed by one properties write. */
function account(overrides: Record<string, unknown> = {}) {
  return {
    id: SA,
    name: 'acct',
    type: 'Microsoft.Storage/storageAccounts',
    tags: {},
    allowBlobPublicAccess: true,
    enableHttpsTrafficOnly: true,
    minimumTlsVersion: 'TLS1_0',
    encryption: { keySource: 'Microsoft.Storage' },
    publicNetworkAccess: 'Enabled',
    networkRuleSet: { defaultAction: 'Allow' },
    ...overrides,
  };
}

const openRule = {
  name: 'allow-rdp',
  id: `${NSG}/securityRules/allow-rdp`,
  etag: 'W/"1"',
  protocol: 'Tcp',
  sourcePortRange: '*',
  sourceAddressPrefix: '0.0.0.0/0',
  destinationPortRange: '3389',
  destinationAddressPrefix: '*',
  access: 'Allow',
  priority: 100,
  direction: 'Inbound',
};

function inputFor(raw: unknown, options: Partial<Omit<DecisionInput, 'snapshot' | 'resource'>> = {}) {
  const snapshot = snapshotOf(raw);
  const resource = normalizeResource(snapshot.raw);
  if (!resource) throw new Error('fixture does not normalise');
  return {
    snapshot,
    resource,
    ctx: SWEEP,
    settings: defaultEvaluationSettings,
    exceptions: [],
    now: NOW,
    modes: (): Mode => 'remediate',
    recovered: null,
    ...options,
  } satisfies DecisionInput;
}

const outcomes = (records: Array<{ controlId: ControlId | null; outcome: string }>) =>
  records.map((record) => [record.controlId, record.outcome]);

describe('decideResource', () => {
  it('merges the failing storage controls into one write and records the passing ones on a sweep', () => {
    const decision = decideResource(inputFor(account()));
    expect(decision.writes).toHaveLength(1);
    const [write] = decision.writes;
    expect(write).toMatchObject({
      writeKey: 'properties',
      controls: ['STG-PUBLIC-BLOB', 'STG-MIN-TLS'],
      plan: {
        kind: 'storage-account-properties',
        set: { allowBlobPublicAccess: false, minimumTlsVersion: 'TLS1_2' },
      },
      // keyed by control, so recovery can split it into one record per control
      before: {
        'STG-PUBLIC-BLOB': { allowBlobPublicAccess: true },
        'STG-MIN-TLS': { minimumTlsVersion: 'TLS1_0' },
      },
    });
    // not tagged PHI: the PHI controls are not applicable and leave no record
    expect(outcomes(decision.records)).toEqual([['STG-HTTPS-ONLY', 'compliant']]);
    // keyed by run, resource, control and the observed state of that control
    expect(decision.records[0]?.idempotencyKey).toBe(
      `sweep:2026-11:${SA.toLowerCase()}:STG-HTTPS-ONLY:${stateHash({ supportsHttpsTrafficOnly: true })}`,
    );
  });

  it('records nothing for passing or switched-off controls on an event, and skips off controls on a sweep', () => {
    const modes = (id: ControlId): Mode => (id === 'STG-MIN-TLS' ? 'off' : 'remediate');
    const event = decideResource(inputFor(account(), { ctx: EVENT, modes }));
    expect(event.records).toEqual([]);
    expect(event.writes.map((write) => write.controls)).toEqual([['STG-PUBLIC-BLOB']]);

    const sweep = decideResource(inputFor(account(), { modes }));
    expect(outcomes(sweep.records)).toEqual([
      ['STG-HTTPS-ONLY', 'compliant'],
      ['STG-MIN-TLS', 'skipped'],
    ]);
  });

  it('honours audit mode, an active exception and dry run without planning a write for them', () => {
    const exception: ControlException = {
      id: 'ex-1',
      controlId: 'STG-PUBLIC-BLOB',
      scope: SA,
      justification: 'public website assets',
      ticket: 'CHG-1',
      approvedBy: 'bob@contoso.com',
      approvedOn: '2026-11-01T00:00:00Z',
      expiresOn: '2026-12-01T00:00:00Z',
    };
    const modes = (id: ControlId): Mode => (id === 'STG-MIN-TLS' ? 'audit' : 'remediate');
    const decision = decideResource(inputFor(account(), { ctx: EVENT, modes, exceptions: [exception] }));
    expect(decision.writes).toEqual([]);
    expect(
      decision.records.map(({ controlId, outcome, action, exceptionId }) => ({
        controlId,
        outcome,
        action,
        exceptionId,
      })),
    ).toEqual([
      {
        controlId: 'STG-PUBLIC-BLOB',
        outcome: 'exempted',
        action: 'none (exception ex-1)',
        exceptionId: 'ex-1',
      },
      { controlId: 'STG-MIN-TLS', outcome: 'audit-only', action: 'none (audit mode)', exceptionId: null },
    ]);
    expect(decision.records[0]?.idempotencyKey).toBe(
      `event:e1:STG-PUBLIC-BLOB:${stateHash({ allowBlobPublicAccess: true })}`,
    );

    const expired = decideResource(
      inputFor(account(), { ctx: EVENT, exceptions: [exception], now: new Date('2026-12-02T00:00:00Z') }),
    );
    expect(expired.writes[0]?.controls).toEqual(['STG-PUBLIC-BLOB', 'STG-MIN-TLS']);

    const dry = decideResource(inputFor(account(), { ctx: { ...EVENT, dryRun: true } }));
    expect(dry.writes).toEqual([]);
    expect(dry.records.map((record) => record.action)).toEqual([
      'dry run: would set allowBlobPublicAccess=false',
      'dry run: would set minimumTlsVersion=TLS1_2',
    ]);
  });

  it('plans one write per security rule, announcing the rule exactly as ARM returned it', () => {
    const nsg = {
      id: NSG,
      name: 'nsg',
      type: 'Microsoft.Network/networkSecurityGroups',
      securityRules: [openRule],
    };
    const decision = decideResource(inputFor(nsg, { ctx: EVENT }));
    expect(decision.writes.map((write) => write.writeKey)).toEqual(['rule:allow-rdp']);
    const [write] = decision.writes;
    expect(write?.controls).toContain('NSG-MGMT-PORT');
    expect(write?.before).toEqual(openRule);
    expect(write?.findings.every((finding) => finding.ruleName === 'allow-rdp')).toBe(true);
  });
});

describe('recovery from an earlier attempt’s intent', () => {
  const pending = (writes: Intent['writes']): Intent => ({
    key: `event:e1|${SA.toLowerCase()}`,
    resourceId: SA,
    state: 'pending',
    leaseUntil: '2026-11-14T23:59:00Z',
    writes,
  });

  it('records a landed write as remediated from the intent and re-plans what still fails', () => {
    const recovered = pending([
      {
        writeKey: 'properties',
        controls: ['STG-PUBLIC-BLOB', 'STG-MIN-TLS'],
        plan: {
          kind: 'storage-account-properties',
          set: { allowBlobPublicAccess: false, minimumTlsVersion: 'TLS1_2' },
        },
        before: {
          'STG-PUBLIC-BLOB': { allowBlobPublicAccess: true },
          'STG-MIN-TLS': { minimumTlsVersion: 'TLS1_0' },
        },
      },
    ]);
    // public access is off now (the earlier write landed), TLS is back to 1.0 (someone changed it again)
    const input = inputFor(account({ allowBlobPublicAccess: false }), { ctx: EVENT, recovered });
    const decision = decideResource(input);
    expect(decision.records).toHaveLength(1);
    expect(decision.records[0]).toMatchObject({
      controlId: 'STG-PUBLIC-BLOB',
      outcome: 'remediated',
      action: 'set allowBlobPublicAccess=false',
      message: 'Remediation completed by an earlier attempt; recorded from its write intent.',
      before: { allowBlobPublicAccess: true },
      after: { allowBlobPublicAccess: false },
      // the key of the write's record: the state it replaced, and the run of the intent (none here)
      idempotencyKey: `event:e1:STG-PUBLIC-BLOB:${stateHash({ allowBlobPublicAccess: true })}`,
    });
    expect(decision.writes.map((write) => write.controls)).toEqual([['STG-MIN-TLS']]);
    // the new intent replaces the recovered write by this round's write to the same key
    expect(intentWrites(recovered, decision.writes)).toEqual([
      {
        writeKey: 'properties',
        controls: ['STG-MIN-TLS'],
        plan: { kind: 'storage-account-properties', set: { minimumTlsVersion: 'TLS1_2' } },
        before: { 'STG-MIN-TLS': { minimumTlsVersion: 'TLS1_0' } },
      },
    ]);
  });

  it('claims nothing for a rule deleted since the intent was written', () => {
    const recovered = pending([
      {
        writeKey: 'rule:allow-rdp',
        controls: ['NSG-MGMT-PORT'],
        plan: { kind: 'nsg-rule-deny', ruleName: 'allow-rdp' },
        before: openRule,
      },
    ]);
    const nsg = { id: NSG, name: 'nsg', type: 'Microsoft.Network/networkSecurityGroups', securityRules: [] };
    const decision = decideResource(inputFor(nsg, { ctx: EVENT, recovered }));
    expect(decision).toEqual({ records: [], writes: [] });
    // kept on the intent: nothing this round writes replaces it
    expect(intentWrites(recovered, decision.writes)).toEqual(recovered.writes);
  });
});

describe('records of a write', () => {
  it('describe what ARM accepted, or what it refused, per control', () => {
    const input = inputFor(account(), { ctx: EVENT });
    const [write] = decideResource(input).writes;
    if (!write) throw new Error('expected a write');
    const written = snapshotOf(account({ allowBlobPublicAccess: false, minimumTlsVersion: 'TLS1_2' }));
    expect(
      remediatedRecords(input, write, written, 'run-1').map(
        ({ controlId, outcome, action, before, after }) => ({
          controlId,
          outcome,
          action,
          before,
          after,
        }),
      ),
    ).toEqual([
      {
        controlId: 'STG-PUBLIC-BLOB',
        outcome: 'remediated',
        action: 'set allowBlobPublicAccess=false',
        before: { allowBlobPublicAccess: true },
        after: { allowBlobPublicAccess: false },
      },
      {
        controlId: 'STG-MIN-TLS',
        outcome: 'remediated',
        action: 'set minimumTlsVersion=TLS1_2',
        before: { minimumTlsVersion: 'TLS1_0' },
        after: { minimumTlsVersion: 'TLS1_2' },
      },
    ]);
    const failed = failedRecords(input, write, 'ARM refused the remediation: policy denies it', 'run-1');
    expect(failed.map((record) => [record.outcome, record.action, record.message])).toEqual([
      [
        'remediation-failed',
        'attempted: set allowBlobPublicAccess=false',
        'ARM refused the remediation: policy denies it',
      ],
      [
        'remediation-failed',
        'attempted: set minimumTlsVersion=TLS1_2',
        'ARM refused the remediation: policy denies it',
      ],
    ]);
    // nothing changed: the state before is the state after
    expect(failed[0]?.before).toEqual({ allowBlobPublicAccess: true });
    expect(failed[0]?.after).toEqual(failed[0]?.before);
  });
});
