/** The inbound security rules the tests and benches open as drift (SDK shape, no name). */
import type { SecurityRule } from '@azure/arm-network';

/** RDP (Tcp 3389) allowed from any source, priority 100: an NSG-MGMT-PORT drift. */
export const RDP_FROM_ANY: SecurityRule = {
  protocol: 'Tcp',
  sourceAddressPrefix: '*',
  sourcePortRange: '*',
  destinationAddressPrefix: '*',
  destinationPortRange: '3389',
  access: 'Allow',
  priority: 100,
  direction: 'Inbound',
};

/** RDP (Tcp 3389) allowed from the Internet service tag, priority 100: an NSG-MGMT-PORT drift. */
export const RDP_FROM_INTERNET: SecurityRule = { ...RDP_FROM_ANY, sourceAddressPrefix: 'Internet' };

/** Tcp 8443 from a private range and 0.0.0.0/0, priority 300: an NSG-OPEN-INBOUND drift. */
export const PARTNER_API: SecurityRule = {
  protocol: 'Tcp',
  sourceAddressPrefixes: ['10.20.0.0/16', '0.0.0.0/0'],
  sourcePortRange: '*',
  destinationAddressPrefix: '*',
  destinationPortRange: '8443',
  access: 'Allow',
  priority: 300,
  direction: 'Inbound',
};
