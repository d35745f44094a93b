import { defineControl } from './define.js';
import { text } from './fields.js';
import { judgePublicNetwork } from './public-network.js';
import { isPhi, notPhiMessage } from './support.js';

/**
 * A vault holding PHI keys must not accept connections from every network. Absent values are the
 * service defaults: public network access Enabled, firewall default action Allow. Audit only.
 */
export const kvNetworkPhi = defineControl({
  id: 'KV-NETWORK-PHI',
  title: 'PHI key vaults must restrict network access',
  severity: 'high',
  criteria: ['CC6.1', 'CC6.6'],
  azurePolicyDefinitionIds: ['405c5871-3e91-4644-8a63-58e19d68ff5b'],
  resourceKinds: ['keyVault'],
  defaultMode: 'audit',
  remediationDescription:
    'None automatic: disable public network access or set the vault firewall default action to Deny (with private endpoints or explicit allow rules).',
  reads: {
    publicNetworkAccess: text(['publicNetworkAccess']),
    networkDefaultAction: text(['networkAcls', 'defaultAction']),
  },
  writes: {},
  evaluate(resource, settings, verdict) {
    if (!isPhi(resource, settings)) return [verdict.notApplicable(notPhiMessage(settings))];
    return [judgePublicNetwork(resource, verdict, 'vault')];
  },
});
