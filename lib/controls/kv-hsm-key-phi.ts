import { defineControl } from './define.js';
import { text } from './fields.js';
import { isPhi, notPhiMessage, sameText } from './support.js';

const HSM_KEY_TYPES = ['RSA-HSM', 'EC-HSM', 'oct-HSM'];
const MANAGED_HSM_HOST = /\.managedhsm\.azure\.net$/i;

function hostOf(uri: string): string | null {
  try {
    return new URL(uri).hostname;
  } catch {
    return null;
  }
}

/**
 * Cross-resource: the key a PHI account's customer-managed encryption uses (the account's
 * `encryption.keyvaultproperties`) must be HSM-backed, as the vault reports the key. A key in a
 * Managed HSM always is. Judged only when the key is known (in the input, or read from ARM);
 * accounts without a customer-managed key are STG-CMK-PHI's finding, not this one's. Audit only:
 * a key's protection cannot be changed, only a new key created and rotated to.
 */
export const kvHsmKeyPhi = defineControl({
  id: 'KV-HSM-KEY-PHI',
  title: 'PHI storage accounts must use an HSM-backed customer-managed key',
  severity: 'medium',
  criteria: ['CC6.1', 'CC6.7'],
  azurePolicyDefinitionIds: ['587c79fe-dd04-4a5e-9d0b-f89598c7261b'],
  resourceKinds: ['storageAccount'],
  defaultMode: 'audit',
  remediationDescription:
    'None automatic: create an RSA-HSM key (Premium vault or Managed HSM) and point the account encryption at it by change request.',
  reads: {
    encryptionKeySource: text(['encryption', 'keySource']),
    // ARM REST spells the key reference in lower case; the SDK and az CLI in camel case.
    keyVaultUri: text(['encryption', 'keyvaultproperties', 'keyvaulturi'], {
      sdk: ['encryption', 'keyVaultProperties', 'keyVaultUri'],
    }),
    keyName: text(['encryption', 'keyvaultproperties', 'keyname'], {
      sdk: ['encryption', 'keyVaultProperties', 'keyName'],
    }),
  },
  writes: {},
  evaluate(resource, settings, verdict, related) {
    if (!isPhi(resource, settings)) return [verdict.notApplicable(notPhiMessage(settings))];
    if (!sameText(resource.encryptionKeySource, 'Microsoft.Keyvault')) {
      return [verdict.notApplicable('No customer-managed key (see STG-CMK-PHI).')];
    }
    const { keyVaultUri: vaultUri, keyName } = resource;
    if (!vaultUri || !keyName) {
      return [verdict.notApplicable('The account reports no key vault URI and key name to follow.')];
    }
    const where = `key ${keyName} in ${vaultUri}`;
    if (MANAGED_HSM_HOST.test(hostOf(vaultUri) ?? '')) {
      return [verdict.pass(`Encrypted with ${where}: a Managed HSM key (HSM-backed).`)];
    }
    const key = related.vaultKey(vaultUri, keyName);
    if (key === undefined) {
      return [verdict.notApplicable(`The ${where} is not in the input: its protection cannot be judged.`)];
    }
    if (key === null) return [verdict.fail(`The account's ${where} does not exist.`)];
    if (key.kty && HSM_KEY_TYPES.some((type) => sameText(key.kty, type))) {
      return [verdict.pass(`Encrypted with ${where}, HSM-backed (${key.kty}).`)];
    }
    const kty = key.kty ?? 'not reported';
    return [
      verdict.fail(`Encrypted with ${where}, which is software-protected (kty ${kty}), not HSM-backed.`),
    ];
  },
});
