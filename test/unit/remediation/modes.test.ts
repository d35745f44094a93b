import { describe, expect, it } from 'vitest';
import { CONTROL_IDS, getControl } from '../../../lib/controls/catalog.js';
import { modeResolver } from '../../../lib/remediation/modes.js';

describe('modeResolver', () => {
  it('uses the catalog defaults', () => {
    const modes = modeResolver({ modeOverrides: {}, auditOnly: false });
    for (const id of CONTROL_IDS) expect(modes(id)).toBe(getControl(id).defaultMode);
    expect(modes('NSG-MGMT-PORT')).toBe('remediate');
    expect(modes('STG-CMK-PHI')).toBe('audit');
  });

  it('applies per-control overrides', () => {
    const modes = modeResolver({
      modeOverrides: { 'NSG-OPEN-INBOUND': 'audit', 'STG-CMK-PHI': 'remediate', 'STG-MIN-TLS': 'off' },
      auditOnly: false,
    });
    expect(modes('NSG-OPEN-INBOUND')).toBe('audit');
    expect(modes('STG-CMK-PHI')).toBe('remediate');
    expect(modes('STG-MIN-TLS')).toBe('off');
    expect(modes('NSG-MGMT-PORT')).toBe('remediate');
  });

  it('global audit-only turns every remediate into audit but never turns an off control on', () => {
    const modes = modeResolver({
      modeOverrides: { 'STG-MIN-TLS': 'off', 'STG-CMK-PHI': 'remediate' },
      auditOnly: true,
    });
    for (const id of CONTROL_IDS) expect(modes(id)).not.toBe('remediate');
    expect(modes('STG-MIN-TLS')).toBe('off');
    expect(modes('STG-CMK-PHI')).toBe('audit');
    expect(modes('STG-PUBLIC-BLOB')).toBe('audit');
  });

  it('is not affected by later changes to the config object', () => {
    const config = { modeOverrides: {} as Record<string, 'off'>, auditOnly: false };
    const modes = modeResolver(config);
    config.modeOverrides['NSG-MGMT-PORT'] = 'off';
    expect(modes('NSG-MGMT-PORT')).toBe('remediate');
  });
});
