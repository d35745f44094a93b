import { describe, expect, it } from 'vitest';
import type { Scenario } from '../../../lib/dev/arm-sandbox/index.js';
import type { EvidenceRecord } from '../../../lib/evidence/types.js';
import { runSweep } from '../../../lib/sweep/run.js';
import { accountId, nsgIdOf, startHarness } from './harness.js';

/**
 * Issue 13, reproduction 4: re-running `sweep` for the same month (the default sweep id is the
 * month). The first run closes RDP; then someone opens RDP again (the very same rule) and weakens
 * TLS on an account the first run recorded `compliant`. The re-run must remediate both and record
 * both writes under the month's sweep id — neither the first run's done intent nor its compliant
 * record may swallow them — while a repeat of one run (a queue redelivery) still adds nothing.
 */

const SUB = 'cccccccc-0000-4000-8000-000000000004';
const ACCOUNT = accountId(SUB, 'stbilling');
const NSG = nsgIdOf(SUB, 'nsg-jump');
const SECURE = { allowBlobPublicAccess: false, supportsHttpsTrafficOnly: true, minimumTlsVersion: 'TLS1_2' };
const RDP = {
  name: 'allow-rdp',
  properties: {
    protocol: 'Tcp',
    sourceAddressPrefix: '*',
    sourcePortRange: '*',
    destinationAddressPrefix: '*',
    destinationPortRange: '3389',
    access: 'Allow',
    priority: 100,
    direction: 'Inbound',
  },
};

function estate(tls: string): Scenario {
  return {
    resources: [
      {
        id: ACCOUNT,
        location: 'eastus',
        kind: 'StorageV2',
        properties: { ...SECURE, minimumTlsVersion: tls },
      },
      { id: NSG, location: 'eastus', properties: { securityRules: [RDP] } },
    ],
  };
}

const rdpAccess = (harness: {
  sandbox: { getResource(id: string): { properties: Record<string, unknown> } | undefined };
}) =>
  (
    (harness.sandbox.getResource(NSG)?.properties.securityRules ?? []) as {
      name: string;
      properties: { access: string };
    }[]
  ).find((rule) => rule.name === 'allow-rdp')?.properties.access;

async function monthRecords(runtime: {
  evidence: { query(q: object): Promise<{ items: EvidenceRecord[] }> };
}) {
  return (await runtime.evidence.query({ limit: 500 })).items.filter((r) => r.sweepId === '2026-11');
}

describe('reproduction 4: a sweep re-run never swallows a write', () => {
  it('the re-run of the month remediates the reopened rule and the weakened account, and records both writes', async () => {
    const harness = await startHarness({ subscriptions: [SUB], scenario: estate('TLS1_2') });
    try {
      const first = await runSweep({ subscriptions: [SUB], sweepId: '2026-11', deps: harness.runtime });
      expect(first.totals.remediated).toBe(1);
      expect(rdpAccess(harness)).toBe('Deny');
      const afterFirst = await monthRecords(harness.runtime);
      expect(afterFirst.find((r) => r.controlId === 'STG-MIN-TLS')?.outcome).toBe('compliant');

      // someone reopens exactly the same rule and weakens TLS (no events reach driftwarden)
      harness.sandbox.seed(estate('TLS1_0'));
      expect(rdpAccess(harness)).toBe('Allow');
      harness.sandbox.resetStats();

      const again = await runSweep({ subscriptions: [SUB], sweepId: '2026-11', deps: harness.runtime });
      expect(rdpAccess(harness)).toBe('Deny');
      expect(harness.sandbox.getResource(ACCOUNT)?.properties.minimumTlsVersion).toBe('TLS1_2');
      expect(harness.sandbox.stats().requests.writes).toBe(2);
      expect(again.totals.remediated).toBe(2);
      const all = await monthRecords(harness.runtime);
      const remediated = all.filter((r) => r.outcome === 'remediated');
      // every ARM write has its own record under the month's sweep id
      expect(remediated.map((r) => r.controlId).sort()).toEqual([
        'NSG-MGMT-PORT',
        'NSG-MGMT-PORT',
        'STG-MIN-TLS',
      ]);
      expect(new Set(remediated.map((r) => r.idempotencyKey)).size).toBe(3);
      expect(
        again.subscriptions[0]?.items.filter((i) => i.outcome === 'remediated').every((i) => i.recordId),
      ).toBe(true);

      // the same run repeated (what a queue redelivery is): nothing written, nothing added
      const runId = 'rerun-test-run';
      harness.sandbox.seed(estate('TLS1_0'));
      await runSweep({ subscriptions: [SUB], sweepId: '2026-11', runId, deps: harness.runtime });
      const counted = (await monthRecords(harness.runtime)).length;
      harness.sandbox.resetStats();
      await runSweep({ subscriptions: [SUB], sweepId: '2026-11', runId, deps: harness.runtime });
      expect(harness.sandbox.stats().requests.writes).toBe(0);
      expect((await monthRecords(harness.runtime)).length).toBe(counted);
      expect((await harness.runtime.evidence.verify()).ok).toBe(true);
    } finally {
      await harness.stop();
    }
  });
});
