import { describe, expect, it } from 'vitest';
import { claimKeyOf } from '../../../lib/evidence/layout.js';

const NSG = '/subscriptions/s1/resourcegroups/rg/providers/microsoft.network/networksecuritygroups/web';

describe('claimKeyOf', () => {
  it('groups one resource’s sweep decisions under one claim key', () => {
    const open = claimKeyOf(`sweep:2026-11:${NSG}:NSG-OPEN-INBOUND:allow-rdp:abc123`);
    const mgmt = claimKeyOf(`sweep:2026-11:${NSG}:NSG-MGMT-PORT:abc123:wRUN1`);
    const diag = claimKeyOf(`sweep:2026-11:${NSG}:DIAG-RESOURCE-LOGS:def456`);
    expect(open).toBe(`claim-group:sweep:2026-11:${NSG}`);
    expect(mgmt).toBe(open);
    expect(diag).toBe(open);
  });

  it('keeps resources and sweeps apart', () => {
    const base = claimKeyOf(`sweep:2026-11:${NSG}:NSG-OPEN-INBOUND:abc`);
    expect(claimKeyOf(`sweep:2026-11:${NSG}-2:NSG-OPEN-INBOUND:abc`)).not.toBe(base);
    expect(claimKeyOf(`sweep:2026-12:${NSG}:NSG-OPEN-INBOUND:abc`)).not.toBe(base);
  });

  it('leaves every other key as its own claim', () => {
    for (const key of [
      'event:e1:STG-PUBLIC-BLOB:abc',
      `manual:restore:${NSG}:NSG-OPEN-INBOUND:abc`,
      'sweep:2026-11:no-resource-id-here',
      `sweep:2026-11:${NSG}`, // nothing after the resource id: nothing to group
    ])
      expect(claimKeyOf(key)).toBe(key);
  });
});
