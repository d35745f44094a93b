import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config.js';
import {
  assertUniqueIds,
  CONTROL_IDS,
  CONTROLS,
  effectiveMode,
  getControl,
  isControlId,
} from '../../lib/controls/catalog.js';
import { defaultEvaluationSettings, evaluationSettingsFromConfig } from '../../lib/controls/settings.js';
import { evaluateDocument, evaluateResource } from '../../lib/evaluate.js';
import { normalizeResource } from '../../lib/resources/normalize.js';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const SA = '/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/acct';
const NSG = '/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/nsg';

describe('catalog', () => {
  it('holds the contract controls (ARCHITECTURE.md) with complete metadata', () => {
    expect([...CONTROL_IDS]).toEqual([
      'STG-PUBLIC-BLOB',
      'STG-CONTAINER-PUBLIC',
      'STG-HTTPS-ONLY',
      'STG-MIN-TLS',
      'STG-CMK-PHI',
      'STG-NETWORK-PHI',
      'NSG-MGMT-PORT',
      'NSG-OPEN-INBOUND',
      'LAW-RETENTION',
      'DIAG-RESOURCE-LOGS',
      'KV-PURGE-PROTECTION',
      'KV-SOFT-DELETE',
      'KV-NETWORK-PHI',
      'KV-HSM-KEY-PHI',
      'IDN-ADMIN-MFA',
      'IDN-MFA-EXCLUSION',
      'IDN-SESSION-TIMEOUT',
      'IDN-ACCESS-REVIEW',
    ]);
    for (const control of CONTROLS) {
      expect(control.title.length).toBeGreaterThan(10);
      expect(control.criteria.length).toBeGreaterThan(0);
      expect(control.remediationDescription.length).toBeGreaterThan(10);
      // No built-in Azure Policy judges Conditional Access session controls.
      if (control.id !== 'IDN-SESSION-TIMEOUT')
        expect(control.azurePolicyDefinitionIds.length).toBeGreaterThan(0);
      for (const id of control.azurePolicyDefinitionIds) expect(id).toMatch(GUID);
    }
    expect(getControl('STG-HTTPS-ONLY').azurePolicyDefinitionIds).toContain(
      '404c3081-a854-4457-ae30-26a93ef643f9',
    );
    expect(getControl('STG-CMK-PHI').defaultMode).toBe('audit');
    expect(getControl('NSG-MGMT-PORT').criteria).toEqual(['CC6.1', 'CC6.6']);
    // verified against the published built-in definitions
    expect(getControl('KV-PURGE-PROTECTION').azurePolicyDefinitionIds).toEqual([
      '0b60c0b2-2dc2-4e1c-b5c9-abbed971de53',
    ]);
    expect(getControl('KV-SOFT-DELETE').azurePolicyDefinitionIds).toEqual([
      '1e66c121-a66a-4b1f-9b83-0fd99bf0fc2d',
    ]);
    expect(getControl('KV-NETWORK-PHI').azurePolicyDefinitionIds).toEqual([
      '405c5871-3e91-4644-8a63-58e19d68ff5b',
    ]);
    expect(getControl('KV-HSM-KEY-PHI').azurePolicyDefinitionIds).toEqual([
      '587c79fe-dd04-4a5e-9d0b-f89598c7261b',
    ]);
    expect(getControl('DIAG-RESOURCE-LOGS').azurePolicyDefinitionIds).toContain(
      'cf820ca0-f99e-4f3e-84fb-66e913812d21',
    );
    expect(getControl('LAW-RETENTION').defaultMode).toBe('remediate');
    // enabling purge protection is irreversible: never remediated, and the metadata says so
    expect(getControl('KV-PURGE-PROTECTION').defaultMode).toBe('audit');
    expect(getControl('KV-PURGE-PROTECTION').writes).toEqual({});
    expect(getControl('KV-PURGE-PROTECTION').remediationDescription).toMatch(/irreversible/);
  });

  it('validates ids', () => {
    expect(isControlId('NSG-MGMT-PORT')).toBe(true);
    expect(isControlId('nsg-mgmt-port')).toBe(false);
    expect(isControlId('toString')).toBe(false);
    expect(() => assertUniqueIds([{ id: 'STG-MIN-TLS' }, { id: 'STG-MIN-TLS' }])).toThrow(
      /Duplicate control id/,
    );
  });

  it('computes effective modes', () => {
    expect(effectiveMode('STG-CMK-PHI')).toBe('audit');
    expect(effectiveMode('STG-CMK-PHI', { 'STG-CMK-PHI': 'remediate' })).toBe('remediate');
    expect(effectiveMode('STG-MIN-TLS', {}, true)).toBe('audit');
    expect(effectiveMode('STG-MIN-TLS', { 'STG-MIN-TLS': 'off' }, true)).toBe('off');
  });
});

