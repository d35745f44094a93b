import { defineControl } from './define.js';
import { text } from './fields.js';
import { isPhi, notPhiMessage, sameText } from './support.js';

/** PHI at rest under a customer-managed key. Audit only: switching keys needs a Key Vault and a plan. */
export const stgCmkPhi = defineControl({
  id: 'STG-CMK-PHI',
  title: 'PHI storage accounts must be encrypted with a customer-managed key',
  severity: 'medium',
  criteria: ['CC6.1'],
  azurePolicyDefinitionIds: ['6fac406b-40ca-413b-bf8e-0bf964659c25'],
  resourceKinds: ['storageAccount'],
  defaultMode: 'audit',
  remediationDescription:
    'None automatic: configure encryption with a Key Vault key (keySource Microsoft.Keyvault) by change request.',
  reads: { encryptionKeySource: text(['encryption', 'keySource']) },
  writes: {},
  evaluate(resource, settings, verdict) {
    if (!isPhi(resource, settings)) return [verdict.notApplicable(notPhiMessage(settings))];
    if (sameText(resource.encryptionKeySource, 'Microsoft.Keyvault')) {
      return [verdict.pass('Encrypted with a customer-managed key from Key Vault.')];
    }
    const source = resource.encryptionKeySource ?? 'not reported (Microsoft-managed)';
    return [verdict.fail(`PHI account encryption key source is ${source}, not Key Vault.`)];
  },
});
