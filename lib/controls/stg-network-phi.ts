import { defineControl } from './define.js';
import { text } from './fields.js';
import { judgePublicNetwork } from './public-network.js';
import { isPhi, notPhiMessage } from './support.js';

/**
 * PHI accounts must not be reachable from every network. Absent values are the service defaults:
 * public network access Enabled and firewall default action Allow.
 */
export const stgNetworkPhi = defineControl({
  id: 'STG-NETWORK-PHI',
  title: 'PHI storage accounts must restrict network access',
  severity: 'high',
  criteria: ['CC6.1', 'CC6.6'],
  azurePolicyDefinitionIds: ['34c877ad-507e-4c82-993e-3452a6e0ad3c', 'b2982f36-99f2-4db5-8eff-283140c09693'],
  resourceKinds: ['storageAccount'],
  defaultMode: 'audit',
  remediationDescription:
    'None automatic: disable public network access or set the firewall default action to Deny with explicit allow rules.',
  reads: {
    publicNetworkAccess: text(['publicNetworkAccess']),
    // ARM REST calls the firewall `networkAcls`; az CLI and the SDK call it `networkRuleSet`.
    networkDefaultAction: text(['networkAcls', 'defaultAction'], {
      sdk: ['networkRuleSet', 'defaultAction'],
    }),
  },
  writes: {},
  evaluate(resource, settings, verdict) {
    if (!isPhi(resource, settings)) return [verdict.notApplicable(notPhiMessage(settings))];
    return [judgePublicNetwork(resource, verdict, 'account')];
  },
});
