/**
 * Domain contracts shared by the control catalog, the event path, the sweep and the on-call API.
 * Controls are data plus a pure evaluate(): no I/O here.
 */

export type ControlId =
  | 'STG-PUBLIC-BLOB'
  | 'STG-CONTAINER-PUBLIC'
  | 'STG-HTTPS-ONLY'
  | 'STG-MIN-TLS'
  | 'STG-CMK-PHI'
  | 'STG-NETWORK-PHI'
  | 'NSG-MGMT-PORT'
  | 'NSG-OPEN-INBOUND';

export type Severity = 'critical' | 'high' | 'medium' | 'low';
export type Mode = 'remediate' | 'audit' | 'off';
export type FindingStatus = 'pass' | 'fail' | 'exempt' | 'not-applicable';

/** ARM resource types, lower-cased (ARM compares types case-insensitively). */
export const RESOURCE_TYPES = {
  storageAccount: 'microsoft.storage/storageaccounts',
  blobContainer: 'microsoft.storage/storageaccounts/blobservices/containers',
  networkSecurityGroup: 'microsoft.network/networksecuritygroups',
  securityRule: 'microsoft.network/networksecuritygroups/securityrules',
} as const;
export type ResourceKind = keyof typeof RESOURCE_TYPES;

/** Storage account, normalised from either the ARM REST shape or the flattened CLI/SDK shape. */
export interface StorageAccountResource {
  kind: 'storageAccount';
  id: string;
  name: string;
  tags: Record<string, string>;
  /** null = absent: older accounts then permit anonymous access. */
  allowBlobPublicAccess: boolean | null;
  supportsHttpsTrafficOnly: boolean | null;
  minimumTlsVersion: string | null;
  /** e.g. 'Microsoft.Storage' | 'Microsoft.Keyvault' */
  encryptionKeySource: string | null;
  /** 'Enabled' | 'Disabled' | 'SecuredByPerimeter' | null (absent = enabled) */
  publicNetworkAccess: string | null;
  /** networkAcls.defaultAction: 'Allow' | 'Deny' | null (absent = Allow) */
  networkDefaultAction: string | null;
}

export interface BlobContainerResource {
  kind: 'blobContainer';
  id: string;
  name: string;
  /** id of the owning storage account (derived from the container id) */
  storageAccountId: string;
  /** 'None' | 'Blob' | 'Container' | null */
  publicAccess: string | null;
}

export interface SecurityRule {
  name: string;
  id: string | null;
  etag: string | null;
  priority: number | null;
  /** 'Inbound' | 'Outbound' as given (compare case-insensitively) */
  direction: string;
  /** 'Allow' | 'Deny' */
  access: string;
  /** '*' | 'Tcp' | 'Udp' | 'Icmp' | 'Esp' | 'Ah' */
  protocol: string;
  /** union of sourceAddressPrefix and sourceAddressPrefixes, as given */
  sourceAddressPrefixes: string[];
  /** union of destinationPortRange and destinationPortRanges, as given */
  destinationPortRanges: string[];
  /** true when the rule came from defaultSecurityRules: never flagged, never remediated */
  isDefault: boolean;
}

export interface NetworkSecurityGroupResource {
  kind: 'networkSecurityGroup';
  id: string;
  name: string;
  tags: Record<string, string>;
  securityRules: SecurityRule[];
  defaultSecurityRules: SecurityRule[];
}

/** A single security rule read on its own (`.../networkSecurityGroups/<nsg>/securityRules/<rule>`). */
export interface SecurityRuleResource {
  kind: 'securityRule';
  id: string;
  name: string;
  networkSecurityGroupId: string;
  rule: SecurityRule;
}

export type NormalizedResource =
  | StorageAccountResource
  | BlobContainerResource
  | NetworkSecurityGroupResource
  | SecurityRuleResource;

/**
 * What remediation would change: data, so the event path, the sweep, dry-run output and
 * evidence all describe the same change. Applying it is the adapters' job.
 */
export type RemediationPlan =
  | {
      kind: 'storage-account-properties';
      set: Partial<{
        allowBlobPublicAccess: false;
        supportsHttpsTrafficOnly: true;
        minimumTlsVersion: 'TLS1_2';
      }>;
    }
  | { kind: 'blob-container-public-access'; set: { publicAccess: 'None' } }
  | { kind: 'nsg-rule-remove-sources'; ruleName: string; removeSources: string[] }
  | { kind: 'nsg-rule-deny'; ruleName: string };

export interface Finding {
  resourceId: string;
  /** ARM type as commonly spelled, e.g. 'Microsoft.Network/networkSecurityGroups' */
  resourceType: string;
  controlId: ControlId;
  status: FindingStatus;
  severity: Severity;
  criteria: string[];
  message: string;
  /** for NSG findings: the offending rule */
  ruleName?: string;
  /** set when status is 'exempt' */
  exceptionId?: string;
  /** set when status is 'fail' and the control can remediate */
  remediation?: RemediationPlan;
}

/** An approved, expiring exception. Storage comes later; matching is pure. */
export interface ControlException {
  id: string;
  controlId: ControlId;
  /** resource id (case-insensitive); an ancestor id (resource group, subscription) covers what is below it */
  scope: string;
  /** optional: only this security rule of the NSG in scope */
  ruleName?: string;
  justification: string;
  ticket: string;
  /** who approved (name; empty while a two-step request awaits approval) */
  approvedBy: string;
  /** the approver's Entra object id (what separation of duties compares) */
  approvedByObjectId?: string;
  approvedOn: string; // ISO 8601 (for a pending request: when it was requested)
  expiresOn: string; // ISO 8601
  revokedOn?: string; // ISO 8601; a revoked exception never matches
  revokedBy?: string;
  revokedByObjectId?: string;
  /** two-step exceptions: 'requested' until a second person approves (never matches before) */
  state?: 'requested' | 'approved';
  requestedBy?: string;
  requestedByObjectId?: string;
  /** wider than one resource for a management-port control: allowed only when asked for, and reported */
  wideScope?: boolean;
  /** a restore waiting for this request's approval: the remediated record to restore once approved */
  restoreOf?: string;
}

/** Tunables that change evaluation (configuration, with defaults in lib/controls/settings.ts). */
export interface EvaluationSettings {
  /** tag name marking PHI storage (case-insensitive name); default 'data-classification' */
  phiTagName: string;
  /** tag values meaning PHI (case-insensitive); default ['phi'] */
  phiTagValues: string[];
  /** management/database ports, e.g. ['22', '3389', '5985-5986', ...] */
  managementPorts: string[];
  /** a public prefix this wide or wider (prefix length <= this) counts as internet; default 16 */
  internetPrefixMaxLength: number;
}

export interface Control {
  id: ControlId;
  title: string;
  severity: Severity;
  criteria: string[];
  /** closest Azure Policy built-in definition ids (GUIDs), for auditors to cross-reference */
  azurePolicyDefinitionIds: string[];
  resourceKinds: ResourceKind[];
  defaultMode: Mode;
  /** human description of what remediation changes */
  remediationDescription: string;
  evaluate(resource: NormalizedResource, settings: EvaluationSettings): Finding[];
}
