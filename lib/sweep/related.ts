import type { ArmClients } from '../azure/clients.js';
import {
  diagnosticScopeOf,
  listDiagnosticSettings,
  listWorkspaceTables,
  type RelatedReadOptions,
} from '../azure/related-reader.js';
import { parseResourceId } from '../azure/resource-id.js';
import { RelatedIndex } from '../controls/related.js';
import type { NormalizedResource, RelatedResources } from '../controls/types.js';
import { normalizeResource } from '../resources/normalize.js';
import { isRestError } from '../util/errors.js';
import { keyPages } from './enumerate.js';

/**
 * What the sweep's cross-resource controls look up, from list calls: the subscription's
 * workspaces (one response) and vaults (paged) are listed before anything that refers to them;
 * a vault's keys are listed once, and only for vaults a customer-managed key points at; an audit
 * workspace's tables once, when the workspace is decided (one list call: workspaces are few).
 *
 * Diagnostic settings are the one per-resource read the sweep makes: ARM has no list of them
 * across a subscription, so each storage account (its blob service), vault and NSG costs one
 * list call — under the sweep's ARM throttle, and only for the resource types DIAG-RESOURCE-LOGS
 * judges. Everything else stays list pages.
 */
export class SweepRelated {
  private readonly workspaces = new RelatedIndex({ workspaces: true });
  /** vault URI (lower-cased, no trailing slash) → vault id */
  private readonly vaults = new Map<string, string>();
  private readonly keys = new Map<string, Promise<RelatedIndex>>();
  /** workspaces of other subscriptions (a central audit workspace): one GET each per sweep */
  private readonly remote = new Map<string, Promise<void>>();

  constructor(
    private readonly arm: ArmClients,
    private readonly subscriptionId: string,
    /** which lookups to make (a control switched off needs none) */
    private readonly lookups: { diagnosticSettings: boolean; keys: boolean } = {
      diagnosticSettings: true,
      keys: true,
    },
    /** tables of which workspaces, and a remediation destination to know (as on the event path) */
    private readonly options: RelatedReadOptions = {},
  ) {}

  /** A listed workspace (or its state after a remediation). */
  addWorkspace(raw: unknown): void {
    const workspace = normalizeQuietly(raw);
    if (workspace?.kind === 'logAnalyticsWorkspace') this.workspaces.add(workspace);
  }

  /** A listed vault: what CMK references are resolved against. */
  addVault(raw: { id?: string; properties?: { vaultUri?: string } }): void {
    const uri = raw.properties?.vaultUri;
    if (raw.id && uri) this.vaults.set(uri.trim().replace(/\/+$/, '').toLowerCase(), raw.id);
  }

  /** The related resources of one listed resource (its diagnostic settings: one ARM list call). */
  async forResource(raw: unknown): Promise<RelatedResources> {
    const resource = normalizeQuietly(raw);
    if (!resource) return this.workspaces;
    const tables =
      resource.kind === 'logAnalyticsWorkspace' && (this.options.tablesOf?.(resource) ?? true)
        ? await listWorkspaceTables(this.arm, resource.id)
        : undefined;
    const tablesOf = resource.kind === 'logAnalyticsWorkspace' ? resource.id.toLowerCase() : null;
    const scope = this.lookups.diagnosticSettings ? diagnosticScopeOf(resource) : null;
    const settings = scope ? await listDiagnosticSettings(this.arm, this.subscriptionId, scope) : undefined;
    for (const setting of settings ?? [])
      if (setting.workspaceId) await this.resolveRemote(setting.workspaceId);
    if (scope && this.options.diagnosticWorkspaceId)
      await this.resolveRemote(this.options.diagnosticWorkspaceId);
    const keyIndex =
      this.lookups.keys && resource.kind === 'storageAccount' && resource.keyVaultUri
        ? await this.keysOf(resource.keyVaultUri)
        : null;
    const scopeLower = scope?.toLowerCase();
    return {
      diagnosticSettings: (scopeId) => (scopeId.toLowerCase() === scopeLower ? settings : undefined),
      workspace: (workspaceId) => this.workspaces.workspace(workspaceId),
      tables: (workspaceId) => (workspaceId.toLowerCase() === tablesOf ? tables : undefined),
      vaultKey: (vaultUri, keyName) => keyIndex?.vaultKey(vaultUri, keyName),
    };
  }

  /** A workspace outside the swept subscription is read once (GET), so the lookup knows it or knows it is gone. */
  private resolveRemote(workspaceId: string): Promise<void> {
    const parsed = parseResourceId(workspaceId);
    if (!parsed.ok || parsed.id?.target !== 'logAnalyticsWorkspace') return Promise.resolve();
    const { subscriptionId, resourceGroup, parentName } = parsed.id;
    if (subscriptionId.toLowerCase() === this.subscriptionId.toLowerCase()) return Promise.resolve();
    const key = workspaceId.toLowerCase();
    let read = this.remote.get(key);
    if (!read) {
      read = (async () => {
        try {
          const workspace = await (await this.arm.operationalInsightsFor(subscriptionId)).workspaces.get(
            resourceGroup,
            parentName,
          );
          this.addWorkspace(workspace);
        } catch (error) {
          if (!(isRestError(error) && error.statusCode === 404)) throw error; // gone: known absent
        }
      })();
      read.catch(() => this.remote.delete(key));
      this.remote.set(key, read);
    }
    return read;
  }

  /** The keys of the vault at `vaultUri`, listed once; null when the vault is not in this subscription. */
  private keysOf(vaultUri: string): Promise<RelatedIndex> | null {
    const vaultId = this.vaults.get(vaultUri.trim().replace(/\/+$/, '').toLowerCase());
    if (!vaultId) return null;
    let keys = this.keys.get(vaultId);
    if (!keys) {
      keys = (async () => {
        const index = new RelatedIndex({ keys: true });
        const parsed = parseResourceId(vaultId);
        if (!parsed.ok || !parsed.id) return index;
        for await (const page of keyPages(
          this.arm,
          this.subscriptionId,
          parsed.id.resourceGroup,
          parsed.id.parentName,
        )) {
          for (const raw of page) {
            const key = normalizeQuietly(raw);
            if (key) index.add(key);
          }
        }
        return index;
      })();
      keys.catch(() => this.keys.delete(vaultId));
      this.keys.set(vaultId, keys);
    }
    return keys;
  }
}

/** Normalised, or null when it is not something the index keeps or cannot be read (the engine reports that). */
function normalizeQuietly(raw: unknown): NormalizedResource | null {
  try {
    return normalizeResource(JSON.parse(JSON.stringify(raw ?? null)));
  } catch {
    return null;
  }
}
