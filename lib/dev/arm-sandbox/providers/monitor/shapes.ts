/**
 * Microsoft.OperationalInsights workspaces and Microsoft.Insights diagnostic settings: the JSON
 * the sandbox returns, and what those resource providers reject where driftwarden can hit it.
 */
import { randomUUID } from 'node:crypto';
import { badRequest, clone, isRecord, mergePatch } from '../../arm.js';
import type { ArmResource } from '../../types.js';
import { propsOf, type ResourceInput, tagsOf } from '../input.js';

export const WORKSPACE_TYPE = 'Microsoft.OperationalInsights/workspaces';
export const DIAGNOSTIC_SETTING_TYPE = 'Microsoft.Insights/diagnosticSettings';

/** Workspace ETags are quoted GUIDs. */
function newEtag(): string {
  return `"${randomUUID()}"`;
}

export function validateWorkspaceName(name: string): void {
  if (!/^[A-Za-z0-9][A-Za-z0-9-]{2,61}[A-Za-z0-9]$/.test(name)) {
    throw badRequest(
      'InvalidParameter',
      `Workspace name '${name}' is invalid: 4-63 letters, digits and hyphens, starting and ending with a letter or digit.`,
    );
  }
}

/** PerGB2018 and the commitment tiers allow 30-730 days; the Free tier keeps 7 days and cannot change. */
function validateRetention(props: Record<string, unknown>, skuName: string): void {
  const days = props.retentionInDays;
  if (days === undefined || days === null) return;
  if (typeof days !== 'number' || !Number.isInteger(days)) {
    throw badRequest('InvalidParameter', 'retentionInDays must be an integer.');
  }
  if (skuName.toLowerCase() === 'free') {
    if (days !== 7)
      throw badRequest('InvalidParameter', 'Workspaces on the Free tier have a fixed retention of 7 days.');
    return;
  }
  if (days < 30 || days > 730) {
    throw badRequest(
      'InvalidParameter',
      `retentionInDays ${days} is out of range: allowed values are 30 to 730.`,
    );
  }
}

function skuOf(props: Record<string, unknown>): string {
  return isRecord(props.sku) && typeof props.sku.name === 'string' ? props.sku.name : 'PerGB2018';
}

export function buildWorkspace(
  id: string,
  name: string,
  input: ResourceInput,
  provisioningState: string,
): ArmResource {
  const given = propsOf(input);
  const sku = skuOf(given);
  validateRetention(given, sku);
  const now = new Date().toISOString();
  const properties = mergePatch(
    {
      sku: { name: sku, lastSkuUpdate: now },
      retentionInDays: sku.toLowerCase() === 'free' ? 7 : 30,
      features: { enableLogAccessUsingOnlyResourcePermissions: true },
      workspaceCapping: { dailyQuotaGb: -1, dataIngestionStatus: 'RespectQuota' },
      publicNetworkAccessForIngestion: 'Enabled',
      publicNetworkAccessForQuery: 'Enabled',
    },
    given,
  );
  Object.assign(properties, {
    provisioningState,
    customerId: randomUUID(),
    createdDate: now,
    modifiedDate: now,
  });
  return {
    id,
    name,
    type: WORKSPACE_TYPE,
    location: typeof input.location === 'string' ? input.location : 'eastus',
    tags: tagsOf(input.tags) ?? {},
    etag: newEtag(),
    properties,
  };
}

/** PATCH (and PUT on an existing workspace): properties merge, read-only ones are ignored, new ETag. */
export function updateWorkspace(existing: ArmResource, input: ResourceInput): ArmResource {
  const patch = propsOf(input);
  for (const readOnly of ['provisioningState', 'customerId', 'createdDate', 'modifiedDate'])
    delete patch[readOnly];
  const next = clone(existing);
  next.properties = mergePatch(next.properties, patch);
  validateRetention(next.properties, skuOf(next.properties));
  next.properties.modifiedDate = new Date().toISOString();
  const tags = tagsOf(input.tags);
  if (tags) next.tags = tags;
  next.etag = newEtag();
  return next;
}

