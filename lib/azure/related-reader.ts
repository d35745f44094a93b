import { createPipelineRequest, RestError } from '@azure/core-rest-pipeline';
import { RelatedIndex } from '../controls/related.js';
import type { DiagnosticSettingResource, NormalizedResource, RelatedResources } from '../controls/types.js';
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

/** Where a judged resource's audit logs are configured (a storage account's: its blob service). */
export function diagnosticScopeOf(resource: NormalizedResource): string | null {
  switch (resource.kind) {
    case 'storageAccount':
      return `${resource.id}/blobServices/default`;
    case 'keyVault':
    case 'networkSecurityGroup':
      return resource.id;
    default:
      return null;
  }
}

/**
 * Diagnostic settings API version with `categoryGroup` (audit / allLogs). @azure/arm-monitor 7
 * calls 2017-05-01-preview, whose model has no category groups, so its deserialiser would drop
 * them and a setting using the `audit` group would look empty: the list is sent through the same
 * client's pipeline (credential, retries, throttle policy) at this version instead.
 */
export const DIAGNOSTIC_SETTINGS_API_VERSION = '2021-05-01-preview';

/** The diagnostic settings of one scope, normalised (one ARM call: the list is not paged). */
export async function listDiagnosticSettings(
  arm: ArmClients,
  subscriptionId: string,
  scopeId: string,
  abortSignal?: AbortSignal,
): Promise<DiagnosticSettingResource[]> {
  const client = await arm.monitorFor(subscriptionId);
  const url = `${arm.connection.endpoint.replace(/\/+$/, '')}${scopeId}/providers/Microsoft.Insights/diagnosticSettings?api-version=${DIAGNOSTIC_SETTINGS_API_VERSION}`;
  const response = await client.sendRequest(
    createPipelineRequest({ url, method: 'GET', ...(abortSignal ? { abortSignal } : {}) }),
  );
  const body = response.bodyAsText ? (JSON.parse(response.bodyAsText) as { value?: unknown[] }) : {};
  if (response.status >= 400) {
    const error = (body as { error?: { code?: string; message?: string } }).error;
    throw new RestError(error?.message ?? `diagnostic settings list failed (${response.status})`, {
      code: error?.code ?? 'Unknown',
      statusCode: response.status,
      request: response.request,
      response,
    });
  }
  const settings: DiagnosticSettingResource[] = [];
  for (const raw of body.value ?? []) {
    const setting = normalizeResource(plain(raw));
    if (setting?.kind === 'diagnosticSetting') settings.push(setting);
  }
  return settings;
}

export class ArmRelatedReader {
  constructor(
    private readonly arm: ArmClients,
    private readonly signal: () => AbortSignal,
  ) {}

  async read(resource: NormalizedResource): Promise<RelatedResources> {
    const index = new RelatedIndex({ workspaces: true });
    const subscriptionId = parseResourceId(resource.id).ok ? resource.id.split('/')[2] : undefined;
    if (!subscriptionId) return index;
    const scope = diagnosticScopeOf(resource);
    if (scope) {
      const settings = await listDiagnosticSettings(this.arm, subscriptionId, scope, this.signal());
      index.listed(scope, settings);
      const workspaces = new Set(
        settings.flatMap((s) => (s.workspaceId ? [s.workspaceId.toLowerCase()] : [])),
      );
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
