import { createPipelineRequest, RestError } from '@azure/core-rest-pipeline';
import { diagnosticScopeOf } from '../controls/diag-resource-logs.js';
import { RelatedIndex } from '../controls/related.js';
import type {
  DiagnosticLogEntry,
  DiagnosticSettingResource,
  LogAnalyticsTableResource,
  LogAnalyticsWorkspaceResource,
  NormalizedResource,
  RelatedResources,
} from '../controls/types.js';
import { normalizeResource } from '../resources/normalize.js';
import { isRestError } from '../util/errors.js';
import type { ArmClients } from './clients.js';
import { parseResourceId } from './resource-id.js';

/**
 * The ARM reads behind the cross-resource controls on the event path (the sweep uses its lists,
 * lib/sweep/related.ts): the resource's diagnostic settings (one list call), the workspaces they
 * send to (one GET each), and for a customer-managed key the key as its vault reports it (the
 * subscription's vaults, paged, to find the vault by URI, then one GET). What is not found is
 * known not to exist; a vault outside the account's subscription stays unknown.
 */

type Json = Record<string, unknown>;

function plain(value: unknown): Json {
  return JSON.parse(JSON.stringify(value ?? {})) as Json;
}

function isNotFound(error: unknown): boolean {
  return isRestError(error) && error.statusCode === 404;
}

/** Where a judged resource's audit logs are configured (the control's own rule). */
export { diagnosticScopeOf } from '../controls/diag-resource-logs.js';

/**
 * Diagnostic settings API version with `categoryGroup` (audit / allLogs). @azure/arm-monitor 7
 * calls 2017-05-01-preview, whose model has no category groups, so its deserialiser would drop
 * them and a setting using the `audit` group would look empty: the list is sent through the same
 * client's pipeline (credential, retries, throttle policy) at this version instead.
 */
export const DIAGNOSTIC_SETTINGS_API_VERSION = '2021-05-01-preview';

