/**
 * The resource vocabulary: the ARM resource types driftwarden judges and acts on, one table.
 * The id parser (lib/azure/resource-id.ts), the normaliser, findings and evidence all read it.
 * Adding a resource type starts here (see lib/controls/README.md).
 */

/** ARM type spelled as Azure spells it (findings, evidence), keyed by the kind name the code uses. */
export const ARM_TYPE_NAMES = {
  storageAccount: 'Microsoft.Storage/storageAccounts',
  blobContainer: 'Microsoft.Storage/storageAccounts/blobServices/containers',
  networkSecurityGroup: 'Microsoft.Network/networkSecurityGroups',
  securityRule: 'Microsoft.Network/networkSecurityGroups/securityRules',
  logAnalyticsWorkspace: 'Microsoft.OperationalInsights/workspaces',
  /** A workspace's table: its retention is judged as part of its workspace (LAW-RETENTION), never on its own. */
  logAnalyticsTable: 'Microsoft.OperationalInsights/workspaces/tables',
  keyVault: 'Microsoft.KeyVault/vaults',
  keyVaultKey: 'Microsoft.KeyVault/vaults/keys',
  /**
   * An extension resource: its id is `<scope id>/providers/Microsoft.Insights/diagnosticSettings/<name>`.
   * Judged through the resource it is attached to (DIAG-RESOURCE-LOGS), never on its own.
   */
  diagnosticSetting: 'Microsoft.Insights/diagnosticSettings',
} as const;

export type ResourceKind = keyof typeof ARM_TYPE_NAMES;

export const RESOURCE_KINDS = Object.freeze(Object.keys(ARM_TYPE_NAMES) as ResourceKind[]);

/**
 * An NSG's built-in rules: judged (as security rules that are never flagged) when a user hands
 * one in, never written, so not a ResourceKind of their own.
 */
export const DEFAULT_SECURITY_RULE_TYPE = 'Microsoft.Network/networkSecurityGroups/defaultSecurityRules';

/** What a resource type or id can be read as: a kind, or an NSG default rule. */
export type ReadableKind = ResourceKind | 'defaultSecurityRule';

export const READABLE_TYPE_NAMES: Readonly<Record<ReadableKind, string>> = {
  ...ARM_TYPE_NAMES,
  defaultSecurityRule: DEFAULT_SECURITY_RULE_TYPE,
};

const KIND_BY_TYPE = new Map<string, ReadableKind>(
  (Object.entries(READABLE_TYPE_NAMES) as [ReadableKind, string][]).map(([kind, type]) => [
    type.toLowerCase(),
    kind,
  ]),
);

/** Azure's own spelling, which most input uses: found without lower-casing. */
const KIND_BY_SPELLING = new Map<string, ReadableKind>(
  (Object.entries(READABLE_TYPE_NAMES) as [ReadableKind, string][]).map(([kind, type]) => [type, kind]),
);

/** The kind of an ARM type string, compared case-insensitively as ARM does; null for other types. */
export function kindOfType(type: string): ReadableKind | null {
  return KIND_BY_SPELLING.get(type) ?? KIND_BY_TYPE.get(type.trim().toLowerCase()) ?? null;
}
