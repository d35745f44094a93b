import type { ResourceKind } from '../resources/kinds.js';
import type { ControlId as CatalogControlId } from './catalog.js';
import type { Fields } from './fields.js';
import type {
  BlobContainerFields,
  BlobContainerWrites,
  KeyVaultFields,
  StorageAccountFields,
  StorageAccountWrites,
  WorkspaceFields,
} from './resource-fields.js';

/**
 * Domain contracts shared by the control catalog, the event path, the sweep and the on-call API.
 * Controls are data plus a pure evaluate(): no I/O here. Types that list controls or their fields
 * are derived from the catalog, never kept in parallel.
 */

/** A control's id: derived from the catalog (lib/controls/catalog.ts), the one list of controls. */
export type ControlId = CatalogControlId;

export type Severity = 'critical' | 'high' | 'medium' | 'low';
export type Mode = 'remediate' | 'audit' | 'off';
/**
 * `unknown`: the verdict depends on a value not known before deployment (an unresolved template
 * expression, a Terraform value known only after apply). Only review-time input (lib/iac/) yields it.
 */
export type FindingStatus = 'pass' | 'fail' | 'exempt' | 'not-applicable' | 'unknown';

/** Storage account: identity and tags; the properties controls judge are declared by the controls. */
export interface StorageAccountBase {
  kind: 'storageAccount';
  id: string;
  name: string;
  tags: Record<string, string>;
}

/**
 * Storage account, normalised from either the ARM REST shape or the flattened CLI/SDK shape: the
 * base plus every field a storage control reads (null = not reported), e.g. allowBlobPublicAccess.
 */
export type StorageAccountResource = StorageAccountBase & StorageAccountFields;

export interface BlobContainerBase {
  kind: 'blobContainer';
  id: string;
  name: string;
  /** id of the owning storage account (derived from the container id) */
  storageAccountId: string;
}

/** Blob container: the base plus the fields container controls read (publicAccess). */
export type BlobContainerResource = BlobContainerBase & BlobContainerFields;

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

export interface LogAnalyticsWorkspaceBase {
  kind: 'logAnalyticsWorkspace';
  id: string;
  name: string;
  tags: Record<string, string>;
}

/** Log Analytics workspace: the base plus the fields workspace controls read (retentionInDays). */
export type LogAnalyticsWorkspaceResource = LogAnalyticsWorkspaceBase & WorkspaceFields;

/**
 * A workspace table's retention (`Microsoft.OperationalInsights/workspaces/tables`), as set on the
 * table: null where it follows the default — `retentionInDays` the workspace's retention,
 * `totalRetentionInDays` the table's `retentionInDays` (ARM: -1 on write, `...AsDefault: true` on read).
 */
export interface LogAnalyticsTableResource {
  kind: 'logAnalyticsTable';
  id: string;
  name: string;
  /** id of the workspace (derived from the table id) */
  workspaceId: string;
  /** interactive (analytics) retention set on the table; null: the workspace's */
  retentionInDays: number | null;
  /** total retention (interactive + long-term) set on the table; null: its retentionInDays */
  totalRetentionInDays: number | null;
  /** Analytics, Basic or Auxiliary; null when not reported */
  plan: string | null;
}

export interface KeyVaultBase {
  kind: 'keyVault';
  id: string;
  name: string;
  tags: Record<string, string>;
}

/** Key Vault: the base plus the fields vault controls read (soft delete, purge protection, network). */
export type KeyVaultResource = KeyVaultBase & KeyVaultFields;

/**
 * A key in a vault as ARM reports it (`Microsoft.KeyVault/vaults/keys`): what a cross-resource
 * control needs to follow a customer-managed-key reference to it.
 */
export interface KeyVaultKeyResource {
  kind: 'keyVaultKey';
  id: string;
  name: string;
  /** id of the vault (derived from the key id) */
  vaultId: string;
  /** `https://<vault>.vault.azure.net/keys/<name>` (versionless), null when not reported */
  keyUri: string | null;
  /** JSON web key type: RSA, RSA-HSM, EC, EC-HSM, oct-HSM; null when not reported */
  kty: string | null;
}

/** One `logs` entry of a diagnostic setting. */
export interface DiagnosticLogEntry {
  category: string | null;
  categoryGroup: string | null;
  enabled: boolean;
}

/** A diagnostic setting (an extension resource on `scopeId`): where it sends which logs. */
export interface DiagnosticSettingResource {
  kind: 'diagnosticSetting';
  id: string;
  name: string;
  /** the resource the setting is attached to, e.g. `<account>/blobServices/default` or a vault id */
  scopeId: string;
  /** the Log Analytics workspace it sends to, null when it sends to none */
  workspaceId: string | null;
  logs: DiagnosticLogEntry[];
}