/** One diagnostic-settings request at DIAGNOSTIC_SETTINGS_API_VERSION through the monitor client's pipeline. */
async function sendDiagnosticSettings(
  arm: ArmClients,
  subscriptionId: string,
  path: string,
  method: 'GET' | 'PUT',
  body?: unknown,
  abortSignal?: AbortSignal,
): Promise<Json> {
  const client = await arm.monitorFor(subscriptionId);
  const url = `${arm.connection.endpoint.replace(/\/+$/, '')}${path}?api-version=${DIAGNOSTIC_SETTINGS_API_VERSION}`;
  const request = createPipelineRequest({
    url,
    method,
    ...(abortSignal ? { abortSignal } : {}),
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (body !== undefined) request.headers.set('Content-Type', 'application/json');
  const response = await client.sendRequest(request);
  const parsed = response.bodyAsText ? (JSON.parse(response.bodyAsText) as Json) : {};
  if (response.status >= 400) {
    const error = (parsed as { error?: { code?: string; message?: string } }).error;
    throw new RestError(error?.message ?? `diagnostic settings ${method} failed (${response.status})`, {
      code: error?.code ?? 'Unknown',
      statusCode: response.status,
      request: response.request,
      response,
    });
  }
  return parsed;
}

/** The diagnostic settings of one scope, normalised (one ARM call: the list is not paged). */
export async function listDiagnosticSettings(
  arm: ArmClients,
  subscriptionId: string,
  scopeId: string,
  abortSignal?: AbortSignal,
): Promise<DiagnosticSettingResource[]> {
  const body = await sendDiagnosticSettings(
    arm,
    subscriptionId,
    `${scopeId}/providers/Microsoft.Insights/diagnosticSettings`,
    'GET',
    undefined,
    abortSignal,
  );
  const settings: DiagnosticSettingResource[] = [];
  for (const raw of Array.isArray(body.value) ? body.value : []) {
    const setting = normalizeResource(plain(raw));
    if (setting?.kind === 'diagnosticSetting') settings.push(setting);
  }
  return settings;
}

/**
 * PUT of a setting whose logs use category groups (a restore of one as recorded): the SDK's
 * 2017-05-01-preview model would drop them, so this goes out at DIAGNOSTIC_SETTINGS_API_VERSION.
 */
export async function putDiagnosticSettingWithGroups(
  arm: ArmClients,
  subscriptionId: string,
  scopeId: string,
  name: string,
  properties: { workspaceId?: string; logs: DiagnosticLogEntry[] },
  abortSignal?: AbortSignal,
): Promise<void> {
  const logs = properties.logs.map((entry) => ({
    ...(entry.category ? { category: entry.category } : {}),
    ...(entry.categoryGroup ? { categoryGroup: entry.categoryGroup } : {}),
    enabled: entry.enabled,
  }));
  await sendDiagnosticSettings(
    arm,
    subscriptionId,
    `${scopeId}/providers/Microsoft.Insights/diagnosticSettings/${encodeURIComponent(name)}`,
    'PUT',
    { properties: { ...properties, logs } },
    abortSignal,
  );
}

/** What ArmRelatedReader reads beyond a resource's own references. */
export interface RelatedReadOptions {
  /** whether to list a workspace's tables (LAW-RETENTION judges an audit workspace's); default: every workspace's */
  tablesOf?: (workspace: LogAnalyticsWorkspaceResource) => boolean;
  /** read this workspace too (DIAG-RESOURCE-LOGS' remediation destination, DW_DIAG_WORKSPACE_ID) */
  diagnosticWorkspaceId?: string | null;
}

/** A workspace's tables, normalised (Tables_ListByWorkspace: one response, no nextLink). */
export async function listWorkspaceTables(
  arm: ArmClients,
  workspaceId: string,
  abortSignal?: AbortSignal,
): Promise<LogAnalyticsTableResource[]> {
  const parsed = parseResourceId(workspaceId);
  if (!parsed.ok || parsed.id?.target !== 'logAnalyticsWorkspace') return [];
  const { subscriptionId, resourceGroup, parentName } = parsed.id;
  const client = await arm.operationalInsightsFor(subscriptionId);
  const tables: LogAnalyticsTableResource[] = [];
  for await (const page of client.tables
    .listByWorkspace(resourceGroup, parentName, abortSignal ? { abortSignal } : {})
    .byPage()) {
    for (const raw of page) {
      const table = normalizeResource(plain(raw));
      if (table?.kind === 'logAnalyticsTable') tables.push(table);
    }
  }
  return tables;
}

export class ArmRelatedReader {
  constructor(
    private readonly arm: ArmClients,
    private readonly signal: () => AbortSignal,
    private readonly options: RelatedReadOptions = {},
  ) {}

  async read(resource: NormalizedResource): Promise<RelatedResources> {
    const index = new RelatedIndex({ workspaces: true });
    const subscriptionId = parseResourceId(resource.id).ok ? resource.id.split('/')[2] : undefined;
    if (!subscriptionId) return index;
    if (resource.kind === 'logAnalyticsWorkspace' && (this.options.tablesOf?.(resource) ?? true)) {
      index.listedTables(resource.id, await listWorkspaceTables(this.arm, resource.id, this.signal()));
    }
    const scope = diagnosticScopeOf(resource);
    if (scope) {
      const settings = await listDiagnosticSettings(this.arm, subscriptionId, scope, this.signal());
      index.listed(scope, settings);
      const workspaces = new Set(
        settings.flatMap((s) => (s.workspaceId ? [s.workspaceId.toLowerCase()] : [])),
      );
      // the remediation's destination, so the control knows whether it qualifies
      if (this.options.diagnosticWorkspaceId)
        workspaces.add(this.options.diagnosticWorkspaceId.toLowerCase());
      for (const workspaceId of workspaces) await this.addWorkspace(index, workspaceId);
    }
    if (resource.kind === 'storageAccount' && resource.keyVaultUri && resource.keyName) {
      await this.addKey(index, subscriptionId, resource.keyVaultUri, resource.keyName);
    }
    return index;
  }

  private async addWorkspace(index: RelatedIndex, workspaceId: string): Promise<void> {
    const parsed = parseResourceId(workspaceId);
    if (!parsed.ok || parsed.id?.target !== 'logAnalyticsWorkspace') return;
    const { subscriptionId, resourceGroup, parentName } = parsed.id;
    try {
      const workspace = await (await this.arm.operationalInsightsFor(subscriptionId)).workspaces.get(
        resourceGroup,
        parentName,
        { abortSignal: this.signal() },
      );
      const normalized = normalizeResource(plain(workspace));
      if (normalized) index.add(normalized);
    } catch (error) {
      if (!isNotFound(error)) throw error; // not found: known absent (the index is complete for workspaces)
    }
  }

  private async addKey(
    index: RelatedIndex,
    subscriptionId: string,
    vaultUri: string,
    keyName: string,
  ): Promise<void> {
    const wanted = vaultUri.trim().replace(/\/+$/, '').toLowerCase();
    const client = await this.arm.keyVaultFor(subscriptionId);
    let vault: { id?: string; name?: string } | null = null;
    for await (const candidate of client.vaults.listBySubscription({ abortSignal: this.signal() })) {
      const uri = String(candidate.properties?.vaultUri ?? '')
        .replace(/\/+$/, '')
        .toLowerCase();
      if (uri === wanted) {
        vault = candidate;
        break;
      }
    }
    const parsed = vault?.id ? parseResourceId(vault.id) : null;
    if (!parsed?.ok || !parsed.id) return; // vault not in this subscription: stays unknown
    try {
      const key = await client.keys.get(parsed.id.resourceGroup, parsed.id.parentName, keyName, {
        abortSignal: this.signal(),
      });
      const normalized = normalizeResource(plain(key));
      if (normalized) index.add(normalized);
    } catch (error) {
      if (!isNotFound(error)) throw error;
      index.absentKey(wanted, keyName); // the vault exists and has no such key
    }
  }
}