/** Log categories per scope type (lower-cased resource type of the scope), as Azure Monitor lists them. */
const CATEGORIES: Record<string, readonly string[]> = {
  'microsoft.storage/storageaccounts/blobservices': ['StorageRead', 'StorageWrite', 'StorageDelete'],
  'microsoft.keyvault/vaults': ['AuditEvent', 'AzurePolicyEvaluationDetails'],
  'microsoft.network/networksecuritygroups': ['NetworkSecurityGroupEvent', 'NetworkSecurityGroupRuleCounter'],
  'microsoft.operationalinsights/workspaces': ['Audit', 'SummaryLogs'],
};
const CATEGORY_GROUPS: Record<string, readonly string[]> = {
  'microsoft.storage/storageaccounts/blobservices': ['audit', 'allLogs'],
  'microsoft.keyvault/vaults': ['audit', 'allLogs'],
  'microsoft.network/networksecuritygroups': ['allLogs'],
  'microsoft.operationalinsights/workspaces': ['audit', 'allLogs'],
};

/** The lower-cased resource type of a scope id, e.g. 'microsoft.keyvault/vaults'. */
export function scopeTypeOf(scopeId: string): string {
  const parts = scopeId.split('/');
  const at = parts.map((part) => part.toLowerCase()).lastIndexOf('providers');
  const tail = parts.slice(at + 1);
  return [tail[0], ...tail.slice(1).filter((_, index) => index % 2 === 0)].join('/').toLowerCase();
}

/** Azure Monitor allows at most five diagnostic settings per resource. */
export const MAX_SETTINGS_PER_SCOPE = 5;

export function buildDiagnosticSetting(
  id: string,
  name: string,
  scopeId: string,
  input: ResourceInput,
  workspaceExists: (workspaceId: string) => boolean,
): ArmResource {
  const props = propsOf(input);
  const type = scopeTypeOf(scopeId);
  const categories = CATEGORIES[type] ?? [];
  const groups = CATEGORY_GROUPS[type] ?? [];
  const logs = Array.isArray(props.logs) ? props.logs : [];
  for (const entry of logs) {
    if (!isRecord(entry)) throw badRequest('BadRequest', 'Each logs entry must be an object.');
    const { category, categoryGroup } = entry;
    if (typeof category === 'string' && !categories.some((c) => c.toLowerCase() === category.toLowerCase())) {
      throw badRequest('BadRequest', `Category '${category}' is not supported.`);
    }
    if (
      typeof categoryGroup === 'string' &&
      !groups.some((g) => g.toLowerCase() === categoryGroup.toLowerCase())
    ) {
      throw badRequest('BadRequest', `Category group '${categoryGroup}' is not supported.`);
    }
    if (typeof category !== 'string' && typeof categoryGroup !== 'string') {
      throw badRequest('BadRequest', 'A logs entry needs a category or a categoryGroup.');
    }
  }
  const destinations = [
    'workspaceId',
    'storageAccountId',
    'eventHubAuthorizationRuleId',
    'marketplacePartnerId',
  ];
  if (!destinations.some((key) => typeof props[key] === 'string' && props[key] !== '')) {
    throw badRequest(
      'BadRequest',
      'At least one destination (workspace, storage account, event hub or partner) is required.',
    );
  }
  // ARM's gateway validates linked ids before the RP sees them
  if (typeof props.workspaceId === 'string' && !/^\/(subscriptions|providers)\//i.test(props.workspaceId)) {
    throw badRequest(
      'LinkedInvalidPropertyId',
      `Property id '${props.workspaceId}' at path 'properties.workspaceId' is invalid. Expect fully qualified resource Id that start with '/subscriptions/{subscriptionId}' or '/providers/{resourceProviderNamespace}/'.`,
    );
  }
  if (typeof props.workspaceId === 'string' && !workspaceExists(props.workspaceId)) {
    throw badRequest('LinkedResourceNotFound', `The workspace '${props.workspaceId}' could not be found.`);
  }
  return {
    id,
    name,
    type: DIAGNOSTIC_SETTING_TYPE,
    properties: {
      ...props,
      logs: logs.map((entry) => ({
        retentionPolicy: { enabled: false, days: 0 },
        enabled: false,
        ...clone(entry as Record<string, unknown>),
      })),
      metrics: Array.isArray(props.metrics) ? props.metrics : [],
      logAnalyticsDestinationType: props.logAnalyticsDestinationType ?? null,
    },
  };
}

