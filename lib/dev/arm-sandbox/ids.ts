import type { ResourceKind } from './types.js';

/** The parts of an ARM resource id the sandbox understands (names decoded, casing as given). */
export interface ParsedId {
  kind: ResourceKind;
  subscriptionId: string;
  resourceGroup: string;
  /** storage account or NSG name */
  parent: string;
  /** container or security rule name */
  child?: string;
}

const RESOURCE_ID =
  /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/(Microsoft\.Storage\/storageAccounts|Microsoft\.Network\/networkSecurityGroups)\/([^/]+)(?:\/(blobServices\/default\/containers|securityRules)\/([^/]+))?\/?$/i;

export function parseResourceId(id: string): ParsedId | undefined {
  const match = RESOURCE_ID.exec(id);
  if (!match) return undefined;
  const [, subscriptionId = '', resourceGroup = '', provider = '', parent = '', childType, child] = match;
  const storage = provider.toLowerCase().startsWith('microsoft.storage');
  if (childType !== undefined && child !== undefined) {
    const isContainer = childType.toLowerCase().startsWith('blobservices');
    if (isContainer !== storage) return undefined;
    return {
      kind: storage ? 'blobContainer' : 'securityRule',
      subscriptionId,
      resourceGroup,
      parent: decodeURIComponent(parent),
      child: decodeURIComponent(child),
    };
  }
  return {
    kind: storage ? 'storageAccount' : 'networkSecurityGroup',
    subscriptionId,
    resourceGroup,
    parent: decodeURIComponent(parent),
  };
}

export function storageAccountId(subscriptionId: string, resourceGroup: string, account: string): string {
  return `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.Storage/storageAccounts/${account}`;
}

export function containerId(
  subscriptionId: string,
  resourceGroup: string,
  account: string,
  container: string,
): string {
  return `${storageAccountId(subscriptionId, resourceGroup, account)}/blobServices/default/containers/${container}`;
}

export function nsgId(subscriptionId: string, resourceGroup: string, nsg: string): string {
  return `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.Network/networkSecurityGroups/${nsg}`;
}

export function ruleId(subscriptionId: string, resourceGroup: string, nsg: string, rule: string): string {
  return `${nsgId(subscriptionId, resourceGroup, nsg)}/securityRules/${rule}`;
}

export function canonicalId(parsed: ParsedId): string {
  const { subscriptionId: s, resourceGroup: g, parent, child } = parsed;
  switch (parsed.kind) {
    case 'storageAccount':
      return storageAccountId(s, g, parent);
    case 'blobContainer':
      return containerId(s, g, parent, child ?? '');
    case 'networkSecurityGroup':
      return nsgId(s, g, parent);
    case 'securityRule':
      return ruleId(s, g, parent, child ?? '');
  }
}
