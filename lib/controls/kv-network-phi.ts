import { defineControl } from './define.js';
import { text } from './fields.js';
import { isPhi, notPhiMessage, sameText } from './support.js';

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
    const publicEnabled =
      resource.publicNetworkAccess === null || sameText(resource.publicNetworkAccess, 'enabled');
    const allowAll =
      resource.networkDefaultAction === null || sameText(resource.networkDefaultAction, 'allow');
    if (publicEnabled && allowAll) {
      return [
        verdict.fail(
          'PHI vault accepts connections from all networks (public network access enabled, default action Allow).',
        ),
      ];
    }
    const why = publicEnabled
      ? 'firewall default action is Deny'
      : `public network access is ${resource.publicNetworkAccess}`;
    return [verdict.pass(`Network access is restricted: ${why}.`)];
  },
});
