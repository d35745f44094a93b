import { defineControl } from './define.js';
import { flag } from './fields.js';

/**
 * Without purge protection anyone who can delete a vault can also purge it, destroying the keys
 * that decrypt PHI. Audit only, by design: enabling purge protection is irreversible (it can
 * never be switched off again, and the vault cannot be purged before its retention ends), so it is
 * never done automatically, not even in remediate mode.
 */
export const kvPurgeProtection = defineControl({
  id: 'KV-PURGE-PROTECTION',
  title: 'Key vaults must have purge protection enabled',
  severity: 'high',
  criteria: ['CC6.1', 'A1.2'],
  azurePolicyDefinitionIds: ['0b60c0b2-2dc2-4e1c-b5c9-abbed971de53'],
  resourceKinds: ['keyVault'],
  defaultMode: 'audit',
  remediationDescription:
    'None automatic, ever: enabling purge protection is irreversible. Enable it by change request (az keyvault update --enable-purge-protection true).',
  reads: { enablePurgeProtection: flag(['enablePurgeProtection']) },
  writes: {},
  evaluate(resource, _settings, verdict) {
    if (resource.enablePurgeProtection === true) return [verdict.pass('Purge protection is enabled.')];
    const why =
      resource.enablePurgeProtection === null
        ? 'enablePurgeProtection is not set (purge protection is off by default).'
        : 'Purge protection is disabled: a deleted vault and its keys can be purged at once.';
    return [verdict.fail(why)];
  },
});
