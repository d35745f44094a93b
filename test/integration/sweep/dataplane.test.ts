/**
 * A container's public access changed through the Blob service (data plane) raises no ARM event,
 * so the event path never hears of it: the sweep is what catches it, and the account-level
 * `allowBlobPublicAccess: false` it enforces is what makes any later data-plane attempt harmless
 * (the Blob service refuses public access on such an account).
 */
import { describe, expect, it } from 'vitest';
import { runSweep } from '../../../lib/sweep/run.js';
import { startHarness } from './harness.js';

const SUB = 'dddddddd-0000-4000-8000-00000000da7a';
const RG = `/subscriptions/${SUB}/resourceGroups/rg-data`;
const LAX = `${RG}/providers/Microsoft.Storage/storageAccounts/stlax01`;
const STRICT = `${RG}/providers/Microsoft.Storage/storageAccounts/ststrict01`;
const containerOf = (account: string, name: string) => `${account}/blobServices/default/containers/${name}`;
const account = (allowBlobPublicAccess: boolean) => ({
  location: 'westeurope',
  kind: 'StorageV2',
  sku: { name: 'Standard_LRS' },
  properties: { allowBlobPublicAccess, supportsHttpsTrafficOnly: true, minimumTlsVersion: 'TLS1_2' },
});

describe('sweep: data-plane container changes (no ARM event)', () => {
  it('catches an account that lets a data-plane change through and closes it there; later attempts are refused', async () => {
    const harness = await startHarness({
      subscriptions: [SUB],
      scenario: {
        resources: [
          // an account that (still) allows public access, e.g. created before the policy
          { id: LAX, ...account(true) },
          { id: containerOf(LAX, 'exports'), properties: { publicAccess: 'None' } },
          { id: STRICT, ...account(false) },
          { id: containerOf(STRICT, 'scans'), properties: { publicAccess: 'None' } },
        ],
      },
    });
    try {
      const { sandbox } = harness;
      // someone with a storage key opens a container through the Blob service
      sandbox.setContainerAccessFromDataPlane(containerOf(LAX, 'exports'), 'Container');
      // on an account that disallows public access the Blob service refuses it: already harmless
      expect(() => sandbox.setContainerAccessFromDataPlane(containerOf(STRICT, 'scans'), 'Blob')).toThrow(
        /not permitted/,
      );
      expect(sandbox.emittedEvents()).toEqual([]); // nothing for the event path to react to

      const result = await runSweep({ subscriptions: [SUB], sweepId: '2026-12', deps: harness.runtime });
      const sub = result.subscriptions[0];
      expect(sub?.errors).toEqual([]);
      const remediated = (sub?.items ?? [])
        .filter((item) => item.outcome === 'remediated')
        .map((item) => [item.resourceId.toLowerCase(), item.controlId]);
      // the account-level switch covers every container (DESIGN.md), so that is the one write
      expect(remediated).toEqual([[LAX.toLowerCase(), 'STG-PUBLIC-BLOB']]);
      expect(sandbox.getResource(LAX)?.properties.allowBlobPublicAccess).toBe(false);

      // the next data-plane attempt is harmless: the Blob service refuses it on this account now
      expect(() => sandbox.setContainerAccessFromDataPlane(containerOf(LAX, 'exports'), 'Blob')).toThrow(
        /not permitted/,
      );
    } finally {
      await harness.stop();
    }
  });

  it('where the account must stay open (STG-PUBLIC-BLOB in audit mode), the sweep closes the container itself', async () => {
    const harness = await startHarness({
      subscriptions: [SUB],
      scenario: {
        resources: [
          { id: LAX, ...account(true) },
          { id: containerOf(LAX, 'exports'), properties: { publicAccess: 'None' } },
        ],
      },
      env: { DW_CONTROL_MODES: 'STG-PUBLIC-BLOB=audit' },
    });
    try {
      const { sandbox } = harness;
      sandbox.setContainerAccessFromDataPlane(containerOf(LAX, 'exports'), 'Blob');
      expect(sandbox.emittedEvents()).toEqual([]);
      const result = await runSweep({ subscriptions: [SUB], sweepId: '2026-12', deps: harness.runtime });
      const items = result.subscriptions[0]?.items ?? [];
      expect(
        items
          .filter((item) => item.outcome === 'remediated' || item.outcome === 'audit-only')
          .map((item) => [item.resourceId.toLowerCase(), item.controlId, item.outcome]),
      ).toEqual(
        expect.arrayContaining([
          [LAX.toLowerCase(), 'STG-PUBLIC-BLOB', 'audit-only'],
          [containerOf(LAX, 'exports').toLowerCase(), 'STG-CONTAINER-PUBLIC', 'remediated'],
        ]),
      );
      expect(sandbox.getResource(containerOf(LAX, 'exports'))?.properties.publicAccess).toBe('None');
    } finally {
      await harness.stop();
    }
  });
});
