import { defineControl } from './define.js';
import { flag } from './fields.js';

/**
 * Secure transfer. Only an explicit false fails: ARM always reports the property, and it has
 * defaulted to true since API version 2019-04-01, so absent means "not reported", not "off".
 */
export const stgHttpsOnly = defineControl({
  id: 'STG-HTTPS-ONLY',
  title: 'Storage accounts must accept HTTPS only',
  severity: 'high',
  criteria: ['CC6.1', 'CC6.7'],
  azurePolicyDefinitionIds: ['404c3081-a854-4457-ae30-26a93ef643f9'],
  resourceKinds: ['storageAccount'],
  defaultMode: 'remediate',
  remediationDescription: 'Set supportsHttpsTrafficOnly (secure transfer required) to true.',
  // the SDK and az CLI call it enableHttpsTrafficOnly
  reads: {
    supportsHttpsTrafficOnly: flag(['supportsHttpsTrafficOnly'], { sdk: ['enableHttpsTrafficOnly'] }),
  },
  writes: { supportsHttpsTrafficOnly: true },
  evaluate(resource, _settings, verdict) {
    if (resource.supportsHttpsTrafficOnly === false) {
      return [verdict.fail('Secure transfer is disabled: the account accepts plain HTTP.')];
    }
    const message =
      resource.supportsHttpsTrafficOnly === true
        ? 'Secure transfer is required.'
        : 'Secure transfer is not reported; it defaults to required.';
    return [verdict.pass(message)];
  },
});
