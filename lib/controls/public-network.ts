import type { Verdict } from './define.js';
import { sameText } from './support.js';
import type { Finding } from './types.js';

/**
 * The shared judgement of the PHI network controls (STG-NETWORK-PHI, KV-NETWORK-PHI): a resource
 * fails when it accepts connections from every network. Absent values are the service defaults,
 * public network access Enabled and firewall default action Allow.
 */
export function judgePublicNetwork(
  resource: { publicNetworkAccess: string | null; networkDefaultAction: string | null },
  verdict: Verdict,
  noun: 'account' | 'vault',
): Finding {
  const publicEnabled =
    resource.publicNetworkAccess === null || sameText(resource.publicNetworkAccess, 'enabled');
  const allowAll = resource.networkDefaultAction === null || sameText(resource.networkDefaultAction, 'allow');
  if (publicEnabled && allowAll)
    return verdict.fail(
      `PHI ${noun} accepts connections from all networks (public network access enabled, default action Allow).`,
    );
  const why = publicEnabled
    ? 'firewall default action is Deny'
    : `public network access is ${resource.publicNetworkAccess}`;
  return verdict.pass(`Network access is restricted: ${why}.`);
}
