import { defineControl } from './define.js';
import { flag } from './fields.js';

/** A vault without soft delete loses its keys (and the PHI they decrypt) on deletion. Audit only. */
export const kvSoftDelete = defineControl({
  id: 'KV-SOFT-DELETE',
  title: 'Key vaults must have soft delete enabled',
  severity: 'high',
  criteria: ['CC6.1', 'A1.2'],
  azurePolicyDefinitionIds: ['1e66c121-a66a-4b1f-9b83-0fd99bf0fc2d'],
  resourceKinds: ['keyVault'],
  defaultMode: 'audit',
  remediationDescription:
    'None automatic: enable soft delete on the vault by change request (it cannot be disabled once enabled).',
  reads: { enableSoftDelete: flag(['enableSoftDelete']) },
  writes: {},
  evaluate(resource, _settings, verdict) {
    if (resource.enableSoftDelete === true) return [verdict.pass('Soft delete is enabled.')];
    const why =
      resource.enableSoftDelete === null
        ? 'enableSoftDelete is not reported, so soft delete cannot be shown to be enabled.'
        : 'Soft delete is disabled: deleting the vault deletes its keys for good.';
    return [verdict.fail(why)];
  },
});
