import { finding } from './support.js';
import type { Control } from './types.js';

/** Anonymous blob access at the account level. Absent/null fails: older accounts then permit it. */
export const stgPublicBlob: Control = {
  id: 'STG-PUBLIC-BLOB',
  title: 'Storage accounts must disallow anonymous blob access',
  severity: 'critical',
  criteria: ['CC6.1', 'CC6.6'],
  azurePolicyDefinitionIds: ['4fa4b6c0-31ca-4c0d-b10d-24b96f62a751'],
  resourceKinds: ['storageAccount'],
  defaultMode: 'remediate',
  remediationDescription:
    'Set allowBlobPublicAccess to false on the storage account (covers every container in it).',
  evaluate(resource) {
    if (resource.kind !== 'storageAccount') return [];
    const value = resource.allowBlobPublicAccess;
    if (value === false)
      return [finding(stgPublicBlob, resource, 'pass', 'Anonymous blob access is disallowed.')];
    const why =
      value === null
        ? 'allowBlobPublicAccess is not set, which permits anonymous blob access on older accounts.'
        : 'allowBlobPublicAccess is true: containers can be opened to anonymous readers.';
    return [
      finding(stgPublicBlob, resource, 'fail', why, {
        remediation: { kind: 'storage-account-properties', set: { allowBlobPublicAccess: false } },
      }),
    ];
  },
};
