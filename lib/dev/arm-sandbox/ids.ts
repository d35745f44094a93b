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

/** The top-level types the sandbox serves, the child segment under each, and their kinds. */
const TYPES: ReadonlyArray<{
  type: string;
  childSegment: string;
  kind: ResourceKind;
  childKind: ResourceKind;
}> = [
  {
    type: 'microsoft.storage/storageaccounts',
    childSegment: 'blobservices/default/containers',
    kind: 'storageAccount',
    childKind: 'blobContainer',
  },
  {
    type: 'microsoft.network/networksecuritygroups',
    childSegment: 'securityrules',
    kind: 'networkSecurityGroup',
    childKind: 'securityRule',
  },
  {
    type: 'microsoft.operationalinsights/workspaces',
    childSegment: 'tables',
    kind: 'logAnalyticsWorkspace',
    childKind: 'logAnalyticsTable',
  },
  { type: 'microsoft.keyvault/vaults', childSegment: 'keys', kind: 'keyVault', childKind: 'keyVaultKey' },
];

const RESOURCE_ID =
  /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/([^/]+\/[^/]+)\/([^/]+)(?:\/(blobServices\/default\/containers|[^/]+)\/([^/]+))?\/?$/i;
const DIAGNOSTIC_SETTING_ID = /^(.+)\/providers\/Microsoft\.Insights\/diagnosticSettings\/([^/]+)\/?$/i;

/** A diagnostic setting, whose scope must itself be a sandbox resource or a blob service. */
function parseDiagnosticSettingId(id: string): ParsedId | undefined {
  const diagnostic = DIAGNOSTIC_SETTING_ID.exec(id);
  if (!diagnostic) return undefined;
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

export function parseResourceId(id: string): ParsedId | undefined {
  if (DIAGNOSTIC_SETTING_ID.test(id)) return parseDiagnosticSettingId(id);
  const match = RESOURCE_ID.exec(id);
  if (!match) return undefined;
  const [, subscriptionId = '', resourceGroup = '', provider = '', parent = '', childSegment, child] = match;
  const served = TYPES.find((entry) => entry.type === provider.toLowerCase());
  if (!served) return undefined;
  const common = { subscriptionId, resourceGroup, parent: decodeURIComponent(parent) };
  if (childSegment === undefined || child === undefined) return { kind: served.kind, ...common };
  if (childSegment.toLowerCase() !== served.childSegment) return undefined;
  return { kind: served.childKind, ...common, child: decodeURIComponent(child) };
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