describe('settings', () => {
  it('has the documented defaults', () => {
    expect(defaultEvaluationSettings.phiTagName).toBe('data-classification');
    expect(defaultEvaluationSettings.phiTagValues).toEqual(['phi']);
    expect(defaultEvaluationSettings.internetPrefixMaxLength).toBe(16);
    for (const port of [
      '22',
      '3389',
      '5985-5986',
      '23',
      '21',
      '445',
      '135-139',
      '1433',
      '1521',
      '3306',
      '5432',
      '6379',
      '9200',
    ]) {
      expect(defaultEvaluationSettings.managementPorts).toContain(port);
    }
  });

  it('reads overrides from configuration and rejects a bad port list naming the setting', () => {
    const base = { DW_STORAGE: 'UseDevelopmentStorage=true' };
    const settings = evaluationSettingsFromConfig(
      loadConfig({
        ...base,
        DW_PHI_TAG_NAME: 'classification',
        DW_MANAGEMENT_PORTS: '22, 8443',
        DW_INTERNET_PREFIX_MAX_LENGTH: '8',
        DW_LOG_RETENTION_DAYS: '400',
      }),
    );
    expect(settings).toEqual({
      phiTagName: 'classification',
      phiTagValues: ['phi'],
      managementPorts: ['22', '8443'],
      internetPrefixMaxLength: 8,
      logRetentionDays: 400,
      auditWorkspaceTag: null,
      auditWorkspaceIds: null,
      diagnosticWorkspaceId: null,
    });
    expect(() => loadConfig({ ...base, DW_LOG_RETENTION_DAYS: '10' })).toThrow(/DW_LOG_RETENTION_DAYS/);
    expect(() =>
      evaluationSettingsFromConfig(loadConfig({ ...base, DW_MANAGEMENT_PORTS: '22,ssh' })),
    ).toThrow(/DW_MANAGEMENT_PORTS/);
  });

  it('changes evaluation: a custom management port and a narrower internet threshold', () => {
    const nsg = normalizeResource({
      id: NSG,
      type: 'Microsoft.Network/networkSecurityGroups',
      securityRules: [
        {
          name: 'r',
          access: 'Allow',
          direction: 'Inbound',
          protocol: 'Tcp',
          sourceAddressPrefix: '52.0.0.0/12',
          destinationPortRange: '8443',
        },
      ],
    });
    if (!nsg) throw new Error('expected NSG');
    const status = (settings: typeof defaultEvaluationSettings, control: string) =>
      evaluateResource(nsg, { settings }).find((f) => f.controlId === control)?.status;
    expect(status(defaultEvaluationSettings, 'NSG-MGMT-PORT')).toBe('pass');
    expect(status(defaultEvaluationSettings, 'NSG-OPEN-INBOUND')).toBe('fail');
    const custom = { ...defaultEvaluationSettings, managementPorts: ['8443'] };
    expect(status(custom, 'NSG-MGMT-PORT')).toBe('fail');
    const narrow = { ...defaultEvaluationSettings, internetPrefixMaxLength: 8 };
    expect(status(narrow, 'NSG-OPEN-INBOUND')).toBe('pass');
  });
});

describe('evaluateResource / evaluateDocument', () => {
  const account = {
    id: SA,
    type: 'Microsoft.Storage/storageAccounts',
    properties: { allowBlobPublicAccess: true },
  };

  it('returns one finding per applicable control, pass findings included', () => {
    const resource = normalizeResource(account);
    if (!resource) throw new Error('expected account');
    const findings = evaluateResource(resource);
    expect(findings.map((f) => [f.controlId, f.status])).toEqual([
      ['STG-PUBLIC-BLOB', 'fail'],
      ['STG-HTTPS-ONLY', 'pass'],
      ['STG-MIN-TLS', 'fail'],
      ['STG-CMK-PHI', 'not-applicable'],
      ['STG-NETWORK-PHI', 'not-applicable'],
      // cross-resource: nothing else in the input to follow
      ['DIAG-RESOURCE-LOGS', 'not-applicable'],
      ['KV-HSM-KEY-PHI', 'not-applicable'],
    ]);
    expect(findings[0]).toMatchObject({
      resourceId: SA,
      resourceType: 'Microsoft.Storage/storageAccounts',
      severity: 'critical',
    });
  });

  it('skips controls switched off', () => {
    const resource = normalizeResource(account);
    if (!resource) throw new Error('expected account');
    const ids = evaluateResource(resource, { modes: { 'STG-PUBLIC-BLOB': 'off' } }).map((f) => f.controlId);
    expect(ids).not.toContain('STG-PUBLIC-BLOB');
    expect(ids).toContain('STG-MIN-TLS');
  });

  it('marks unknown types not-applicable for every control and never fails on them', () => {
    const vm = {
      id: '/subscriptions/s1/providers/Microsoft.Compute/virtualMachines/vm',
      type: 'Microsoft.Compute/virtualMachines',
    };
    const findings = evaluateDocument({ value: [vm] });
    expect(findings).toHaveLength(CONTROLS.length);
    expect(new Set(findings.map((f) => f.status))).toEqual(new Set(['not-applicable']));
    expect(findings[0]).toMatchObject({ resourceId: vm.id, resourceType: vm.type });
  });
});
