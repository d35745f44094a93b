import { describe, expect, it } from 'vitest';
import { storagePatchParameters, storageRestoreSet } from '../../../lib/azure/resources.js';
import { CONTROL_IDS, CONTROLS } from '../../../lib/controls/catalog.js';
import { defineControl } from '../../../lib/controls/define.js';
import { flag } from '../../../lib/controls/fields.js';
import { fieldNamesOf, fieldsOf, writtenFieldsOf } from '../../../lib/controls/resource-fields.js';
import { defaultEvaluationSettings } from '../../../lib/controls/settings.js';
import { normalizeResource } from '../../../lib/resources/normalize.js';

const SA = '/subscriptions/s1/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/acct';

describe('what the catalog derives from the control modules', () => {
  it('the state evidence records per control: the fields it declares', () => {
    expect(Object.fromEntries(CONTROL_IDS.map((id) => [id, fieldNamesOf(id)]))).toEqual({
      'STG-PUBLIC-BLOB': ['allowBlobPublicAccess'],
      'STG-CONTAINER-PUBLIC': ['publicAccess'],
      'STG-HTTPS-ONLY': ['supportsHttpsTrafficOnly'],
      'STG-MIN-TLS': ['minimumTlsVersion'],
      'STG-CMK-PHI': ['encryptionKeySource'],
      'STG-NETWORK-PHI': ['publicNetworkAccess', 'networkDefaultAction'],
      'NSG-MGMT-PORT': [],
      'NSG-OPEN-INBOUND': [],
      'LAW-RETENTION': ['retentionInDays'],
      // cross-resource: the settings and workspaces come through `related`, not as fields
      'DIAG-RESOURCE-LOGS': [],
      'KV-PURGE-PROTECTION': ['enablePurgeProtection'],
      'KV-SOFT-DELETE': ['enableSoftDelete'],
      'KV-NETWORK-PHI': ['publicNetworkAccess', 'networkDefaultAction'],
      'KV-HSM-KEY-PHI': ['encryptionKeySource', 'keyVaultUri', 'keyName'],
      'IDN-ADMIN-MFA': [],
      'IDN-MFA-EXCLUSION': [],
      'IDN-SESSION-TIMEOUT': [],
      'IDN-ACCESS-REVIEW': [],
    });
  });

  it('the fields the normaliser reads per kind, and the ones remediation writes', () => {
    expect(Object.keys(fieldsOf('storageAccount')).sort()).toEqual([
      'allowBlobPublicAccess',
      'encryptionKeySource',
      'keyName',
      'keyVaultUri',
      'minimumTlsVersion',
      'networkDefaultAction',
      'publicNetworkAccess',
      'supportsHttpsTrafficOnly',
    ]);
    expect(Object.keys(fieldsOf('blobContainer'))).toEqual(['publicAccess']);
    expect(fieldsOf('networkSecurityGroup')).toEqual({});
    expect(Object.keys(fieldsOf('logAnalyticsWorkspace'))).toEqual(['retentionInDays']);
    expect(Object.keys(writtenFieldsOf('logAnalyticsWorkspace'))).toEqual(['retentionInDays']);
    expect(Object.keys(fieldsOf('keyVault')).sort()).toEqual([
      'enablePurgeProtection',
      'enableSoftDelete',
      'networkDefaultAction',
      'publicNetworkAccess',
    ]);
    expect(writtenFieldsOf('keyVault')).toEqual({});
    expect(Object.keys(writtenFieldsOf('storageAccount')).sort()).toEqual([
      'allowBlobPublicAccess',
      'minimumTlsVersion',
      'supportsHttpsTrafficOnly',
    ]);
  });

  it('storage writes use the SDK names and leave out unset values', () => {
    expect(
      storagePatchParameters({
        supportsHttpsTrafficOnly: true,
        minimumTlsVersion: 'TLS1_2',
        allowBlobPublicAccess: null,
      }),
    ).toEqual({ enableHttpsTrafficOnly: true, minimumTlsVersion: 'TLS1_2' });
  });

  it('restore writes the effective meaning of an absent value, or leaves it out', () => {
    expect(
      storageRestoreSet({
        allowBlobPublicAccess: null,
        minimumTlsVersion: null,
        supportsHttpsTrafficOnly: null,
      }),
    ).toEqual({ allowBlobPublicAccess: true, minimumTlsVersion: 'TLS1_0' });
    expect(storageRestoreSet({ supportsHttpsTrafficOnly: false, minimumTlsVersion: 'TLS1_1' })).toEqual({
      supportsHttpsTrafficOnly: false,
      minimumTlsVersion: 'TLS1_1',
    });
    // judged but never written: nothing to restore
    expect(() => storageRestoreSet({ encryptionKeySource: 'Microsoft.Storage' })).toThrow(
      /no storage property/,
    );
  });

  it('a control only judges its own kinds', () => {
    const account = normalizeResource({ id: SA, type: 'Microsoft.Storage/storageAccounts' });
    if (!account) throw new Error('expected a storage account');
    for (const control of CONTROLS) {
      const findings = control.evaluate(account, defaultEvaluationSettings);
      expect(findings.length > 0, control.id).toBe(control.resourceKinds.includes('storageAccount'));
    }
  });
});

describe('defineControl', () => {
  const base = {
    title: 'A control for tests only',
    severity: 'low',
    criteria: ['CC6.1'],
    azurePolicyDefinitionIds: [],
    defaultMode: 'audit',
    remediationDescription: 'Nothing, it is a test.',
    evaluate: () => [],
  } as const;

  it('refuses writes of fields the control does not read', () => {
    expect(() =>
      defineControl({ ...base, id: 'T-1', resourceKinds: ['storageAccount'], reads: {}, writes: {} }),
    ).not.toThrow();
    expect(() =>
      defineControl({
        ...base,
        id: 'T-2',
        resourceKinds: ['storageAccount'],
        reads: { a: flag(['a']) },
        // @ts-expect-error b is not read: the type refuses it too
        writes: { b: true },
      }),
    ).toThrow(/writes b but does not read it/);
  });

  it('refuses property writes on kinds remediated per rule', () => {
    expect(() =>
      defineControl({
        ...base,
        id: 'T-3',
        resourceKinds: ['networkSecurityGroup'],
        reads: { a: flag(['a']) },
        writes: { a: false },
      }),
    ).toThrow(/property writes/);
  });

  it('builds the plan of a failing property control from its writes', () => {
    const control = defineControl({
      ...base,
      id: 'T-4',
      resourceKinds: ['storageAccount'],
      reads: { allowBlobPublicAccess: flag(['allowBlobPublicAccess']) },
      writes: { allowBlobPublicAccess: false },
      evaluate: (resource, _settings, verdict) => [
        resource.allowBlobPublicAccess === false ? verdict.pass('closed') : verdict.fail('open'),
      ],
    });
    const account = normalizeResource({ id: SA, type: 'Microsoft.Storage/storageAccounts' });
    if (!account) throw new Error('expected a storage account');
    expect(control.evaluate(account, defaultEvaluationSettings)).toMatchObject([
      {
        controlId: 'T-4',
        status: 'fail',
        severity: 'low',
        resourceType: 'Microsoft.Storage/storageAccounts',
        remediation: { kind: 'storage-account-properties', set: { allowBlobPublicAccess: false } },
      },
    ]);
  });
});