export const TABLE_TYPE = 'Microsoft.OperationalInsights/workspaces/tables';

/** -1 or a whole number in [min, max]: what Tables_CreateOrUpdate accepts for a retention. */
function tableDays(value: unknown, name: string, min: number, max: number): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (value === -1) return -1;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
    throw badRequest('InvalidParameter', `${name} must be -1 (the default) or between ${min} and ${max}.`);
  return value;
}

/**
 * A table as stored: what is set on the table itself (-1 = the default), the plan and schema.
 * Analytics tables take 4-730 days of interactive retention; total retention is up to 4383 days
 * (12 years) and never below the interactive retention. Basic and Auxiliary tables have a fixed
 * 30-day interactive period.
 */
export function buildTable(
  id: string,
  name: string,
  input: ResourceInput,
  existing: ArmResource | undefined,
  workspace: ArmResource,
): ArmResource {
  const given = propsOf(input);
  const before = existing?.properties ?? {};
  const plan =
    typeof given.plan === 'string' ? given.plan : typeof before.plan === 'string' ? before.plan : 'Analytics';
  if (!['analytics', 'basic', 'auxiliary'].includes(plan.toLowerCase()))
    throw badRequest('InvalidParameter', `Plan '${plan}' is not Analytics, Basic or Auxiliary.`);
  const retention =
    tableDays(given.retentionInDays, 'retentionInDays', 4, 730) ?? before.retentionInDays ?? -1;
  if (plan.toLowerCase() !== 'analytics' && retention !== -1 && given.retentionInDays !== undefined)
    throw badRequest('InvalidParameter', `retentionInDays is read-only for ${plan} tables.`);
  const total =
    tableDays(given.totalRetentionInDays, 'totalRetentionInDays', 4, 4383) ??
    before.totalRetentionInDays ??
    -1;
  const next: ArmResource = {
    id,
    name,
    type: TABLE_TYPE,
    properties: {
      ...clone(before),
      plan,
      retentionInDays: retention,
      totalRetentionInDays: total,
      schema: isRecord(given.schema)
        ? clone(given.schema)
        : (before.schema ?? { name, tableType: 'Microsoft', columns: [] }),
      provisioningState: 'Succeeded',
    },
  };
  const view = tableView(next, workspace);
  const interactive = view.properties.retentionInDays as number;
  if ((view.properties.totalRetentionInDays as number) < interactive)
    throw badRequest(
      'InvalidParameter',
      `totalRetentionInDays (${String(view.properties.totalRetentionInDays)}) cannot be less than retentionInDays (${interactive}).`,
    );
  return next;
}

/**
 * A table as ARM returns it: the defaults resolved — interactive retention from the workspace
 * (30 days fixed on Basic/Auxiliary), total from the interactive — with `...AsDefault` saying
 * which values were derived, and archiveRetentionInDays = total - interactive.
 */
export function tableView(table: ArmResource, workspace: ArmResource | undefined): ArmResource {
  const props = table.properties;
  const analytics = String(props.plan ?? 'Analytics').toLowerCase() === 'analytics';
  const ownRetention =
    typeof props.retentionInDays === 'number' && props.retentionInDays !== -1 ? props.retentionInDays : null;
  const workspaceDays =
    typeof workspace?.properties.retentionInDays === 'number' ? workspace.properties.retentionInDays : 30;
  const retention = ownRetention ?? (analytics ? workspaceDays : 30);
  const ownTotal =
    typeof props.totalRetentionInDays === 'number' && props.totalRetentionInDays !== -1
      ? props.totalRetentionInDays
      : null;
  const total = ownTotal ?? retention;
  return {
    ...clone(table),
    properties: {
      ...clone(props),
      retentionInDays: retention,
      totalRetentionInDays: total,
      archiveRetentionInDays: total - retention,
      retentionInDaysAsDefault: ownRetention === null,
      totalRetentionInDaysAsDefault: ownTotal === null,
    },
  };
}
