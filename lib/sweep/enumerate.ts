import type { ArmClients } from '../azure/clients.js';
import { idShapeOf } from '../azure/resource-id.js';

/**
 * Enumeration that respects ARM: whole-subscription list calls with `nextLink` paging (the SDK
 * follows it; one ARM read per page, never one GET per resource), and blob containers only
 * where they can matter.
 */

/**
 * Whether an account's containers can expose anything, so are worth a list call. The account-level
 * `allowBlobPublicAccess=false` overrides every container's publicAccess (ARCHITECTURE.md
 * "Contracts"): that holds for accounts listed with false, and
 * for accounts the sweep just remediated to false (STG-PUBLIC-BLOB `remediated`). Accounts that
 * stay open — audit mode, an approved exception, a failed remediation, a dry run, or a decision
 * that could not be made (`decisions` null) — get their containers listed and evaluated.
 */
export function containersMatter(
  account: { allowBlobPublicAccess?: boolean | null },
  decisions: readonly { controlId: string | null; outcome: string }[] | null = null,
): boolean {
  if (account.allowBlobPublicAccess === false) return false;
  const closed =
    decisions?.some((d) => d.controlId === 'STG-PUBLIC-BLOB' && d.outcome === 'remediated') ?? false;
  return !closed;
}

/** Resource group and account name from `/subscriptions/s/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/name`. */
export function parseStorageAccountId(id: string): { resourceGroup: string; accountName: string } | null {
  const shape = idShapeOf(id);
  return shape?.kind === 'storageAccount' && shape.resourceGroup
    ? { resourceGroup: shape.resourceGroup, accountName: shape.name }
    : null;
}

/**
 * The resources of a listed page, each dropped from the page as it is handed out. The SDK's pager
 * holds on to the page array until it has fetched the next one, so without this a page of 1,000
 * NSGs (~7 MiB as SDK models) stays whole until its last resource is decided, and up to three
 * pages per listing are alive at once; with it, each resource is freed once it is decided.
 */
export function* handOut<T>(page: T[]): Generator<T, void, undefined> {
  const slots = page as (T | undefined)[];
  for (let i = 0; i < slots.length; i++) {
    const item = slots[i] as T;
    slots[i] = undefined;
    yield item;
  }
}

/** The storage accounts of a subscription, one ARM page at a time. */
export async function* storageAccountPages(
  arm: ArmClients,
  subscriptionId: string,
): AsyncGenerator<StorageAccountLike[]> {
  const storage = await arm.storageFor(subscriptionId);
  for await (const page of storage.storageAccounts.list().byPage()) yield page;
}

/** The NSGs of a subscription (all resource groups), one ARM page at a time. */
export async function* networkSecurityGroupPages(
  arm: ArmClients,
  subscriptionId: string,
): AsyncGenerator<ListedResource[]> {
  const network = await arm.networkFor(subscriptionId);
  for await (const page of network.networkSecurityGroups.listAll().byPage()) yield page;
}

/** The subscription's Log Analytics workspaces (Workspaces_List: one response, no nextLink). */
export async function* workspacePages(
  arm: ArmClients,
  subscriptionId: string,
): AsyncGenerator<ListedResource[]> {
  for await (const page of (await arm.operationalInsightsFor(subscriptionId)).workspaces.list().byPage())
    yield page;
}

/** The subscription's key vaults, one ARM page at a time. */
export async function* vaultPages(arm: ArmClients, subscriptionId: string): AsyncGenerator<VaultLike[]> {
  for await (const page of (await arm.keyVaultFor(subscriptionId)).vaults.listBySubscription().byPage())
    yield page;
}

/** The keys of one vault (metadata as ARM reports it: kty, keyUri), one page at a time. */
export async function* keyPages(
  arm: ArmClients,
  subscriptionId: string,
  resourceGroup: string,
  vaultName: string,
): AsyncGenerator<ListedResource[]> {
  for await (const page of (await arm.keyVaultFor(subscriptionId)).keys
    .list(resourceGroup, vaultName)
    .byPage())
    yield page;
}

/** Every blob container of one account (usually a single page). */
export async function listContainers(
  arm: ArmClients,
  subscriptionId: string,
  accountId: string,
): Promise<ListedResource[]> {
  const parsed = parseStorageAccountId(accountId);
  if (!parsed) throw new Error(`not a storage account id: ${accountId}`);
  const containers: ListedResource[] = [];
  const storage = await arm.storageFor(subscriptionId);
  const pages = storage.blobContainers.list(parsed.resourceGroup, parsed.accountName).byPage();
  for await (const page of pages) containers.push(...page);
  return containers;
}

/** What the sweep needs from a listed resource; the engine gets the whole object. */
export interface ListedResource {
  id?: string;
  type?: string;
}

export interface VaultLike extends ListedResource {
  properties?: { vaultUri?: string };
}

export interface StorageAccountLike extends ListedResource {
  allowBlobPublicAccess?: boolean | null;
}
