import type { ResourceKind } from './types.js';

/** The parts of an ARM resource id the sandbox understands (names decoded, casing as given). */
export interface ParsedId {
  kind: ResourceKind;
  subscriptionId: string;
  resourceGroup: string;
  /** storage account, NSG, workspace or vault name; for a diagnostic setting: the id of its scope */
  parent: string;
  /** container, security rule, key or diagnostic setting name */
  child?: string;
}

const WORKSPACE_OR_VAULT_ID =
  /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/(Microsoft\.OperationalInsights\/workspaces|Microsoft\.KeyVault\/vaults)\/([^/]+)(?:\/(keys|tables)\/([^/]+))?\/?$/i;
const DIAGNOSTIC_SETTING_ID = /^(.+)\/providers\/Microsoft\.Insights\/diagnosticSettings\/([^/]+)\/?$/i;

/** Workspaces and their tables, vaults, vault keys and diagnostic settings (whose scope must itself be a sandbox resource or a blob service). */
function parseMonitoringId(id: string): ParsedId | undefined {
  const diagnostic = DIAGNOSTIC_SETTING_ID.exec(id);
  if (diagnostic) {
    const [, scope = '', name = ''] = diagnostic;
    const owner = parseResourceId(scope.replace(/\/blobServices\/default$/i, ''));
    if (!owner || owner.kind === 'diagnosticSetting') return undefined;
    return {
      kind: 'diagnosticSetting',
      subscriptionId: owner.subscriptionId,
      resourceGroup: owner.resourceGroup,
      parent: scope,
      child: decodeURIComponent(name),
    };
  }
  const match = WORKSPACE_OR_VAULT_ID.exec(id);
  if (!match) return undefined;
  const [, subscriptionId = '', resourceGroup = '', provider = '', parent = '', keys, child] = match;
  const vault = provider.toLowerCase() === 'microsoft.keyvault/vaults';
  if (keys !== undefined && child !== undefined) {
    if ((keys.toLowerCase() === 'keys') !== vault) return undefined;
    return {
      kind: vault ? 'keyVaultKey' : 'logAnalyticsTable',
      subscriptionId,
      resourceGroup,
      parent: decodeURIComponent(parent),
      child: decodeURIComponent(child),
    };
  }
  return {
    kind: vault ? 'keyVault' : 'logAnalyticsWorkspace',
    subscriptionId,
    resourceGroup,
    parent: decodeURIComponent(parent),
  };
}

const RESOURCE_ID =
  /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/(Microsoft\.Storage\/storageAccounts|Microsoft\.Network\/networkSecurityGroups)\/([^/]+)(?:\/(blobServices\/default\/containers|securityRules)\/([^/]+))?\/?$/i;

export function parseResourceId(id: string): ParsedId | undefined {
  const match = RESOURCE_ID.exec(id);
  if (!match) return parseMonitoringId(id);
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
    case 'logAnalyticsWorkspace':
      return workspaceId(s, g, parent);
    case 'keyVault':
      return vaultId(s, g, parent);
    case 'keyVaultKey':
      return `${vaultId(s, g, parent)}/keys/${child ?? ''}`;
    case 'logAnalyticsTable':
      return `${workspaceId(s, g, parent)}/tables/${child ?? ''}`;
    case 'diagnosticSetting':
      return diagnosticSettingId(parent, child ?? '');
  }
}

export function workspaceId(subscriptionId: string, resourceGroup: string, workspace: string): string {
  return `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.OperationalInsights/workspaces/${workspace}`;
}

export function vaultId(subscriptionId: string, resourceGroup: string, vault: string): string {
  return `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.KeyVault/vaults/${vault}`;
}

/** `scopeId`: the resource (or blob service) the setting is attached to. */
export function diagnosticSettingId(scopeId: string, name: string): string {
  return `${scopeId}/providers/Microsoft.Insights/diagnosticSettings/${name}`;
}
