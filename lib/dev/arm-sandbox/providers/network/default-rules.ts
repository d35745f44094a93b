/** The default security rules Azure adds to every NSG (read-only; listed under defaultSecurityRules). */
import type { ArmResource } from '../../types.js';

export const DEFAULT_RULE_TYPE = 'Microsoft.Network/networkSecurityGroups/defaultSecurityRules';

const DEFAULT_RULES: Array<[string, string, string, string, number, string, string]> = [
  // name, description, source, destination, priority, access, direction
  [
    'AllowVnetInBound',
    'Allow inbound traffic from all VMs in VNET',
    'VirtualNetwork',
    'VirtualNetwork',
    65000,
    'Allow',
    'Inbound',
  ],
  [
    'AllowAzureLoadBalancerInBound',
    'Allow inbound traffic from azure load balancer',
    'AzureLoadBalancer',
    '*',
    65001,
    'Allow',
    'Inbound',
  ],
  ['DenyAllInBound', 'Deny all inbound traffic', '*', '*', 65500, 'Deny', 'Inbound'],
  [
    'AllowVnetOutBound',
    'Allow outbound traffic from all VMs to all VMs in VNET',
    'VirtualNetwork',
    'VirtualNetwork',
    65000,
    'Allow',
    'Outbound',
  ],
  [
    'AllowInternetOutBound',
    'Allow outbound traffic from all VMs to Internet',
    '*',
    'Internet',
    65001,
    'Allow',
    'Outbound',
  ],
  ['DenyAllOutBound', 'Deny all outbound traffic', '*', '*', 65500, 'Deny', 'Outbound'],
];

/** The six default rules every NSG carries, sharing the NSG's ETag. */
export function defaultRules(nsgResourceId: string, etag: string): ArmResource[] {
  return DEFAULT_RULES.map(([name, description, source, destination, priority, access, direction]) => ({
    name,
    id: `${nsgResourceId}/defaultSecurityRules/${name}`,
    etag,
    type: DEFAULT_RULE_TYPE,
    properties: {
      provisioningState: 'Succeeded',
      description,
      protocol: '*',
      sourcePortRange: '*',
      destinationPortRange: '*',
      sourceAddressPrefix: source,
      destinationAddressPrefix: destination,
      access,
      priority,
      direction,
      sourcePortRanges: [],
      destinationPortRanges: [],
      sourceAddressPrefixes: [],
      destinationAddressPrefixes: [],
    },
  }));
}
