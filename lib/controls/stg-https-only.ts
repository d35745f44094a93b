import { finding } from './support.js';
import type { Control } from './types.js';

/**
 * Secure transfer. Only an explicit false fails: ARM always reports the property, and it has
 * defaulted to true since API version 2019-04-01, so absent means "not reported", not "off".
 */
export const stgHttpsOnly: Control = {
  id: 'STG-HTTPS-ONLY',
  title: 'Storage accounts must accept HTTPS only',
  severity: 'high',
  criteria: ['CC6.1', 'CC6.7'],
  azurePolicyDefinitionIds: ['404c3081-a854-4457-ae30-26a93ef643f9'],
  resourceKinds: ['storageAccount'],
  defaultMode: 'remediate',
  remediationDescription: 'Set supportsHttpsTrafficOnly (secure transfer required) to true.',
  evaluate(resource) {
    if (resource.kind !== 'storageAccount') return [];
    if (resource.supportsHttpsTrafficOnly === false) {
      return [
        finding(
          stgHttpsOnly,
          resource,
          'fail',
          'Secure transfer is disabled: the account accepts plain HTTP.',
          {
            remediation: { kind: 'storage-account-properties', set: { supportsHttpsTrafficOnly: true } },
          },
        ),
      ];
    }
    const message =
      resource.supportsHttpsTrafficOnly === true
        ? 'Secure transfer is required.'
        : 'Secure transfer is not reported; it defaults to required.';
    return [finding(stgHttpsOnly, resource, 'pass', message)];
  },
};
