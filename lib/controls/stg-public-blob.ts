import { defineControl } from './define.js';
import { flag } from './fields.js';

/** Anonymous blob access at the account level. Absent/null fails: older accounts then permit it. */
export const stgPublicBlob = defineControl({
  id: 'STG-PUBLIC-BLOB',
  title: 'Storage accounts must disallow anonymous blob access',
  severity: 'critical',
  criteria: ['CC6.1', 'CC6.6'],
  azurePolicyDefinitionIds: ['4fa4b6c0-31ca-4c0d-b10d-24b96f62a751'],
  resourceKinds: ['storageAccount'],
  defaultMode: 'remediate',
  remediationDescription:
    'Set allowBlobPublicAccess to false on the storage account (covers every container in it).',
  // restore: an absent value permits anonymous access on older accounts, so null restores as true
  reads: { allowBlobPublicAccess: flag(['allowBlobPublicAccess'], { restoreNullAs: true }) },
  writes: { allowBlobPublicAccess: false },
  evaluate(resource, _settings, verdict) {
    const value = resource.allowBlobPublicAccess;
    if (value === false) return [verdict.pass('Anonymous blob access is disallowed.')];
    const why =
      value === null
        ? 'allowBlobPublicAccess is not set, which permits anonymous blob access on older accounts.'
        : 'allowBlobPublicAccess is true: containers can be opened to anonymous readers.';
    return [verdict.fail(why)];
  },
});
