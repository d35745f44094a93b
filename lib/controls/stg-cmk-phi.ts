import { finding, isPhi, sameText } from './support.js';
import type { Control } from './types.js';

/** PHI at rest under a customer-managed key. Audit only: switching keys needs a Key Vault and a plan. */
export const stgCmkPhi: Control = {
  id: 'STG-CMK-PHI',
  title: 'PHI storage accounts must be encrypted with a customer-managed key',
  severity: 'medium',
  criteria: ['CC6.1'],
  azurePolicyDefinitionIds: ['6fac406b-40ca-413b-bf8e-0bf964659c25'],
  resourceKinds: ['storageAccount'],
  defaultMode: 'audit',
  remediationDescription:
    'None automatic: configure encryption with a Key Vault key (keySource Microsoft.Keyvault) by change request.',
  evaluate(resource, settings) {
    if (resource.kind !== 'storageAccount') return [];
    if (!isPhi(resource, settings)) {
      return [
        finding(
          stgCmkPhi,
          resource,
          'not-applicable',
          `Not tagged as PHI (${settings.phiTagName}=${settings.phiTagValues.join('|')}).`,
        ),
      ];
    }
    if (sameText(resource.encryptionKeySource, 'Microsoft.Keyvault')) {
      return [finding(stgCmkPhi, resource, 'pass', 'Encrypted with a customer-managed key from Key Vault.')];
    }
    const source = resource.encryptionKeySource ?? 'not reported (Microsoft-managed)';
    return [
      finding(stgCmkPhi, resource, 'fail', `PHI account encryption key source is ${source}, not Key Vault.`),
    ];
  },
};