export type NormalizedResource =
  | StorageAccountResource
  | BlobContainerResource
  | NetworkSecurityGroupResource
  | SecurityRuleResource
  | LogAnalyticsWorkspaceResource
  | LogAnalyticsTableResource
  | KeyVaultResource
  | KeyVaultKeyResource
  | DiagnosticSettingResource;

/** The shape of each kind before control-declared fields (what a control's evaluate() builds on). */
export interface ResourceBases {
  storageAccount: StorageAccountBase;
  blobContainer: BlobContainerBase;
  networkSecurityGroup: NetworkSecurityGroupResource;
  securityRule: SecurityRuleResource;
  logAnalyticsWorkspace: LogAnalyticsWorkspaceBase;
  logAnalyticsTable: LogAnalyticsTableResource;
  keyVault: KeyVaultBase;
  keyVaultKey: KeyVaultKeyResource;
  diagnosticSetting: DiagnosticSettingResource;
}

/**
 * What remediation would change: data, so the event path, the sweep, dry-run output and
 * evidence all describe the same change. Applying it is the adapters' job.
 */
export type RemediationPlan =
  | { kind: 'storage-account-properties'; set: Partial<StorageAccountWrites> }
  | { kind: 'blob-container-public-access'; set: BlobContainerWrites }
  | { kind: 'workspace-properties'; set: { retentionInDays: number } }
  | { kind: 'nsg-rule-remove-sources'; ruleName: string; removeSources: string[] }
  | { kind: 'nsg-rule-deny'; ruleName: string }
  /**
   * Create (or overwrite) driftwarden's diagnostic setting `name` on `scopeId` (an account's blob
   * service, a vault, an NSG) sending `categories` to `workspaceId` (DIAG-RESOURCE-LOGS).
   */
  | { kind: 'diagnostic-setting'; scopeId: string; name: string; workspaceId: string; categories: string[] };

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
  /** why it was revoked (optional; recorded with the revocation) */
  revokedReason?: string;
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
  /** minimum Log Analytics retention for audit evidence, in days; default 365 (12 months) */
  logRetentionDays: number;
  /**
   * Which workspaces are audit workspaces (LAW-RETENTION judges them, DIAG-RESOURCE-LOGS accepts
   * them as destinations): null for both = every workspace. A workspace is one when it carries
   * this tag (name case-insensitive) with the value `true`, or its id is listed (lower-cased).
   */
  auditWorkspaceTag: string | null;
  auditWorkspaceIds: string[] | null;
  /** DIAG-RESOURCE-LOGS remediation: the workspace a created diagnostic setting sends to; null = none */
  diagnosticWorkspaceId: string | null;
}

/** A control as the rest of the app sees it; built by defineControl (lib/controls/define.ts). */
export interface Control extends ControlBody {
  readonly id: ControlId;
}

/** Everything of a control but its id (apart, so ControlId can be derived from the catalog). */
export interface ControlBody {
  readonly title: string;
  readonly severity: Severity;
  readonly criteria: readonly string[];
  /** closest Azure Policy built-in definition ids (GUIDs), for auditors to cross-reference */
  readonly azurePolicyDefinitionIds: readonly string[];
  readonly resourceKinds: readonly ResourceKind[];
  readonly defaultMode: Mode;
  /** human description of what remediation changes */
  readonly remediationDescription: string;
  /** the resource properties the control judges, and how to read them */
  readonly reads: Fields;
  /** the compliant values its remediation writes (storage account / container properties) */
  readonly writes: Readonly<Record<string, unknown>>;
  /** `related`: the other resources a cross-resource control follows (default: none known) */
  evaluate(resource: NormalizedResource, settings: EvaluationSettings, related?: RelatedResources): Finding[];
}

/**
 * The other resources a cross-resource control looks at, as far as the caller knows them:
 * `undefined` = not known (not in the input: the control cannot judge), `null` / `[]` = known
 * not to exist. Built from the input (evaluate), from ARM reads (events) or from the sweep's
 * lists (lib/controls/related.ts).
 */
export interface RelatedResources {
  /** diagnostic settings attached to this scope id (compared case-insensitively) */
  diagnosticSettings(scopeId: string): readonly DiagnosticSettingResource[] | undefined;
  /** the workspace with this ARM id */
  workspace(workspaceId: string): LogAnalyticsWorkspaceResource | null | undefined;
  /** the tables of the workspace with this ARM id (all of them: one list call) */
  tables(workspaceId: string): readonly LogAnalyticsTableResource[] | undefined;
  /** the key a customer-managed-key reference names: vault URI and key name */
  vaultKey(vaultUri: string, keyName: string): KeyVaultKeyResource | null | undefined;
}
