import type {
  DiagnosticSettingResource,
  KeyVaultKeyResource,
  LogAnalyticsTableResource,
  LogAnalyticsWorkspaceResource,
  NormalizedResource,
  RelatedResources,
} from './types.js';

/**
 * What cross-resource controls (DIAG-RESOURCE-LOGS, KV-HSM-KEY-PHI) can look up, and how much
 * the caller knows. `evaluate` knows only its input: a resource type absent from the input is
 * "not known" (the control says it cannot judge), never "absent". ARM reads (event path) and the
 * sweep's lists know the whole estate, so what is not there does not exist.
 */

/** Nothing known: every cross-resource control is not-applicable. */
export const NOTHING_RELATED: RelatedResources = Object.freeze({
  diagnosticSettings: () => undefined,
  workspace: () => undefined,
  tables: () => undefined,
  vaultKey: () => undefined,
});

/** `https://kv.vault.azure.net/keys/name`, lower-cased, from a vault URI and a key name. */
export function vaultKeyUri(vaultUri: string, keyName: string): string {
  return `${vaultUri.trim().replace(/\/+$/, '').toLowerCase()}/keys/${keyName.trim().toLowerCase()}`;
}

/** The versionless key URI of a key URI that may carry a version. */
function versionless(keyUri: string): string {
  const match = /^(https:\/\/[^/]+\/keys\/[^/]+)/i.exec(keyUri.trim());
  return (match?.[1] ?? keyUri).toLowerCase();
}

/** Which lookups are complete (the whole estate is known) rather than limited to what was added. */
export interface Completeness {
  diagnosticSettings?: boolean;
  workspaces?: boolean;
  /** every workspace's tables: what is not added does not exist */
  tables?: boolean;
  keys?: boolean;
}

/** An index of related resources; add() as they are read or listed. */
export class RelatedIndex implements RelatedResources {
  private readonly settings = new Map<string, DiagnosticSettingResource[]>();
  private readonly workspaces = new Map<string, LogAnalyticsWorkspaceResource>();
  private readonly keys = new Map<string, KeyVaultKeyResource | null>();
  private readonly workspaceTables = new Map<string, LogAnalyticsTableResource[]>();

  constructor(private readonly complete: Completeness = {}) {}

  /** Adds what the index keeps (diagnostic settings, workspaces, tables, keys); other kinds are ignored. */
  add(resource: NormalizedResource): this {
    switch (resource.kind) {
      case 'diagnosticSetting': {
        const scope = resource.scopeId.toLowerCase();
        const list = this.settings.get(scope) ?? [];
        list.push(resource);
        this.settings.set(scope, list);
        break;
      }
      case 'logAnalyticsWorkspace':
        this.workspaces.set(resource.id.toLowerCase(), resource);
        break;
      case 'logAnalyticsTable': {
        const workspace = resource.workspaceId.toLowerCase();
        this.workspaceTables.set(workspace, [...(this.workspaceTables.get(workspace) ?? []), resource]);
        break;
      }
      case 'keyVaultKey':
        if (resource.keyUri) this.keys.set(versionless(resource.keyUri), resource);
        break;
      default:
        break;
    }
    return this;
  }

  /** Records that a vault was read and has no key of this name. */
  absentKey(vaultUri: string, keyName: string): this {
    this.keys.set(vaultKeyUri(vaultUri, keyName), null);
    return this;
  }

  /** Records that a scope's diagnostic settings were listed (an empty list is then known, not unknown). */
  listed(scopeId: string, settings: readonly DiagnosticSettingResource[]): this {
    const scope = scopeId.toLowerCase();
    this.settings.set(scope, [...settings]);
    return this;
  }

  /** Records that a workspace's tables were listed (an empty list is then known, not unknown). */
  listedTables(workspaceId: string, tables: readonly LogAnalyticsTableResource[]): this {
    this.workspaceTables.set(workspaceId.toLowerCase(), [...tables]);
    return this;
  }

  diagnosticSettings(scopeId: string): readonly DiagnosticSettingResource[] | undefined {
    return this.settings.get(scopeId.toLowerCase()) ?? (this.complete.diagnosticSettings ? [] : undefined);
  }

  workspace(workspaceId: string): LogAnalyticsWorkspaceResource | null | undefined {
    return this.workspaces.get(workspaceId.toLowerCase()) ?? (this.complete.workspaces ? null : undefined);
  }

  tables(workspaceId: string): readonly LogAnalyticsTableResource[] | undefined {
    return this.workspaceTables.get(workspaceId.toLowerCase()) ?? (this.complete.tables ? [] : undefined);
  }

  vaultKey(vaultUri: string, keyName: string): KeyVaultKeyResource | null | undefined {
    const key = this.keys.get(vaultKeyUri(vaultUri, keyName));
    return key !== undefined ? key : this.complete.keys ? null : undefined;
  }
}

/**
 * What a document handed to `driftwarden evaluate` tells: its workspaces and keys, its
 * diagnostic settings and its workspace tables — each complete for every resource when the
 * document lists any of that kind at all (an export that includes them; a template declares the
 * tables it changes, the others keep their defaults), unknown otherwise.
 */
export function relatedFromDocument(resources: readonly NormalizedResource[]): RelatedIndex {
  const index = new RelatedIndex({
    diagnosticSettings: resources.some((resource) => resource.kind === 'diagnosticSetting'),
    tables: resources.some((resource) => resource.kind === 'logAnalyticsTable'),
  });
  for (const resource of resources) index.add(resource);
  return index;
}
