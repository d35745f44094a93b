import { finding, isPhi, sameText } from './support.js';
import type { Control } from './types.js';

/**
 * PHI accounts must not be reachable from every network. Absent values are the service defaults:
 * public network access Enabled and firewall default action Allow.
 */
export const stgNetworkPhi: Control = {
  id: 'STG-NETWORK-PHI',
  title: 'PHI storage accounts must restrict network access',
  severity: 'high',
  criteria: ['CC6.1', 'CC6.6'],
  azurePolicyDefinitionIds: ['34c877ad-507e-4c82-993e-3452a6e0ad3c', 'b2982f36-99f2-4db5-8eff-283140c09693'],
  resourceKinds: ['storageAccount'],
  defaultMode: 'audit',
  remediationDescription:
    'None automatic: disable public network access or set the firewall default action to Deny with explicit allow rules.',
  evaluate(resource, settings) {
    if (resource.kind !== 'storageAccount') return [];
    if (!isPhi(resource, settings)) {
      return [
        finding(
          stgNetworkPhi,
          resource,
          'not-applicable',
          `Not tagged as PHI (${settings.phiTagName}=${settings.phiTagValues.join('|')}).`,
        ),
      ];
    }
    const publicEnabled =
      resource.publicNetworkAccess === null || sameText(resource.publicNetworkAccess, 'enabled');
    const allowAll =
      resource.networkDefaultAction === null || sameText(resource.networkDefaultAction, 'allow');
    if (publicEnabled && allowAll) {
      return [
        finding(
          stgNetworkPhi,
          resource,
          'fail',
          'PHI account accepts connections from all networks (public network access enabled, default action Allow).',
        ),
      ];
    }
    const why = publicEnabled
      ? 'firewall default action is Deny'
      : `public network access is ${resource.publicNetworkAccess}`;
    return [finding(stgNetworkPhi, resource, 'pass', `Network access is restricted: ${why}.`)];
  },
};
