import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ControlId } from '../../../lib/controls/types.js';
import { hasOpenFailures } from '../../../lib/sweep/report.js';
import { runSweep } from '../../../lib/sweep/run.js';
import type { SweepProgress, SweepResult } from '../../../lib/sweep/types.js';
import {
  accountId,
  containerIdOf,
  type Harness,
  MIXED_EXPECTED_PER_SUBSCRIPTION,
  mixedEstate,
  nsgIdOf,
  sharedExceptions,
  startHarness,
} from './harness.js';

const SUBS = [
  'aaaaaaaa-0000-4000-8000-000000000001',
  'aaaaaaaa-0000-4000-8000-000000000002',
  'aaaaaaaa-0000-4000-8000-000000000003',
];

/** Total evidence records, by recomputing the chains (also proves the chain is intact). */
async function evidenceCount(harness: Harness): Promise<number> {
  const result = await harness.runtime.evidence.verify();
  expect(result.problems).toEqual([]);
  return result.records;
}

describe('monthly sweep, in process, mixed estate across 3 subscriptions', () => {
  let harness: Harness;
  let first: SweepResult;
  const progress: SweepProgress[] = [];

  beforeAll(async () => {
    harness = await startHarness({
      subscriptions: SUBS,
      scenario: mixedEstate(SUBS),
      exceptions: sharedExceptions(SUBS),
    });
    first = await runSweep({
      subscriptions: SUBS,
      sweepId: '2026-11',
      deps: harness.runtime,
      onProgress: (p) => progress.push(p),
    });
  });
  afterAll(async () => harness?.stop());

  it('handles every drift per mode and reports totals that match the estate', () => {
    expect(first.subscriptions.map((s) => [s.subscriptionId, s.status, s.errors])).toEqual(
      SUBS.map((s) => [s, 'ok', []]),
    );
    for (const [control, expected] of Object.entries(MIXED_EXPECTED_PER_SUBSCRIPTION) as [
      ControlId,
      { remediated: number; audit: number },
    ][]) {
      expect({
        control,
        remediated: first.byControl[control]?.remediated,
        audit: first.byControl[control]?.audit,
      }).toEqual({
        control,
        remediated: expected.remediated * SUBS.length,
        audit: expected.audit * SUBS.length,
      });
      expect(first.byControl[control]?.failed).toBe(0);
    }
    for (const sub of first.subscriptions) {
      // 7 accounts, 2 containers (stshared's: the other accounts are or were made private), 4 NSGs
      expect(sub.resources).toBe(7 + 2 + 4);
      expect(sub.counts.remediated).toBe(8);
      expect(sub.counts.audit).toBe(2);
      expect(sub.counts.exempt).toBe(1);
      expect(sub.items.find((i) => i.outcome === 'exempted')?.exceptionId).toBeTruthy();
      expect(sub.counts.pass).toBeGreaterThan(0);
    }
    expect(first.totals.fail).toBe(first.totals.remediated + first.totals.audit + first.totals.failed);
    expect(first.totals.evaluated).toBe(
      first.totals.pass + first.totals.fail + first.totals.exempt + first.totals.skipped,
    );
    // audit-mode findings remain open: the run is not clean
    expect(hasOpenFailures({ totals: first.totals, errors: [] })).toBe(true);
    const last = progress.filter((p) => p.subscriptionId === SUBS[0]).at(-1);
    expect(last).toMatchObject({ listingDone: true, listed: 13, decided: 13, remediated: 8 });
  });

  it('changed ARM exactly as the controls say', () => {
    for (const sub of SUBS) {
      const props = (id: string) => harness.sandbox.getResource(id)?.properties ?? {};
      // (guards the arm-storage 20.0.0 PATCH serialiser workaround in lib/azure/resources.ts)
      expect(props(accountId(sub, 'stpublic')).allowBlobPublicAccess).toBe(false);
      expect(props(accountId(sub, 'stlegacy')).allowBlobPublicAccess).toBe(false);
      expect(props(accountId(sub, 'sthttp')).supportsHttpsTrafficOnly).toBe(true);
      expect(props(accountId(sub, 'sttls')).minimumTlsVersion).toBe('TLS1_2');
      expect(props(containerIdOf(accountId(sub, 'stshared'), 'assets')).publicAccess).toBe('None');
      expect(props(accountId(sub, 'stshared')).allowBlobPublicAccess).toBe(true); // exempt: left alone
      // audit mode: PHI findings are reported, not changed
      expect(props(accountId(sub, 'stphi')).publicNetworkAccess).toBe('Enabled');
      const rules = (nsg: string) =>
        (props(nsgIdOf(sub, nsg)).securityRules ?? []) as {
          name: string;
          properties: Record<string, unknown>;
        }[];
      expect(rules('nsg-rdp').find((r) => r.name === 'allow-rdp')?.properties.access).toBe('Deny');
      expect(rules('nsg-rdp').find((r) => r.name === 'allow-vnet')?.properties.access).toBe('Allow');
      expect(rules('nsg-web')[0]?.properties.access).toBe('Deny');
      // surgical: only the internet source is removed, the rule stays Allow for 10.0.0.0/8
      expect(rules('nsg-mixed')[0]?.properties).toMatchObject({
        access: 'Allow',
        sourceAddressPrefixes: ['10.0.0.0/8'],
      });
    }
  });

  it('records one evidence record per (resource, control), compliant ones included', async () => {
    const records = await evidenceCount(harness);
    // the chain also holds the approved exceptions' own records (issue 11: exceptions are evidence)
    const exceptionEvents = (
      await harness.runtime.evidence.query({ outcome: 'exception-created', limit: 500 })
    ).items.length;
    expect(records - exceptionEvents).toBe(first.totals.evaluated);
    const page = await harness.runtime.evidence.query({
      resource: accountId(SUBS[0] ?? '', 'stlocked'),
      limit: 50,
    });
    expect(page.items.length).toBeGreaterThan(0);
    expect(
      page.items.every((r) => r.trigger === 'sweep' && r.sweepId === '2026-11' && r.outcome === 'compliant'),
    ).toBe(true);
    expect(new Set(page.items.map((r) => r.controlId)).size).toBe(page.items.length);
    // the container behind allowBlobPublicAccess=false is never listed, so it has no evidence
    const hidden = await harness.runtime.evidence.query({
      resource: containerIdOf(accountId(SUBS[0] ?? '', 'stlocked'), 'ignored'),
    });
    expect(hidden.items).toEqual([]);
  });

  it('re-running the same month adds no duplicates and writes nothing to ARM', async () => {
    const before = await evidenceCount(harness);
    harness.sandbox.resetStats();
    const again = await runSweep({ subscriptions: SUBS, sweepId: '2026-11', deps: harness.runtime });
    expect(again.subscriptions.every((s) => s.status === 'ok')).toBe(true);
    expect(await evidenceCount(harness)).toBe(before);
    expect(harness.sandbox.stats().requests.writes).toBe(0);
    expect(again.totals.remediated).toBe(0);
  });

  it('a dry run lists and evaluates but neither writes ARM nor evidence', async () => {
    // put one drift back, then dry-run a new month
    const sub = SUBS[1] ?? '';
    harness.sandbox.seed({
      resources: [
        {
          id: accountId(sub, 'sttls'),
          kind: 'StorageV2',
          properties: {
            allowBlobPublicAccess: false,
            supportsHttpsTrafficOnly: true,
            minimumTlsVersion: 'TLS1_0',
          },
        },
      ],
    });
    const before = await evidenceCount(harness);
    harness.sandbox.resetStats();
    const dry = await runSweep({
      subscriptions: [sub],
      sweepId: '2026-12',
      dryRun: true,
      deps: harness.runtime,
    });
    expect(dry.dryRun).toBe(true);
    expect(dry.byControl['STG-MIN-TLS']).toMatchObject({ fail: 1, audit: 1, remediated: 0 });
    expect(dry.subscriptions[0]?.items.find((i) => i.controlId === 'STG-MIN-TLS')?.action).toMatch(/dry run/);
    expect(harness.sandbox.stats().requests.writes).toBe(0);
    expect(await evidenceCount(harness)).toBe(before);
    expect(harness.sandbox.getResource(accountId(sub, 'sttls'))?.properties.minimumTlsVersion).toBe('TLS1_0');
  });
});
