/**
 * The in-memory estate. Keys are lower-cased resource ids (ARM compares ids case-insensitively);
 * bodies keep the casing they were created with. Security rules live inside their NSG's
 * `properties.securityRules`, so the embedded list and the child resources can never disagree.
 */
import { clone } from './arm.js';
import { parseResourceId } from './ids.js';
import { rulesOf } from './providers/network/shapes.js';
import type { ArmResource } from './types.js';

export type StoredKind =
  | 'storageAccount'
  | 'blobContainer'
  | 'networkSecurityGroup'
  | 'logAnalyticsWorkspace'
  | 'logAnalyticsTable'
  | 'keyVault'
  | 'keyVaultKey'
  | 'diagnosticSetting';

interface Entry {
  kind: StoredKind;
  resource: ArmResource;
  subscription: string;
  resourceGroup: string;
  /** lower-cased id of the owner: a container's account, a table's workspace, a key's vault, a diagnostic setting's scope */
  parent?: string;
}

export class ResourceStore {
  private readonly entries = new Map<string, Entry>();
  /**
   * `subscription|group` of every resource group that ever held a resource. The sandbox has no
   * resource-group API: a group comes into being with its first resource (seeded or PUT) and, as in
   * ARM, outlives its resources; requests into any other group answer ResourceGroupNotFound.
   */
  private readonly groups = new Set<string>();

  get(id: string): ArmResource | undefined {
    return this.entries.get(id.toLowerCase())?.resource;
  }

  put(kind: StoredKind, resource: ArmResource): void {
    const parsed = parseResourceId(resource.id);
    if (!parsed) throw new Error(`not a resource id the sandbox stores: ${resource.id}`);
    const entry: Entry = {
      kind,
      resource,
      subscription: parsed.subscriptionId.toLowerCase(),
      resourceGroup: parsed.resourceGroup.toLowerCase(),
    };
    if (kind === 'blobContainer') {
      entry.parent = resource.id.slice(0, resource.id.toLowerCase().indexOf('/blobservices/')).toLowerCase();
    } else if (kind === 'logAnalyticsTable') {
      entry.parent = resource.id.slice(0, resource.id.toLowerCase().lastIndexOf('/tables/')).toLowerCase();
    } else if (kind === 'keyVaultKey') {
      entry.parent = resource.id.slice(0, resource.id.toLowerCase().lastIndexOf('/keys/')).toLowerCase();
    } else if (kind === 'diagnosticSetting') {
      entry.parent = parsed.parent.toLowerCase();
    }
    this.entries.set(resource.id.toLowerCase(), entry);
    this.groups.add(`${entry.subscription}|${entry.resourceGroup}`);
  }

  hasResourceGroup(subscription: string, resourceGroup: string): boolean {
    return this.groups.has(`${subscription.toLowerCase()}|${resourceGroup.toLowerCase()}`);
  }

  /**
   * Deletes a resource and what lives on it, as Azure does: an account's containers, a
   * workspace's tables, a vault's keys, and the diagnostic settings of the resource (or of its blob service).
   */
  delete(id: string): boolean {
    const key = id.toLowerCase();
    const entry = this.entries.get(key);
    if (!entry) return false;
    this.entries.delete(key);
    for (const [childKey, child] of this.entries) {
      if (child.parent === key || child.parent?.startsWith(`${key}/`)) this.entries.delete(childKey);
    }
    return true;
  }

  /** Resources of one kind in a subscription, optionally narrowed to a resource group or parent. */
  list(kind: StoredKind, subscription: string, resourceGroup?: string, parentId?: string): ArmResource[] {
    const sub = subscription.toLowerCase();
    const group = resourceGroup?.toLowerCase();
    const parent = parentId?.toLowerCase();
    const out: ArmResource[] = [];
    for (const entry of this.entries.values()) {
      if (entry.kind !== kind || entry.subscription !== sub) continue;
      if (group !== undefined && entry.resourceGroup !== group) continue;
      if (parent !== undefined && entry.parent !== parent) continue;
      out.push(entry.resource);
    }
    return out;
  }

  /** Storage account names are global in Azure: find one with this name anywhere. */
  findAccountByName(name: string): ArmResource | undefined {
    const lower = name.toLowerCase();
    for (const entry of this.entries.values()) {
      if (entry.kind === 'storageAccount' && entry.resource.name.toLowerCase() === lower)
        return entry.resource;
    }
    return undefined;
  }

  /** Any resource by id, security rules included (looked up inside their NSG). Returns a copy. */
  lookup(id: string): ArmResource | undefined {
    const direct = this.get(id);
    if (direct) return clone(direct);
    const parsed = parseResourceId(id);
    if (parsed?.kind !== 'securityRule') return undefined;
    const nsgIdLower = id.slice(0, id.toLowerCase().indexOf('/securityrules/'));
    const nsg = this.get(nsgIdLower);
    const rule = rulesOf(nsg).find((r) => r.name.toLowerCase() === parsed.child?.toLowerCase());
    return rule ? clone(rule) : undefined;
  }

  all(): ArmResource[] {
    return [...this.entries.values()].map((entry) => clone(entry.resource));
  }

  clear(): void {
    this.entries.clear();
    this.groups.clear();
  }

  get size(): number {
    return this.entries.size;
  }
}
