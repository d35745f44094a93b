import { describe, expect, it } from 'vitest';
import { remediatedRule } from '../../../lib/azure/resources.js';
import type { RemediationPlan } from '../../../lib/controls/types.js';
import { mergePlans } from '../../../lib/remediation/state.js';

const rule = {
  name: 'allow-mgmt',
  id: '/subscriptions/x/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/n/securityRules/allow-mgmt',
  etag: 'W/"1"',
  protocol: 'Tcp',
  sourcePortRange: '*',
  destinationPortRange: '3389',
  destinationAddressPrefix: '*',
  access: 'Allow',
  priority: 100,
  direction: 'Inbound',
  description: 'vendor access',
};

describe('remediatedRule', () => {
  it('removes only the internet sources and keeps everything else', () => {
    const before = { ...rule, sourceAddressPrefixes: ['10.1.0.0/16', '0.0.0.0/0', 'Internet'] };
    const after = remediatedRule(before, {
      kind: 'nsg-rule-remove-sources',
      ruleName: rule.name,
      removeSources: ['0.0.0.0/0', 'internet'],
    });
    expect(after).toEqual({ ...before, sourceAddressPrefixes: ['10.1.0.0/16'] });
    expect(before.sourceAddressPrefixes).toHaveLength(3); // input untouched
  });

  it('sets Deny (sources untouched) when no source would remain', () => {
    const before = { ...rule, sourceAddressPrefix: '*' };
    expect(
      remediatedRule(before, { kind: 'nsg-rule-remove-sources', ruleName: rule.name, removeSources: ['*'] }),
    ).toEqual({
      ...before,
      access: 'Deny',
    });
    expect(remediatedRule(before, { kind: 'nsg-rule-deny', ruleName: rule.name })).toEqual({
      ...before,
      access: 'Deny',
    });
  });

  it('refuses plans that are not rule plans', () => {
    expect(() =>
      remediatedRule(rule, { kind: 'blob-container-public-access', set: { publicAccess: 'None' } }),
    ).toThrow();
  });
});

describe('mergePlans', () => {
  it('unions storage properties into one PATCH', () => {
    expect(
      mergePlans(
        { kind: 'storage-account-properties', set: { allowBlobPublicAccess: false } },
        { kind: 'storage-account-properties', set: { minimumTlsVersion: 'TLS1_2' } },
      ),
    ).toEqual({
      kind: 'storage-account-properties',
      set: { allowBlobPublicAccess: false, minimumTlsVersion: 'TLS1_2' },
    });
  });

  it('one write per rule: union of sources, Deny wins', () => {
    const a: RemediationPlan = { kind: 'nsg-rule-remove-sources', ruleName: 'r', removeSources: ['*'] };
    const b: RemediationPlan = {
      kind: 'nsg-rule-remove-sources',
      ruleName: 'r',
      removeSources: ['Internet', '*'],
    };
    expect(mergePlans(a, b)).toEqual({
      kind: 'nsg-rule-remove-sources',
      ruleName: 'r',
      removeSources: ['*', 'Internet'],
    });
    expect(mergePlans(a, { kind: 'nsg-rule-deny', ruleName: 'r' })).toEqual({
      kind: 'nsg-rule-deny',
      ruleName: 'r',
    });
  });
});
